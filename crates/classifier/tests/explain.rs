//! The occlusion map on the bundled model: the uncovered view is the classification, each
//! cell is the view with that cell covered, and crop models batch it the same way.

mod common;

#[path = "common/pictures.rs"]
mod pictures;

use classifier::crops::PixelBox;
use classifier::explain::{COVER, GRID};
use classifier::preprocess::{judgeable, to_tensor};
use classifier::{Classifier, ModelMeta};
use image::{DynamicImage, RgbImage};
use pictures::busy;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 1e-5
}

#[test]
fn the_uncovered_view_is_the_classification_and_cells_tile_the_image() {
    let model = common::bundled();
    let image = busy(150, 90);
    let classified = model
        .classify_image(DynamicImage::ImageRgb8(image.clone()))
        .unwrap();
    let view = model.view(&judgeable(DynamicImage::ImageRgb8(image)).unwrap());
    let side = model.meta().input.size;
    assert_eq!(view.dimensions(), (side, side));

    let map = model.occlusion(&view, (150, 90), GRID).unwrap();
    assert!(close(map.p_whole, classified.p_special_week));
    assert_eq!(map.cells.len(), (GRID * GRID) as usize);
    let area: u32 = map
        .cells
        .iter()
        .map(|c| c.pixel_box.w * c.pixel_box.h)
        .sum();
    assert_eq!(area, 150 * 90, "the cells cover the image once");
    assert!(
        map.cells
            .iter()
            .all(|c| (0.0..=1.0).contains(&c.p_special_week))
    );
    assert!(
        map.drops().iter().any(|drop| drop.abs() > 1e-4),
        "covering some part of a busy picture changes the answer: {map:?}"
    );
}

#[test]
fn a_grid_of_one_covers_everything() {
    let model = common::bundled();
    let view = model.view(&busy(64, 64));
    let map = model.occlusion(&view, (64, 64), 1).unwrap();
    assert_eq!(map.cells.len(), 1);
    assert_eq!(map.cells[0].pixel_box, PixelBox::whole(64, 64));
    let side = model.meta().input.size;
    let flat = RgbImage::from_pixel(side, side, COVER);
    let alone = model
        .classify_tensor(to_tensor(&flat, &model.meta().input))
        .unwrap();
    assert!(close(map.cells[0].p_special_week, alone.p_special_week));
}

#[test]
fn a_crop_model_runs_the_covered_views_in_its_batches() {
    let plain = common::bundled();
    let mut meta: ModelMeta = plain.meta().clone();
    meta.crops = Some(vec![classifier::crops::whole(); 3]);
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model");
    let onnx = std::fs::read(dir.join(&meta.model_file)).unwrap();
    let batched = Classifier::load(onnx, meta).unwrap();

    let view = plain.view(&busy(80, 120));
    // 3 × 3 + 1 = 10 views: three full batches of 3 and one padded.
    let one = plain.occlusion(&view, (80, 120), 3).unwrap();
    let three = batched.occlusion(&view, (80, 120), 3).unwrap();
    assert!(close(one.p_whole, three.p_whole));
    for (a, b) in one.cells.iter().zip(&three.cells) {
        assert_eq!(a.pixel_box, b.pixel_box);
        assert!(close(a.p_special_week, b.p_special_week), "{a:?} vs {b:?}");
    }
}
