//! Any bytes, as a file a visitor drops on the page, through the path the worker takes
//! with the bundled model's input: the head check on the file's start (`check_head`, what
//! the worker reads before the whole file) and the header probe (`probe`), then decode with
//! the pixel limit and the cut-off check (`decode_upright`), the nothing-to-judge checks
//! (`judgeable`), then every crop resized into one input batch (`batch_tensor`). Every
//! outcome must be a value, never a panic, an abort or an allocation beyond libFuzzer's
//! limit; a file the head check refuses as unsupported or too large must not decode.

#![no_main]

use std::sync::LazyLock;

use classifier::ModelMeta;
use classifier::crops::CropBox;
use classifier::preprocess::{self, PreprocessError};
use libfuzzer_sys::fuzz_target;

/// The bundled model's metadata, as the page loads it.
static META: LazyLock<(ModelMeta, Vec<CropBox>)> = LazyLock::new(|| {
    let meta = ModelMeta::from_json(include_str!("../../model/model.json"))
        .expect("the bundled model.json parses");
    meta.validate().expect("the bundled model.json is valid");
    let crops = meta.crop_boxes();
    (meta, crops)
});

fuzz_target!(|bytes: &[u8]| {
    let (meta, crops) = &*META;
    // `cargo xtask fuzz` keeps inputs within 64 KiB, inside the 256 KiB head the worker
    // reads first, so the whole input is that head.
    let head = preprocess::check_head(bytes);
    let _ = preprocess::probe(bytes);
    let decoded = preprocess::decode_upright(bytes);
    if let Err(refusal @ (PreprocessError::Unsupported | PreprocessError::TooLarge { .. })) = head {
        assert!(decoded.is_err(), "the head check refused it ({refusal:?}) but it decodes");
    }
    let Ok(image) = decoded else {
        return;
    };
    let Ok(rgb) = preprocess::judgeable(image) else {
        return;
    };
    let batch = preprocess::batch_tensor(&rgb, &meta.input, crops);
    let expected: usize = meta.input.shape(crops.len()).iter().product();
    assert_eq!(
        batch.len(),
        expected,
        "the batch has the model's input shape"
    );
    assert!(
        batch.iter().all(|value| value.is_finite()),
        "every input value is finite"
    );
});
