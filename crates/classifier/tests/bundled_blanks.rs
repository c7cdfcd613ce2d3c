//! The bundled model on pictures with nothing in them: a plain white, a plain black and a
//! noise image must each get 「これは スペシャルウィーク以外 です」 from the model. The model
//! before the v2 dataset called all three Special Week (74 %, 64 % and more). (The
//! classifier now refuses the plain ones before the model sees them, as one flat colour;
//! the model is checked on their tensors directly.)

mod common;

use std::io::Cursor;

use classifier::model::{ClassifyError, answer_ja};
use classifier::preprocess::{self, NothingToJudge, PreprocessError};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

fn png(image: RgbImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

/// Uniform colour noise from a small linear congruential generator (fixed seed).
fn noise(width: u32, height: u32) -> RgbImage {
    let mut state: u32 = 0x2545_f491;
    RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        };
        Rgb([next(), next(), next()])
    })
}

#[test]
fn blank_and_noise_pictures_are_not_special_week() {
    let classifier = common::bundled();
    let cases = [
        (
            "white",
            RgbImage::from_pixel(300, 200, Rgb([255, 255, 255])),
        ),
        ("black", RgbImage::from_pixel(300, 200, Rgb([0, 0, 0]))),
        ("noise", noise(256, 256)),
    ];
    for (name, image) in cases {
        let prediction = if name == "noise" {
            classifier.classify(&png(image)).unwrap()
        } else {
            assert_eq!(
                classifier.classify(&png(image.clone())).unwrap_err(),
                ClassifyError::Image(PreprocessError::NothingToJudge(NothingToJudge::FlatColour)),
                "{name}"
            );
            let crops = classifier.meta().crop_boxes();
            let batch = preprocess::batch_tensor(&image, &classifier.meta().input, &crops);
            classifier
                .classify_batch(batch, image.width(), image.height())
                .unwrap()
        };
        assert!(
            !prediction.is_special_week,
            "{name}: P(Special Week) = {} ≥ threshold {}",
            prediction.p_special_week,
            classifier.meta().threshold
        );
        assert_eq!(
            answer_ja(classifier.meta(), &prediction),
            "これは スペシャルウィーク以外 です"
        );
    }
}
