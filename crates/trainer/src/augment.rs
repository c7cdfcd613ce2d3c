//! Cheap variety for scarce classes: random crops, horizontal flips, small colour jitter,
//! blur and JPEG artefacts. Applied to the decoded image before the shared resize.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage, imageops};
use rand::Rng;

/// Returns a randomly cropped (75–100 % of each side), maybe mirrored, slightly
/// brightness/contrast-jittered copy.
pub fn augment(image: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let (width, height) = image.dimensions();
    let crop_w = ((width as f32) * rng.random_range(0.75..=1.0))
        .round()
        .max(1.0) as u32;
    let crop_h = ((height as f32) * rng.random_range(0.75..=1.0))
        .round()
        .max(1.0) as u32;
    let x = rng.random_range(0..=width - crop_w);
    let y = rng.random_range(0..=height - crop_h);
    let mut out = imageops::crop_imm(image, x, y, crop_w, crop_h).to_image();
    flip_and_jitter(&mut out, rng);
    out
}

/// Maybe mirrors, then shifts brightness by ±20 and scales contrast by ±15 %, in place.
pub fn flip_and_jitter(image: &mut RgbImage, rng: &mut impl Rng) {
    if rng.random_bool(0.5) {
        imageops::flip_horizontal_in_place(image);
    }
    let brightness = rng.random_range(-20.0..=20.0_f32);
    let contrast = rng.random_range(0.85..=1.15_f32);
    for value in image.iter_mut() {
        let jittered = (f32::from(*value) - 128.0) * contrast + 128.0 + brightness;
        *value = jittered.round().clamp(0.0, 255.0) as u8;
    }
}

/// Sometimes blurs (σ 0.4–1.5, one time in three) and sometimes re-encodes as a JPEG of
/// quality 15–70 (one time in three), the way pictures found online are degraded.
pub fn degrade(image: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let mut out = image.clone();
    if rng.random_bool(1.0 / 3.0) {
        out = imageops::blur(&out, rng.random_range(0.4..=1.5));
    }
    if rng.random_bool(1.0 / 3.0) {
        out = jpeg_round_trip(&out, rng.random_range(15..=70));
    }
    out
}

/// Encodes as JPEG at `quality` and decodes again.
pub fn jpeg_round_trip(image: &RgbImage, quality: u8) -> RgbImage {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .expect("an RGB image always encodes as JPEG");
    image::load(Cursor::new(bytes), ImageFormat::Jpeg)
        .expect("a JPEG just encoded decodes")
        .to_rgb8()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn jpeg_artefacts_change_pixels_but_keep_the_picture() {
        let image = RgbImage::from_fn(32, 32, |x, y| {
            image::Rgb([(x * 8) as u8, (y * 8) as u8, 90])
        });
        let rough = jpeg_round_trip(&image, 15);
        assert_eq!(rough.dimensions(), image.dimensions());
        let error: u64 = rough
            .iter()
            .zip(image.iter())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = error as f64 / image.len() as f64;
        assert!(mean > 0.2 && mean < 20.0, "mean absolute change {mean}");
    }

    #[test]
    fn crops_stay_inside_and_keep_most_of_the_image() {
        let image = RgbImage::from_pixel(40, 20, image::Rgb([100, 150, 200]));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..50 {
            let out = augment(&image, &mut rng);
            assert!((30..=40).contains(&out.width()), "width {}", out.width());
            assert!((15..=20).contains(&out.height()), "height {}", out.height());
            let [r, _, b] = out.get_pixel(0, 0).0;
            assert!(r < b, "colour order kept under jitter");
        }
    }
}
