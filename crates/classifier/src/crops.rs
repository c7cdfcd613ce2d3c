//! Multi-crop search: the boxes of an image a model looks at, and their pixel geometry.
//!
//! `model.json` may list boxes as fractions of the decoded (upright) image; every box is
//! cut out, resized to the model's input and classified in one batch, and the highest
//! Special Week probability wins (see [`crate::model`]). Without a list the model sees the
//! whole image only, i.e. the list is `[whole()]`.

use serde::{Deserialize, Serialize};

/// How far (as a fraction) a box may stick out of 0..=1 and still count as inside, so
/// that boxes written as decimals like `0.3333` + `0.6667` are accepted.
pub const SLACK: f32 = 1e-6;

/// A box as fractions (0..=1) of an image's width and height, origin top left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CropBox {
    /// Left edge, as a fraction of the image's width.
    pub x: f32,
    /// Top edge, as a fraction of the image's height.
    pub y: f32,
    /// Width, as a fraction of the image's width.
    pub w: f32,
    /// Height, as a fraction of the image's height.
    pub h: f32,
}

/// A box in whole pixels of one image, origin top left; at least 1×1 and always inside
/// the image it was computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PixelBox {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

/// The box covering the whole image.
pub fn whole() -> CropBox {
    CropBox {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: 1.0,
    }
}

impl CropBox {
    /// Why this box is unusable, if it is: non-finite values, an empty size, or a part
    /// outside the image (beyond [`SLACK`]).
    pub fn problem(&self) -> Option<&'static str> {
        let values = [self.x, self.y, self.w, self.h];
        if values.iter().any(|v| !v.is_finite()) {
            Some("has a non-finite value")
        } else if self.w <= 0.0 || self.h <= 0.0 {
            Some("has w or h <= 0")
        } else if self.x < -SLACK || self.y < -SLACK {
            Some("has x or y < 0")
        } else if self.x + self.w > 1.0 + SLACK || self.y + self.h > 1.0 + SLACK {
            Some("reaches past the image (x + w or y + h > 1)")
        } else {
            None
        }
    }

    /// The box in pixels of a `width`×`height` image (both at least 1): each edge is
    /// rounded to the nearest pixel edge, then clamped so the box is inside the image and
    /// at least one pixel wide and high. [`whole()`] gives exactly the whole image.
    pub fn to_pixels(&self, width: u32, height: u32) -> PixelBox {
        let (x, w) = span(self.x, self.w, width);
        let (y, h) = span(self.y, self.h, height);
        PixelBox { x, y, w, h }
    }
}

impl PixelBox {
    /// The box covering a whole `width`×`height` image.
    pub fn whole(width: u32, height: u32) -> Self {
        Self {
            x: 0,
            y: 0,
            w: width,
            h: height,
        }
    }
}

/// Start and length in pixels of the fractional interval `start..start + length` of
/// `size` pixels.
fn span(start: f32, length: f32, size: u32) -> (u32, u32) {
    let size = size.max(1);
    let edge = |fraction: f32| (f64::from(fraction) * f64::from(size)).round();
    let first = edge(start).clamp(0.0, f64::from(size - 1)) as u32;
    let end = edge(start + length).clamp(f64::from(first + 1), f64::from(size)) as u32;
    (first, end - first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crop(x: f32, y: f32, w: f32, h: f32) -> CropBox {
        CropBox { x, y, w, h }
    }

    fn px(x: u32, y: u32, w: u32, h: u32) -> PixelBox {
        PixelBox { x, y, w, h }
    }

    #[test]
    fn the_whole_box_is_the_whole_image() {
        for (width, height) in [(1, 1), (2, 1), (640, 480), (3, 1000)] {
            assert_eq!(
                whole().to_pixels(width, height),
                PixelBox::whole(width, height)
            );
        }
    }

    #[test]
    fn edges_round_to_the_nearest_pixel() {
        // 10 px: 0.25 → 2.5 rounds to 3, 0.25 + 0.5 → 7.5 rounds to 8.
        assert_eq!(crop(0.25, 0.0, 0.5, 1.0).to_pixels(10, 4), px(3, 0, 5, 4));
        assert_eq!(
            crop(0.5, 0.5, 0.5, 0.5).to_pixels(100, 50),
            px(50, 25, 50, 25)
        );
        // Thirds of 100 px: 33, 67, 100 → boxes of 33, 34, 33.
        let third = 1.0 / 3.0;
        let widths: Vec<u32> = (0..3)
            .map(|i| crop(third * i as f32, 0.0, third, 1.0).to_pixels(100, 1).w)
            .collect();
        assert_eq!(widths, [33, 34, 33]);
    }

    #[test]
    fn boxes_stay_inside_and_at_least_one_pixel() {
        // A sliver at the right edge of a tiny image still gets its last column.
        assert_eq!(crop(0.99, 0.99, 0.01, 0.01).to_pixels(3, 3), px(2, 2, 1, 1));
        // A box smaller than a pixel at the left edge gets one pixel.
        assert_eq!(crop(0.0, 0.0, 0.001, 0.001).to_pixels(5, 5), px(0, 0, 1, 1));
        // 1×1 images: every box is the pixel.
        for c in [whole(), crop(0.5, 0.5, 0.5, 0.5), crop(0.0, 0.0, 0.1, 0.1)] {
            assert_eq!(c.to_pixels(1, 1), px(0, 0, 1, 1));
        }
        // Slack past 1 is clamped back into the image.
        assert_eq!(
            crop(0.5, 0.0, 0.500001, 1.0).to_pixels(7, 2),
            px(4, 0, 3, 2)
        );
    }

    #[test]
    fn bad_boxes_are_named() {
        assert_eq!(whole().problem(), None);
        assert_eq!(crop(0.5, 0.5, 0.5 + SLACK / 2.0, 0.5).problem(), None);
        assert!(crop(f32::NAN, 0.0, 0.5, 0.5).problem().is_some());
        assert!(crop(0.0, 0.0, f32::INFINITY, 0.5).problem().is_some());
        assert!(crop(0.0, 0.0, 0.0, 0.5).problem().is_some());
        assert!(crop(0.0, 0.0, 0.5, -0.1).problem().is_some());
        assert!(crop(-0.1, 0.0, 0.5, 0.5).problem().is_some());
        assert!(crop(0.6, 0.0, 0.5, 0.5).problem().is_some());
        assert!(crop(0.0, 0.6, 0.5, 0.5).problem().is_some());
    }
}
