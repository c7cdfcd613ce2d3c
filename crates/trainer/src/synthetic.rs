//! Pictures with nothing in them, generated from a seed: plain colours (white and black
//! among them), gradients, noise, stripes, checkerboards and text-like pages. They teach
//! "no character here" and measure it (kind `synthetic`).

use image::{Rgb, RgbImage, imageops};
use rand::Rng;

/// The patterns, in generation order (image `i` is pattern `i % PATTERNS.len()`).
pub const PATTERNS: [&str; 8] = [
    "plain",
    "gradient",
    "noise",
    "smooth-noise",
    "stripes",
    "checkerboard",
    "text-page",
    "shapes",
];

/// `count` generated pictures, named `synthetic-<pattern>-<i>`, 48–256 px a side.
pub fn generate(count: usize, rng: &mut impl Rng) -> Vec<(String, RgbImage)> {
    (0..count)
        .map(|i| {
            let pattern = PATTERNS[i % PATTERNS.len()];
            let (w, h) = (rng.random_range(48..=256), rng.random_range(48..=256));
            // The first plain pictures are pure white and pure black, the commonest blanks.
            let image = match (pattern, i / PATTERNS.len()) {
                ("plain", 0) => RgbImage::from_pixel(w, h, Rgb([255; 3])),
                ("plain", 1) => RgbImage::from_pixel(w, h, Rgb([0; 3])),
                _ => draw(pattern, w, h, rng),
            };
            (format!("synthetic-{pattern}-{i}"), image)
        })
        .collect()
}

fn colour(rng: &mut impl Rng) -> Rgb<u8> {
    Rgb([rng.random(), rng.random(), rng.random()])
}

fn draw(pattern: &str, w: u32, h: u32, rng: &mut impl Rng) -> RgbImage {
    let (a, b) = (colour(rng), colour(rng));
    let mix = |t: f32| {
        Rgb([0, 1, 2].map(|c| (f32::from(a.0[c]) * (1.0 - t) + f32::from(b.0[c]) * t) as u8))
    };
    match pattern {
        "plain" => RgbImage::from_pixel(w, h, a),
        "gradient" => {
            let vertical = rng.random_bool(0.5);
            RgbImage::from_fn(w, h, |x, y| {
                mix(if vertical {
                    y as f32 / h as f32
                } else {
                    x as f32 / w as f32
                })
            })
        }
        "noise" => {
            let grey = rng.random_bool(0.5);
            RgbImage::from_fn(w, h, |_, _| {
                if grey {
                    Rgb([rng.random::<u8>(); 3])
                } else {
                    colour(rng)
                }
            })
        }
        "smooth-noise" => {
            let small = RgbImage::from_fn(w / 8 + 1, h / 8 + 1, |_, _| colour(rng));
            imageops::resize(&small, w, h, imageops::FilterType::CatmullRom)
        }
        "stripes" => {
            let period = rng.random_range(4..=40);
            RgbImage::from_fn(w, h, |x, y| if (x + y) / period % 2 == 0 { a } else { b })
        }
        "checkerboard" => {
            let cell = rng.random_range(4..=32);
            RgbImage::from_fn(
                w,
                h,
                |x, y| if (x / cell + y / cell) % 2 == 0 { a } else { b },
            )
        }
        "text-page" => text_page(w, h, rng),
        _ => shapes(w, h, a, rng),
    }
}

/// Dark "words" (small blocks) in lines on a light page.
fn text_page(w: u32, h: u32, rng: &mut impl Rng) -> RgbImage {
    let paper = Rgb([rng.random_range(225..=255); 3]);
    let ink = Rgb([rng.random_range(0..=60); 3]);
    let mut page = RgbImage::from_pixel(w, h, paper);
    let line = rng.random_range(6..=14_u32);
    let mut y = line;
    while y + line < h {
        let mut x = rng.random_range(2..=8);
        while x + 4 < w {
            let word = rng.random_range(3..=20).min(w - x - 1);
            for dx in 0..word {
                for dy in 0..(line * 2 / 3) {
                    if rng.random_bool(0.7) {
                        page.put_pixel(x + dx, y + dy, ink);
                    }
                }
            }
            x += word + rng.random_range(2..=6);
        }
        y += line + line / 2;
    }
    page
}

/// A few flat rectangles and discs on a plain ground.
fn shapes(w: u32, h: u32, ground: Rgb<u8>, rng: &mut impl Rng) -> RgbImage {
    let mut image = RgbImage::from_pixel(w, h, ground);
    for _ in 0..rng.random_range(1..=6) {
        let fill = colour(rng);
        let (cx, cy) = (rng.random_range(0..w) as i64, rng.random_range(0..h) as i64);
        let r = rng.random_range(4..=(w.min(h) / 3).max(5)) as i64;
        let disc = rng.random_bool(0.5);
        for (x, y, pixel) in image.enumerate_pixels_mut() {
            let (dx, dy) = (x as i64 - cx, y as i64 - cy);
            let inside = if disc {
                dx * dx + dy * dy <= r * r
            } else {
                dx.abs() <= r && dy.abs() <= r / 2
            };
            if inside {
                *pixel = fill;
            }
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_pattern_is_made_reproducibly_with_white_and_black_first() {
        let made = generate(24, &mut StdRng::seed_from_u64(1));
        assert_eq!(made.len(), 24);
        for pattern in PATTERNS {
            assert!(
                made.iter().any(|(name, _)| name.contains(pattern)),
                "{pattern}"
            );
        }
        let white = &made[0].1;
        assert!(white.pixels().all(|p| p.0 == [255; 3]));
        let black = &made[PATTERNS.len()].1;
        assert!(black.pixels().all(|p| p.0 == [0; 3]));
        let again = generate(24, &mut StdRng::seed_from_u64(1));
        assert!(
            made.iter().zip(&again).all(|(a, b)| a == b),
            "same seed, same pictures"
        );
        for (name, image) in &made {
            assert!(image.width() >= 48 && image.height() >= 48, "{name}");
        }
    }
}
