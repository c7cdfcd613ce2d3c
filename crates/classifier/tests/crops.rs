//! Multi-crop search: crops in `model.json`, crop geometry in the batch, and the bundled
//! model run on a batch of crops.

#[path = "common/pictures.rs"]
mod pictures;

use std::io::Cursor;
use std::path::PathBuf;

use classifier::crops::{self, CropBox, PixelBox};
use classifier::meta::{InputSpec, MetaError};
use classifier::preprocess::{self, batch_tensor, crop_tensor, to_tensor};
use classifier::{Classifier, ModelMeta, ResizeFilter};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use pictures::busy;

fn crop(x: f32, y: f32, w: f32, h: f32) -> CropBox {
    CropBox { x, y, w, h }
}

/// Red on the left half, blue on the right half.
fn red_blue(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.clone())
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

#[test]
fn the_batch_holds_the_crops_in_list_order() {
    let spec = InputSpec::plain_rgb(2, ResizeFilter::Nearest);
    let image = red_blue(8, 4);
    let right = crop(0.5, 0.0, 0.5, 1.0);
    let left = crop(0.0, 0.0, 0.5, 1.0);
    let batch = batch_tensor(&image, &spec, &[right, left]);
    let per_image = 2 * 2 * 3;
    assert_eq!(batch.len(), 2 * per_image);
    let (first, second) = batch.split_at(per_image);
    assert!(first.chunks(3).all(|p| p == [0.0, 0.0, 255.0]), "{first:?}");
    assert!(
        second.chunks(3).all(|p| p == [255.0, 0.0, 0.0]),
        "{second:?}"
    );
    assert_eq!(first, crop_tensor(&image, &spec, &right));
}

#[test]
fn the_whole_image_crop_is_exactly_the_plain_input() {
    for filter in [
        ResizeFilter::Triangle,
        ResizeFilter::Nearest,
        ResizeFilter::Lanczos3,
    ] {
        let spec = InputSpec::plain_rgb(16, filter);
        for image in [busy(37, 23), busy(16, 16), busy(1, 1)] {
            let plain = to_tensor(&image, &spec);
            assert_eq!(crop_tensor(&image, &spec, &crops::whole()), plain);
            assert_eq!(batch_tensor(&image, &spec, &[crops::whole()]), plain);
        }
    }
}

#[test]
fn a_crop_is_resized_like_a_cut_out_image() {
    let spec = InputSpec::plain_rgb(8, ResizeFilter::Triangle);
    let image = busy(40, 30);
    let cut = image::imageops::crop_imm(&image, 10, 15, 20, 15).to_image();
    let box_ = crop(0.25, 0.5, 0.5, 0.5);
    assert_eq!(
        box_.to_pixels(40, 30),
        PixelBox {
            x: 10,
            y: 15,
            w: 20,
            h: 15
        }
    );
    assert_eq!(crop_tensor(&image, &spec, &box_), to_tensor(&cut, &spec));
}

fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model")
}

fn bundled_meta_text() -> String {
    std::fs::read_to_string(model_dir().join("model.json")).unwrap()
}

fn with_crops(text: &str, crops: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    value["crops"] = serde_json::from_str(crops).unwrap();
    value.to_string()
}

#[test]
fn a_model_json_without_crops_loads_and_round_trips_without_them() {
    let text = bundled_meta_text();
    assert!(!text.contains("\"crops\""));
    let meta = ModelMeta::from_json(&text).unwrap();
    assert_eq!(meta.crops, None);
    assert_eq!(meta.crop_boxes(), [crops::whole()]);
    let json = meta.to_json();
    assert!(!json.contains("crops"), "{json}");
    // Byte for byte: the workspace's serde_json parses floats exactly (`float_roundtrip`),
    // so the report numbers come back with the digits they were written with.
    assert_eq!(
        json,
        text.trim_end(),
        "old files are written back unchanged"
    );
    assert_eq!(ModelMeta::from_json(&json).unwrap(), meta);
}

#[test]
fn a_crops_list_loads_in_order_and_round_trips() {
    let text = with_crops(
        &bundled_meta_text(),
        r#"[{"x": 0, "y": 0, "w": 1, "h": 1}, {"x": 0.25, "y": 0.1, "w": 0.5, "h": 0.9}]"#,
    );
    let meta = ModelMeta::from_json(&text).unwrap();
    let expected = vec![crops::whole(), crop(0.25, 0.1, 0.5, 0.9)];
    assert_eq!(meta.crops.as_deref(), Some(expected.as_slice()));
    assert_eq!(meta.crop_boxes(), expected);
    assert_eq!(ModelMeta::from_json(&meta.to_json()).unwrap(), meta);
}

fn inconsistency(crops: &str) -> String {
    match ModelMeta::from_json(&with_crops(&bundled_meta_text(), crops)) {
        Err(MetaError::Inconsistent(message)) => {
            assert!(!message.contains('\n'), "one line: {message}");
            message
        }
        other => panic!("{crops} gave {other:?}"),
    }
}

#[test]
fn bad_crops_are_one_line_errors_naming_the_box() {
    assert!(inconsistency("[]").contains("crops is empty"));
    let message = inconsistency(
        r#"[{"x": 0, "y": 0, "w": 1, "h": 1}, {"x": 0.6, "y": 0, "w": 0.5, "h": 1}]"#,
    );
    assert!(message.contains("crops[1]"), "{message}");
    assert!(inconsistency(r#"[{"x": -0.1, "y": 0, "w": 0.5, "h": 1}]"#).contains("crops[0]"));
    assert!(inconsistency(r#"[{"x": 0, "y": 0, "w": 0, "h": 1}]"#).contains("crops[0]"));
    assert!(inconsistency(r#"[{"x": 0, "y": 0.5, "w": 1, "h": 0.6}]"#).contains("crops[0]"));
    // Rounding slack: 0.3333333 + 0.6666668 passes.
    let text = with_crops(
        &bundled_meta_text(),
        r#"[{"x": 0.3333333, "y": 0, "w": 0.6666668, "h": 1}]"#,
    );
    assert!(ModelMeta::from_json(&text).is_ok());
    let unknown = with_crops(
        &bundled_meta_text(),
        r#"[{"x": 0, "y": 0, "w": 1, "h": 1, "z": 1}]"#,
    );
    assert!(matches!(
        ModelMeta::from_json(&unknown),
        Err(MetaError::Parse(_))
    ));
}

fn bundled(crops: Option<&str>) -> Classifier {
    let text = bundled_meta_text();
    let text = crops.map_or(text.clone(), |crops| with_crops(&text, crops));
    let onnx = std::fs::read(model_dir().join("special_week.onnx")).unwrap();
    Classifier::load(onnx, ModelMeta::from_json(&text).unwrap()).unwrap()
}

#[test]
fn the_bundled_model_searches_crops_in_one_batch() {
    let plain = bundled(None);
    let searching = bundled(Some(
        r#"[{"x": 0, "y": 0, "w": 0.5, "h": 1}, {"x": 0, "y": 0, "w": 1, "h": 1}, {"x": 0.5, "y": 0.25, "w": 0.5, "h": 0.75}]"#,
    ));
    let image = busy(90, 60);
    let bytes = png(&image);

    let whole = plain.classify(&bytes).unwrap();
    assert_eq!(whole.best_box, PixelBox::whole(90, 60));
    assert_eq!(whole.crops.len(), 1);
    assert_eq!((whole.image_width, whole.image_height), (90, 60));

    let found = searching.classify(&bytes).unwrap();
    let boxes: Vec<PixelBox> = found.crops.iter().map(|c| c.pixel_box).collect();
    let px = |x, y, w, h| PixelBox { x, y, w, h };
    assert_eq!(
        boxes,
        [px(0, 0, 45, 60), px(0, 0, 90, 60), px(45, 15, 45, 45)]
    );
    // Each slot of the batch gives what that crop alone gives.
    let close = |a: f32, b: f32| (a - b).abs() < 1e-5;
    assert!(close(found.crops[1].p_special_week, whole.p_special_week));
    for (index, pixel_box) in [(0, boxes[0]), (2, boxes[2])] {
        let cut =
            image::imageops::crop_imm(&image, pixel_box.x, pixel_box.y, pixel_box.w, pixel_box.h);
        let alone = plain.classify(&png(&cut.to_image())).unwrap();
        assert!(close(
            found.crops[index].p_special_week,
            alone.p_special_week
        ));
    }
    // Max pooling, and the threshold on the maximum.
    let best = (0..3)
        .max_by(|&a, &b| {
            found.crops[a]
                .p_special_week
                .total_cmp(&found.crops[b].p_special_week)
        })
        .unwrap();
    assert_eq!(found.p_special_week, found.crops[best].p_special_week);
    assert_eq!(found.best_box, boxes[best]);
    assert_eq!(found.probabilities[1], found.p_special_week);
    let threshold = searching.meta().threshold;
    assert_eq!(found.is_special_week, found.p_special_week >= threshold);

    // One plain input still runs on the batch-of-3 plan.
    let tensor = preprocess::prepare(&bytes, &searching.meta().input).unwrap();
    let single = searching.classify_tensor(tensor).unwrap();
    assert!(close(single.p_special_week, whole.p_special_week));
    let side = searching.meta().input.size;
    assert_eq!(single.best_box, PixelBox::whole(side, side));
}
