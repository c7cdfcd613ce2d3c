//! `special-week train`: dataset folders → frozen features → head → report → export.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use classifier::meta::{InputSpec, Label};
use classifier::preprocess;
use rand::SeedableRng;
use rand::rngs::StdRng;
use regex::Regex;
use serde_json::json;

use crate::block5::Block5;
use crate::calibrate::Platt;
use crate::dataset::{self, Dataset};
use crate::evaluate::{self, CrossValidation, KindScores, Report};
use crate::export::{self, MetaInputs};
use crate::features;
use crate::finetune::{self, Samples};
use crate::head::{self, TrainedHead};
use crate::manifest::{self, Kind};
use crate::quantize::WeightFormat;
use crate::recipe::{Holdout, Recipe};
use crate::{RESIZE_FILTER, base, onnx_graph, plots, split, views};

/// Everything `train` needs, from the command line.
pub struct TrainOptions {
    /// Dataset root with one folder per class.
    pub dataset: PathBuf,
    /// Where the model and report are written.
    pub out: PathBuf,
    /// Cache directory holding the base and cached features.
    pub cache_dir: PathBuf,
    /// The recipe.
    pub recipe: Recipe,
    /// Number of grouped cross-validation folds.
    pub folds: usize,
    /// Folder name of the Special Week class.
    pub positive_class: String,
    /// Japanese names of the Special Week and the other class.
    pub labels_ja: [String; 2],
    /// Group regex on file names.
    pub group_regex: Regex,
    /// Evaluate only; write the report but no model.
    pub evaluate_only: bool,
    /// How the exported file stores its weights.
    pub weights: WeightFormat,
}

/// Pooled head inputs of the original images and of the extra training pictures.
struct Features {
    originals: Vec<Vec<f32>>,
    augmented: Vec<Vec<f32>>,
    /// For each extra picture, its label.
    augmented_label: Vec<usize>,
    /// For each extra picture, the originals it was made from.
    augmented_origins: Vec<Vec<usize>>,
    /// For each original, the rows of its extra crops (none without a crop search).
    crop_rows: Vec<Vec<Vec<f32>>>,
    /// block4_pool maps of the originals, when block 5 is fine-tuned (else empty).
    originals_block4: Vec<Vec<f32>>,
    /// block4_pool maps of the extra pictures, when block 5 is fine-tuned (else empty).
    augmented_block4: Vec<Vec<f32>>,
}

/// What one model is trained on.
struct TrainingSet<'a> {
    rows: Vec<Vec<f32>>,
    labels: Vec<usize>,
    /// The block4_pool map of each row (empty unless fine-tuning).
    block4: Vec<&'a [f32]>,
}

impl Features {
    /// Rows, labels (and block4 maps) of the originals selected by `keep`, plus the extra
    /// pictures made only from selected originals.
    fn training_rows(&self, truth: &[usize], keep: impl Fn(usize) -> bool) -> TrainingSet<'_> {
        let originals = (0..self.originals.len()).filter(|&i| keep(i)).map(|i| {
            let map = self.originals_block4.get(i).map(Vec::as_slice);
            (self.originals[i].clone(), truth[i], map)
        });
        let extra = self
            .augmented_origins
            .iter()
            .enumerate()
            .filter(|(_, origins)| origins.iter().all(|&o| keep(o)))
            .map(|(j, _)| {
                let map = self.augmented_block4.get(j).map(Vec::as_slice);
                (self.augmented[j].clone(), self.augmented_label[j], map)
            });
        let mut set = TrainingSet {
            rows: Vec::new(),
            labels: Vec::new(),
            block4: Vec::new(),
        };
        for (row, label, map) in originals.chain(extra) {
            set.rows.push(row);
            set.labels.push(label);
            set.block4.extend(map);
        }
        set
    }

    /// The block4_pool maps of some originals.
    fn block4_of(&self, originals: &[usize]) -> Vec<&[f32]> {
        originals
            .iter()
            .map(|&i| self.originals_block4[i].as_slice())
            .collect()
    }
}

/// A trained head, and the fine-tuned block 5 it reads when fine-tuning.
struct Trained {
    head: TrainedHead,
    block5: Option<Block5>,
}

impl Trained {
    /// The head's input rows for some originals (through the fine-tuned block, if any).
    fn rows_of(&self, features: &Features, originals: &[usize]) -> Result<Vec<Vec<f32>>> {
        match &self.block5 {
            Some(block5) => finetune::rows(block5, &features.block4_of(originals)),
            None => Ok(originals
                .iter()
                .map(|&i| features.originals[i].clone())
                .collect()),
        }
    }
}

/// Trains the head (and block 5, when the recipe fine-tunes it, starting from `block5`)
/// on `set`; `validation` (rows, block4 maps, labels) is only scored, for the loss curve.
fn train_model(
    set: &TrainingSet,
    validation: (&[Vec<f32>], &[&[f32]], &[usize]),
    recipe: &Recipe,
    block5: Option<&Block5>,
) -> Result<Trained> {
    let (val_rows, val_block4, val_labels) = validation;
    match (recipe.fine_tune, block5) {
        (Some(config), Some(block5)) => {
            let samples = Samples {
                rows: &set.rows,
                block4: &set.block4,
                labels: &set.labels,
            };
            let validation = Samples {
                rows: val_rows,
                block4: val_block4,
                labels: val_labels,
            };
            let tuned =
                finetune::train(&samples, Some(&validation), block5, &recipe.head, &config)?;
            Ok(Trained {
                head: tuned.head,
                block5: Some(tuned.block5),
            })
        }
        _ => Ok(Trained {
            head: head::train(
                &set.rows,
                &set.labels,
                Some((val_rows, val_labels)),
                &recipe.head,
            )?,
            block5: None,
        }),
    }
}

/// The base's block 5, which fine-tuning starts from.
fn base_block5(base: &base::Base) -> Result<Block5> {
    let model = onnx_graph::decode(&base.onnx)?;
    let graph = onnx_graph::graph(&model)?;
    Block5::from_graph(graph, &features::block4_pool(graph)?)
}

/// Runs training end to end and prints a summary.
pub fn run(options: &TrainOptions) -> Result<()> {
    let recipe = &options.recipe;
    let base = base::load(&options.cache_dir)?;
    let mut dataset = dataset::load(&options.dataset, &options.group_regex)?;
    report_skipped(&dataset);
    let positive = dataset
        .classes
        .iter()
        .position(|c| *c == options.positive_class)
        .with_context(|| {
            format!(
                "no class folder named {:?} (found {:?}); pass --positive-class",
                options.positive_class, dataset.classes
            )
        })?;
    let negative = usize::from(positive == 0);
    dataset.add_synthetic(
        recipe.synthetic_negatives,
        negative,
        &mut StdRng::seed_from_u64(recipe.head.seed ^ 0x5157),
    );
    let truth: Vec<usize> = dataset
        .samples
        .iter()
        .map(|s| usize::from(s.class == positive))
        .collect();
    let groups = dataset.groups();
    let spec = InputSpec::plain_rgb(recipe.size, RESIZE_FILTER);
    let features = extract_features(&base, &dataset, &truth, &spec, recipe, &options.cache_dir)?;
    let block5 = recipe.fine_tune.map(|_| base_block5(&base)).transpose()?;

    let folds = split::grouped_folds(&groups, &truth, 1, options.folds, recipe.head.seed);
    let started = std::time::Instant::now();
    let mut cv = cross_validate(
        &features,
        &truth,
        &folds,
        options.folds,
        recipe,
        block5.as_ref(),
    )?;
    eprintln!(
        "cross-validation: {} folds in {:.0} s",
        options.folds,
        started.elapsed().as_secs_f64()
    );
    let calibration = recipe.calibrate.then(|| Platt::fit(&cv.margins, &cv.truth));
    if let Some(platt) = calibration {
        cv.scores = cv.margins.iter().map(|&m| platt.apply(m)).collect();
    }
    let threshold = if recipe.calibrate {
        let (scores, real_truth) = real_samples(&dataset, &cv.scores, &cv.truth);
        crate::metrics::threshold_at_fpr(&scores, &real_truth, recipe.max_false_positive_rate)
    } else {
        0.5
    };
    let counted: Vec<bool> = dataset
        .samples
        .iter()
        .map(|s| s.kind != Kind::Synthetic)
        .collect();
    let (test_scores, test_truth, history) = match recipe.holdout {
        Holdout::GroupedFolds => {
            let (scores, truth): (Vec<f32>, Vec<usize>) = (0..truth.len())
                .filter(|&i| counted[i])
                .map(|i| (cv.scores[i], truth[i]))
                .unzip();
            (scores, truth, cv.history.clone())
        }
        Holdout::RandomFiles {
            validation_fraction,
        } => {
            let is_validation =
                split::random_holdout(truth.len(), validation_fraction, recipe.head.seed);
            random_holdout(&features, &truth, &is_validation, recipe, block5.as_ref())?
        }
    };
    let mut report = Report::new(
        recipe,
        &test_scores,
        &as_bool(&test_truth),
        threshold,
        calibration,
        &cv,
        &counted,
        summary_of(&dataset, positive, options),
    );
    report.per_kind = per_kind(&dataset, &cv.scores, &cv.truth, threshold);

    fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    write_report(&options.out, &report, &history)?;
    failure_sheet(
        &options.out.join(FAILURES_FILE),
        &dataset,
        &cv.scores,
        &cv.truth,
        threshold,
    )?;
    let mut export_check = None;
    if !options.evaluate_only {
        let set = features.training_rows(&truth, |_| true);
        let mut trained = train_model(&set, (&[], &[], &[]), recipe, block5.as_ref())?;
        if let Some(platt) = calibration {
            platt.fold_into(&mut trained.head);
        }
        export_check = Some(export_model(
            &base, &dataset, &spec, &features, &trained, &report, options,
        )?);
    }
    evaluate::print_summary(&report, export_check.as_ref());
    Ok(())
}

fn extract_features(
    base: &base::Base,
    dataset: &Dataset,
    truth: &[usize],
    spec: &InputSpec,
    recipe: &Recipe,
    cache_dir: &std::path::Path,
) -> Result<Features> {
    let inputs: Vec<Vec<f32>> = dataset
        .samples
        .iter()
        .map(|s| preprocess::to_tensor(&s.image, spec))
        .collect();
    let mut rng = StdRng::seed_from_u64(recipe.head.seed);
    let views = views::build(&dataset.samples, truth, &recipe.augment, &mut rng);
    let augmented_inputs: Vec<Vec<f32>> = views
        .iter()
        .map(|v| preprocess::to_tensor(&v.image, spec))
        .collect();
    let pool = |maps: &[Vec<f32>]| {
        maps.iter()
            .map(|m| recipe.pooling.apply(m, features::CHANNELS))
            .collect::<Vec<_>>()
    };
    // With block 4 pooled, a map is block4_pool followed by block5_pool (a quarter of it).
    let block4 = |maps: Vec<Vec<f32>>| -> Vec<Vec<f32>> {
        if recipe.fine_tune.is_none() {
            return Vec::new();
        }
        maps.into_iter()
            .map(|mut m| {
                m.truncate(m.len() / 5 * 4);
                m
            })
            .collect()
    };
    let original_maps = features::extract(
        base,
        spec,
        recipe.pooling,
        &inputs,
        cache_dir,
        "base features",
    )?;
    let originals = pool(&original_maps);
    let originals_block4 = block4(original_maps);
    let augmented_maps = if augmented_inputs.is_empty() {
        Vec::new()
    } else {
        features::extract(
            base,
            spec,
            recipe.pooling,
            &augmented_inputs,
            cache_dir,
            "augmented pictures and scenes",
        )?
    };
    let mut augmented = pool(&augmented_maps);
    let augmented_block4 = block4(augmented_maps);
    let mut augmented_label: Vec<usize> = views.iter().map(|v| v.label).collect();
    let mut augmented_origins: Vec<Vec<usize>> = views.into_iter().map(|v| v.origins).collect();
    let crop_rows = crop_features(base, dataset, spec, recipe, cache_dir)?;
    // Crops of other pictures are negatives too: the search must not find her in them.
    for (i, rows) in crop_rows.iter().enumerate().filter(|(i, _)| truth[*i] == 0) {
        augmented.extend(rows.iter().cloned());
        augmented_label.extend(std::iter::repeat_n(0, rows.len()));
        augmented_origins.extend(std::iter::repeat_n(vec![i], rows.len()));
    }
    Ok(Features {
        originals,
        augmented,
        augmented_label,
        augmented_origins,
        crop_rows,
        originals_block4,
        augmented_block4,
    })
}

/// Pooled features of every original's extra crops, through the same
/// [`preprocess::crop_tensor`] the classifier uses.
fn crop_features(
    base: &base::Base,
    dataset: &Dataset,
    spec: &InputSpec,
    recipe: &Recipe,
    cache_dir: &std::path::Path,
) -> Result<Vec<Vec<Vec<f32>>>> {
    let boxes = recipe.crops.extra_boxes();
    if boxes.is_empty() {
        return Ok(vec![Vec::new(); dataset.samples.len()]);
    }
    let inputs: Vec<Vec<f32>> = dataset
        .samples
        .iter()
        .flat_map(|s| {
            boxes
                .iter()
                .map(|b| preprocess::crop_tensor(&s.image, spec, b))
        })
        .collect();
    let maps = features::extract(base, spec, recipe.pooling, &inputs, cache_dir, "crops")?;
    let rows: Vec<Vec<f32>> = maps
        .iter()
        .map(|m| recipe.pooling.apply(m, features::CHANNELS))
        .collect();
    Ok(rows.chunks(boxes.len()).map(<[Vec<f32>]>::to_vec).collect())
}

/// The out-of-fold score of an original as the classifier computes it: the highest
/// P(Special Week) over the whole image (`whole`) and its `crops`, with that crop's logit
/// margin.
fn search_score(head: &TrainedHead, whole: &[f32], crops: &[Vec<f32>]) -> (f32, f32) {
    let rows: Vec<Vec<f32>> = std::iter::once(whole.to_vec())
        .chain(crops.iter().cloned())
        .collect();
    head.logits(&rows)
        .into_iter()
        .zip(head.predict(&rows))
        .map(|(logits, p)| (p[1], logits[1] - logits[0]))
        .fold((f32::NEG_INFINITY, 0.0), |best, next| {
            if next.0 > best.0 { next } else { best }
        })
}

/// Out-of-fold numbers per kind of picture, for white-streak characters, and for all
/// pictures without a character together.
fn per_kind(dataset: &Dataset, scores: &[f32], truth: &[bool], threshold: f32) -> Vec<KindScores> {
    let members = |keep: &dyn Fn(&dataset::Sample) -> bool| -> Vec<(f32, bool)> {
        dataset
            .samples
            .iter()
            .zip(scores.iter().zip(truth))
            .filter(|(s, _)| keep(s))
            .map(|(_, (&score, &t))| (score, t))
            .collect()
    };
    let mut rows: Vec<KindScores> = Kind::ALL
        .into_iter()
        .filter(|kind| dataset.samples.iter().any(|s| s.kind == *kind))
        .map(|kind| {
            KindScores::count(
                kind.name(),
                members(&|s| s.kind == kind).into_iter(),
                threshold,
            )
        })
        .collect();
    rows.push(KindScores::count(
        "white-streak characters",
        members(&|s| manifest::has_white_streak(&s.character)).into_iter(),
        threshold,
    ));
    rows.push(KindScores::count(
        "no character (photo, illustration, synthetic)",
        members(&|s| s.kind.has_no_character()).into_iter(),
        threshold,
    ));
    rows
}

/// File name of the contact sheet of out-of-fold failures in the output directory.
pub const FAILURES_FILE: &str = "failures.png";

/// Draws the 16 highest-scoring other pictures and every Special Week picture below the
/// threshold (all out of fold) on one contact sheet.
fn failure_sheet(
    path: &std::path::Path,
    dataset: &Dataset,
    scores: &[f32],
    truth: &[bool],
    threshold: f32,
) -> Result<()> {
    let mut negatives: Vec<usize> = (0..truth.len()).filter(|&i| !truth[i]).collect();
    negatives.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let missed = (0..truth.len()).filter(|&i| truth[i] && scores[i] < threshold);
    let tiles: Vec<plots::Tile> = negatives
        .into_iter()
        .take(16)
        .chain(missed)
        .map(|i| {
            let sample = &dataset.samples[i];
            let name = sample
                .path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            plots::Tile {
                image: &sample.image,
                caption: format!("p={:.3} {}\n{}", scores[i], sample.kind.name(), name),
                false_positive: !truth[i],
            }
        })
        .collect();
    plots::contact_sheet(
        path,
        &format!(
            "out of fold: 16 highest-scoring others (red), missed Special Week (blue); threshold {threshold:.3}"
        ),
        &tiles,
    )
}

/// The scores and truth of the dataset's own pictures (not the generated ones), which the
/// threshold is chosen on.
fn real_samples(dataset: &Dataset, scores: &[f32], truth: &[bool]) -> (Vec<f32>, Vec<bool>) {
    dataset
        .samples
        .iter()
        .zip(scores.iter().zip(truth))
        .filter(|(s, _)| s.kind != Kind::Synthetic)
        .map(|(_, (&score, &t))| (score, t))
        .unzip()
}

fn cross_validate(
    features: &Features,
    truth: &[usize],
    folds: &[usize],
    k: usize,
    recipe: &Recipe,
    block5: Option<&Block5>,
) -> Result<CrossValidation> {
    let mut scores = vec![0.0; truth.len()];
    let mut margins = vec![0.0; truth.len()];
    let mut per_fold = Vec::with_capacity(k);
    let mut histories = Vec::with_capacity(k);
    for fold in 0..k {
        let HeldOut {
            held,
            held_rows,
            head,
            ..
        } = train_holding_out(features, truth, |i| folds[i] == fold, recipe, block5)?;
        for (&i, row) in held.iter().zip(&held_rows) {
            (scores[i], margins[i]) = search_score(&head, row, &features.crop_rows[i]);
        }
        per_fold.push(held);
        histories.push(head.history);
    }
    let history = (0..histories[0].len())
        .map(|e| head::EpochLoss {
            loss: histories.iter().map(|h| h[e].loss).sum::<f64>() / k as f64,
            val_loss: Some(histories.iter().filter_map(|h| h[e].val_loss).sum::<f64>() / k as f64),
        })
        .collect();
    Ok(CrossValidation {
        scores,
        margins,
        truth: as_bool(truth),
        folds: per_fold,
        history,
    })
}

/// A head trained without some originals (and their augmented copies), and those originals.
struct HeldOut {
    held: Vec<usize>,
    held_rows: Vec<Vec<f32>>,
    held_truth: Vec<usize>,
    head: TrainedHead,
}

/// Trains without the originals `is_held` selects (and their extra pictures); the held
/// originals' rows are read through the trained block 5 when fine-tuning.
fn train_holding_out(
    features: &Features,
    truth: &[usize],
    is_held: impl Fn(usize) -> bool,
    recipe: &Recipe,
    block5: Option<&Block5>,
) -> Result<HeldOut> {
    let set = features.training_rows(truth, |i| !is_held(i));
    let held: Vec<usize> = (0..truth.len()).filter(|&i| is_held(i)).collect();
    let frozen_rows: Vec<Vec<f32>> = held
        .iter()
        .map(|&i| features.originals[i].clone())
        .collect();
    let held_block4 = if block5.is_some() {
        features.block4_of(&held)
    } else {
        Vec::new()
    };
    let held_truth: Vec<usize> = held.iter().map(|&i| truth[i]).collect();
    let trained = train_model(
        &set,
        (&frozen_rows, &held_block4, &held_truth),
        recipe,
        block5,
    )?;
    Ok(HeldOut {
        held_rows: trained.rows_of(features, &held)?,
        held,
        held_truth,
        head: trained.head,
    })
}

fn random_holdout(
    features: &Features,
    truth: &[usize],
    is_validation: &[bool],
    recipe: &Recipe,
    block5: Option<&Block5>,
) -> Result<(Vec<f32>, Vec<usize>, Vec<head::EpochLoss>)> {
    let HeldOut {
        held_rows,
        held_truth,
        head,
        ..
    } = train_holding_out(features, truth, |i| is_validation[i], recipe, block5)?;
    let scores = head.predict(&held_rows).iter().map(|p| p[1]).collect();
    Ok((scores, held_truth, head.history))
}

fn export_model(
    base: &base::Base,
    dataset: &Dataset,
    spec: &InputSpec,
    features: &Features,
    trained: &Trained,
    report: &Report,
    options: &TrainOptions,
) -> Result<export::ExportCheck> {
    let head = &trained.head;
    let mut provenance = serde_json::to_value(&base.provenance)?;
    let tuned_base;
    let base = match &trained.block5 {
        Some(block5) => {
            let mut model = onnx_graph::decode(&base.onnx)?;
            let graph = model.graph.as_mut().context("the base has no graph")?;
            block5.write_into(graph)?;
            provenance["fine_tuned"] = json!(
                "block5_conv1..3 trained on the dataset together with the head, from these ImageNet weights"
            );
            tuned_base = base::Base {
                onnx: onnx_graph::encode(&model),
                provenance: base.provenance.clone(),
            };
            &tuned_base
        }
        None => base,
    };
    let onnx = export::build_onnx(base, spec.size, options.recipe.pooling, head)?;
    let every = |n: usize| (0..dataset.samples.len()).step_by((dataset.samples.len() / n).max(1));
    let tensor = |i: usize| preprocess::to_tensor(&dataset.samples[i].image, spec);
    let check: Vec<usize> = every(8).collect();
    let check_inputs: Vec<Vec<f32>> = check.iter().map(|&i| tensor(i)).collect();
    let check_rows = trained.rows_of(features, &check)?;
    let expected = head.predict(&check_rows);
    let quantization = export::quantization_inputs(dataset, spec);
    let negative_class =
        &dataset.classes[usize::from(dataset.classes[0] == options.positive_class)];
    let meta = MetaInputs {
        size: spec.size,
        labels: vec![
            Label {
                ja: options.labels_ja[1].clone(),
                en: negative_class.clone(),
            },
            Label {
                ja: options.labels_ja[0].clone(),
                en: options.positive_class.clone(),
            },
        ],
        special_week_index: 1,
        threshold: report.threshold,
        base: provenance,
        dataset: report.dataset.clone(),
        metrics: report.headline(),
        extra_crops: options.recipe.crops.extra_boxes(),
    };
    let inputs = export::ExportInputs {
        check: &check_inputs,
        expected: &expected,
        quantization: &quantization,
    };
    export::write_and_verify(&options.out, &onnx, meta, options.weights, &inputs)
}

fn write_report(out: &std::path::Path, report: &Report, history: &[head::EpochLoss]) -> Result<()> {
    fs::write(
        out.join("metrics.json"),
        serde_json::to_string_pretty(report)? + "\n",
    )?;
    let loss: Vec<f64> = history.iter().map(|h| h.loss).collect();
    let val_loss: Vec<f64> = history.iter().filter_map(|h| h.val_loss).collect();
    plots::loss_curve(
        &out.join("loss.png"),
        &format!("recipe {}: loss per epoch", report.recipe.name),
        &loss,
        &val_loss,
    )?;
    let roc = &report.test;
    plots::roc(
        &out.join("roc.png"),
        &format!("ROC, recipe {}", report.recipe.name),
        &report.roc_points,
        roc.roc_auc,
        report.operating_point(),
    )?;
    Ok(())
}

fn summary_of(dataset: &Dataset, positive: usize, options: &TrainOptions) -> serde_json::Value {
    let counts = dataset.class_counts();
    let groups = |class: usize| -> usize {
        dataset
            .samples
            .iter()
            .filter(|s| s.class == class)
            .map(|s| s.group.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    };
    json!({
        "classes": dataset.classes.iter().enumerate().map(|(i, c)| json!({
            "folder": c, "images": counts[i], "groups": groups(i), "special_week": i == positive,
        })).collect::<Vec<_>>(),
        "skipped_files": dataset.skipped.len(),
        "generated_negatives_included": options.recipe.synthetic_negatives,
        "images_by_kind": Kind::ALL
            .into_iter()
            .map(|kind| (kind.name().to_string(), json!(dataset.samples.iter().filter(|s| s.kind == kind).count())))
            .filter(|(_, count)| count != &json!(0))
            .collect::<serde_json::Map<_, _>>(),
        "group_regex": options.group_regex.as_str(),
    })
}

fn report_skipped(dataset: &Dataset) {
    if dataset.skipped.is_empty() {
        return;
    }
    eprintln!("skipped {} unreadable file(s):", dataset.skipped.len());
    for (path, reason) in &dataset.skipped {
        eprintln!("  {}: {reason}", path.display());
    }
}

fn as_bool(labels: &[usize]) -> Vec<bool> {
    labels.iter().map(|&l| l == 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::HIDDEN;

    /// A head whose Special Week margin is 2·x for a single feature x ≥ 0.
    fn linear_head() -> TrainedHead {
        let mut w1 = vec![0.0; HIDDEN];
        w1[0] = 1.0;
        let mut w2 = vec![0.0; 2 * HIDDEN];
        w2[0] = -1.0;
        w2[HIDDEN] = 1.0;
        TrainedHead {
            inputs: 1,
            w1,
            b1: vec![0.0; HIDDEN],
            w2,
            b2: vec![0.0; 2],
            history: Vec::new(),
        }
    }

    #[test]
    fn the_search_scores_an_image_by_its_most_special_week_crop() {
        let head = linear_head();
        let (p, margin) = search_score(&head, &[0.1], &[vec![0.5], vec![0.3]]);
        assert!(
            (margin - 1.0).abs() < 1e-6,
            "the 0.5 crop decides: {margin}"
        );
        assert!((p - head.predict(&[vec![0.5]])[0][1]).abs() < 1e-6);
        let (_, whole_only) = search_score(&head, &[0.9], &[]);
        assert!((whole_only - 1.8).abs() < 1e-6, "no crops: the whole image");
    }
}
