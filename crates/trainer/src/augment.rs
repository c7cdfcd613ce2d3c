//! Cheap variety for scarce classes: random crops, horizontal flips, small colour jitter.
//! Applied to the decoded image before the shared resize.

use image::{RgbImage, imageops};
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
    if rng.random_bool(0.5) {
        imageops::flip_horizontal_in_place(&mut out);
    }
    let brightness = rng.random_range(-20.0..=20.0_f32);
    let contrast = rng.random_range(0.85..=1.15_f32);
    for value in out.iter_mut() {
        let jittered = (f32::from(*value) - 128.0) * contrast + 128.0 + brightness;
        *value = jittered.round().clamp(0.0, 255.0) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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
