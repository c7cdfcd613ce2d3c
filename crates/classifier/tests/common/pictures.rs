//! Pictures made in code that several integration tests share.

use image::{Rgb, RgbImage};

/// An image with no two neighbouring pixels alike.
pub fn busy(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 37 + y * 11) as u8,
            (x * 5 + y * 71) as u8,
            (x * y * 13 + 7) as u8,
        ])
    })
}
