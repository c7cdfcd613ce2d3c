//! One picture on its way into the dataset: decoded through the classifier's own decoder
//! (EXIF orientation applied, alpha kept), made 8-bit, shrunk to at most [`MAX_SIDE`]
//! pixels on its long side, written as PNG.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, RgbImage};

/// The longest side a collected picture keeps.
pub const MAX_SIDE: u32 = 512;

/// Reads and decodes an image file, upright, 8-bit, at most [`MAX_SIDE`] pixels long.
/// The error is the reason it could not be read, for the summary.
pub fn load(path: &Path) -> Result<DynamicImage, String> {
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    let upright = classifier::preprocess::decode_upright(&bytes).map_err(|e| e.to_string())?;
    Ok(shrink(to_8bit(upright)))
}

/// RGBA8 when the picture has an alpha channel (the trainer cuts characters out by it),
/// else RGB8.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}

/// Shrinks (never enlarges) to fit [`MAX_SIDE`], keeping the aspect ratio, with the
/// project's area-aware bilinear filter.
fn shrink(image: DynamicImage) -> DynamicImage {
    if image.width().max(image.height()) <= MAX_SIDE {
        image
    } else {
        image.resize(MAX_SIDE, MAX_SIDE, FilterType::Triangle)
    }
}

/// What the model would see of the picture: transparency composited onto white.
pub fn as_seen(image: &DynamicImage) -> RgbImage {
    classifier::preprocess::flatten_onto_white(image.clone())
}

/// Writes the picture as a new PNG file; an existing file is never overwritten.
pub fn save_png(image: &DynamicImage, path: &Path) -> Result<()> {
    let file =
        File::create_new(path).with_context(|| format!("cannot create {}", path.display()))?;
    image
        .write_to(&mut BufWriter::new(file), ImageFormat::Png)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn shrinks_the_long_side_keeps_alpha_and_leaves_small_pictures_alone() {
        let dir = tempfile::tempdir().unwrap();
        let wide = dir.path().join("wide.png");
        RgbaImage::from_pixel(1024, 300, Rgba([10, 20, 30, 0]))
            .save(&wide)
            .unwrap();
        let loaded = load(&wide).unwrap();
        assert_eq!((loaded.width(), loaded.height()), (512, 150));
        assert!(loaded.color().has_alpha());
        assert_eq!(as_seen(&loaded).get_pixel(0, 0).0, [255, 255, 255]);

        let small = dir.path().join("small.png");
        RgbImage::new(40, 30).save(&small).unwrap();
        let loaded = load(&small).unwrap();
        assert_eq!((loaded.width(), loaded.height()), (40, 30));

        let copy = dir.path().join("copy.png");
        save_png(&loaded, &copy).unwrap();
        assert!(save_png(&loaded, &copy).is_err(), "overwrote a file");
        assert!(load(&dir.path().join("missing.png")).is_err());
    }
}
