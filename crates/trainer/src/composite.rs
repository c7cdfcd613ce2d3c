//! Characters in scenes: cut a character out by its alpha channel and paste it onto a
//! picture with no character, at a random scale, position and flip, so the model sees her
//! small, off-centre and on any background (and the background is never the cue).

use image::{DynamicImage, Rgb, RgbImage, RgbaImage, imageops};
use rand::Rng;

/// Alpha at or below this counts as transparent.
const TRANSPARENT: u8 = 16;

/// A pixel rectangle inside an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (≥ 1).
    pub w: u32,
    /// Height (≥ 1).
    pub h: u32,
}

/// The character of a picture with transparency, cropped to its opaque bounding box, with
/// premultiplied alpha (so resizing never drags the colour of transparent pixels into its
/// edges); `None` when the picture has no alpha channel or its alpha outlines nothing
/// (almost all transparent or almost all opaque).
pub fn cutout(image: &DynamicImage) -> Option<RgbaImage> {
    if !image.color().has_alpha() {
        return None;
    }
    let rgba = image.to_rgba8();
    let total = u64::from(rgba.width()) * u64::from(rgba.height());
    let (mut left, mut top, mut right, mut bottom) = (u32::MAX, u32::MAX, 0, 0);
    let mut opaque = 0_u64;
    for (x, y, pixel) in rgba.enumerate_pixels() {
        if pixel.0[3] > TRANSPARENT {
            opaque += 1;
            left = left.min(x);
            top = top.min(y);
            right = right.max(x);
            bottom = bottom.max(y);
        }
    }
    let share = opaque as f64 / total.max(1) as f64;
    if !(0.05..=0.97).contains(&share) {
        return None;
    }
    let mut cut =
        imageops::crop_imm(&rgba, left, top, right - left + 1, bottom - top + 1).to_image();
    for pixel in cut.pixels_mut() {
        let a = u32::from(pixel.0[3]);
        for c in &mut pixel.0[..3] {
            *c = ((u32::from(*c) * a + 127) / 255) as u8;
        }
    }
    Some(cut)
}

/// Pastes `cutout` (premultiplied, from [`cutout`]) onto a copy of `background`: its
/// longer side becomes `scale` (0..=1) of the background's shorter side (and never more
/// than fits), at a uniformly random position, mirrored when `flip`. Returns the scene and where the character is.
pub fn paste(
    background: &RgbImage,
    cutout: &RgbaImage,
    scale: f32,
    flip: bool,
    rng: &mut impl Rng,
) -> (RgbImage, Rect) {
    let (bw, bh) = background.dimensions();
    let (cw, ch) = cutout.dimensions();
    let target = (scale.clamp(0.0, 1.0) * bw.min(bh) as f32).max(1.0);
    let factor = (target / cw.max(ch) as f32)
        .min(bw as f32 / cw as f32)
        .min(bh as f32 / ch as f32);
    let w = ((cw as f32 * factor).round() as u32).clamp(1, bw);
    let h = ((ch as f32 * factor).round() as u32).clamp(1, bh);
    let mut sprite = imageops::resize(cutout, w, h, imageops::FilterType::Triangle);
    if flip {
        imageops::flip_horizontal_in_place(&mut sprite);
    }
    let x = rng.random_range(0..=bw - w);
    let y = rng.random_range(0..=bh - h);
    let mut scene = background.clone();
    for (sx, sy, pixel) in sprite.enumerate_pixels() {
        let [r, g, b, a] = pixel.0;
        let under = scene.get_pixel_mut(x + sx, y + sy);
        let blend = |top: u8, bottom: u8| {
            let (top, bottom, a) = (u32::from(top), u32::from(bottom), u32::from(a));
            (top + (bottom * (255 - a) + 127) / 255).min(255) as u8
        };
        *under = Rgb([
            blend(r, under.0[0]),
            blend(g, under.0[1]),
            blend(b, under.0[2]),
        ]);
    }
    (scene, Rect { x, y, w, h })
}

/// A random window of `scene` that contains `subject` and of which the subject's longer
/// side fills `fill` (0..=1) of the window's side: what a crop search would look at.
pub fn window_around(
    scene: &RgbImage,
    subject: Rect,
    fill: f32,
    rng: &mut impl Rng,
) -> (RgbImage, Rect) {
    let (sw, sh) = scene.dimensions();
    let side = ((subject.w.max(subject.h) as f32 / fill.clamp(0.05, 1.0)).round() as u32)
        .max(subject.w.max(subject.h));
    let (w, h) = (side.clamp(subject.w, sw), side.clamp(subject.h, sh));
    let mut span = |start: u32, length: u32, window: u32, limit: u32| {
        let lowest = (start + length).saturating_sub(window);
        let highest = start.min(limit - window);
        if lowest >= highest {
            highest
        } else {
            rng.random_range(lowest..=highest)
        }
    };
    let x = span(subject.x, subject.w, w, sw);
    let y = span(subject.y, subject.h, h, sh);
    let window = Rect { x, y, w, h };
    (imageops::crop_imm(scene, x, y, w, h).to_image(), window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// A red disc on transparency, 40×40.
    fn disc() -> DynamicImage {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(40, 40, |x, y| {
            let (dx, dy) = (x as i32 - 20, y as i32 - 20);
            if dx * dx + dy * dy < 15 * 15 {
                Rgba([220, 20, 30, 255])
            } else {
                Rgba([0, 255, 0, 0])
            }
        }))
    }

    #[test]
    fn cutout_crops_to_the_alpha_and_refuses_pictures_without_one() {
        let cut = cutout(&disc()).expect("a disc on transparency is a cut-out");
        assert_eq!(cut.dimensions(), (29, 29));
        let opaque = DynamicImage::ImageRgb8(RgbImage::new(10, 10));
        assert!(cutout(&opaque).is_none());
        let blank = DynamicImage::ImageRgba8(RgbaImage::new(10, 10));
        assert!(cutout(&blank).is_none(), "nothing to cut out");
    }

    #[test]
    fn paste_respects_alpha_and_stays_inside_the_frame() {
        let cut = cutout(&disc()).unwrap();
        let background = RgbImage::from_pixel(100, 60, Rgb([0, 0, 200]));
        let mut rng = StdRng::seed_from_u64(5);
        for step in 0..200 {
            let scale = 0.1 + 0.9 * (step as f32 / 199.0);
            let (scene, at) = paste(&background, &cut, scale, step % 2 == 0, &mut rng);
            assert!(at.x + at.w <= 100 && at.y + at.h <= 60, "{at:?} outside");
            assert!(
                at.w.max(at.h) <= 60,
                "no larger than the frame allows: {at:?}"
            );
            // The corners of the pasted box were transparent: the background shows.
            let corner = scene.get_pixel(at.x, at.y).0;
            assert!(
                corner[2] > 150 && corner[0] < 80,
                "{corner:?} at scale {scale}"
            );
            // The centre is the character, and nothing of the green transparent colour.
            let centre = scene.get_pixel(at.x + at.w / 2, at.y + at.h / 2).0;
            assert!(
                centre[0] > 150 && centre[2] < 100,
                "{centre:?} at scale {scale}"
            );
            assert!(
                scene.pixels().all(|p| p.0[1] < 60),
                "transparent green leaked"
            );
        }
    }

    #[test]
    fn windows_contain_the_subject() {
        let scene = RgbImage::new(200, 120);
        let subject = Rect {
            x: 150,
            y: 10,
            w: 30,
            h: 40,
        };
        let mut rng = StdRng::seed_from_u64(9);
        for fill in [0.2, 0.5, 1.0] {
            let (view, at) = window_around(&scene, subject, fill, &mut rng);
            assert_eq!(view.dimensions(), (at.w, at.h));
            assert!(
                at.x <= subject.x && at.x + at.w >= subject.x + subject.w,
                "{at:?}"
            );
            assert!(
                at.y <= subject.y && at.y + at.h >= subject.y + subject.h,
                "{at:?}"
            );
            assert!(at.x + at.w <= 200 && at.y + at.h <= 120);
        }
    }
}
