//! Whether a decoded image has anything to judge. A line of pixels, a single colour or a
//! fully transparent image would still get a confident answer from the model; the
//! classifier refuses them instead.

use image::{DynamicImage, GenericImageView, RgbImage};

/// The smallest width and height judged, in pixels.
pub const MIN_SIDE: u32 = 16;

/// The largest difference between the lightest and darkest value of every channel for
/// which an image still counts as one flat colour (JPEG varies a flat colour by a level
/// or two).
pub const FLAT_SPREAD: u8 = 2;

/// Why an image has nothing to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NothingToJudge {
    /// Narrower or lower than [`MIN_SIDE`].
    TooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Every pixel is fully transparent.
    Transparent,
    /// Every pixel has the same colour, within [`FLAT_SPREAD`].
    FlatColour,
}

/// Checks the size and the transparency of the decoded image (before it is flattened).
pub fn check_shape(image: &DynamicImage) -> Result<(), NothingToJudge> {
    let (width, height) = image.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(NothingToJudge::TooSmall { width, height });
    }
    if image.color().has_alpha() && image.pixels().all(|(_, _, pixel)| pixel.0[3] == 0) {
        return Err(NothingToJudge::Transparent);
    }
    Ok(())
}

/// Checks that the flattened image is not one flat colour.
pub fn check_colours(image: &RgbImage) -> Result<(), NothingToJudge> {
    let mut low = [u8::MAX; 3];
    let mut high = [u8::MIN; 3];
    for pixel in image.pixels() {
        for channel in 0..3 {
            low[channel] = low[channel].min(pixel.0[channel]);
            high[channel] = high[channel].max(pixel.0[channel]);
            if high[channel] - low[channel] > FLAT_SPREAD {
                return Ok(());
            }
        }
    }
    Err(NothingToJudge::FlatColour)
}

#[cfg(test)]
mod tests {
    use image::{Rgb, Rgba, RgbaImage};

    use super::*;

    #[test]
    fn sixteen_pixels_a_side_is_the_smallest_judged() {
        let sized = |w, h| DynamicImage::ImageRgb8(RgbImage::new(w, h));
        assert_eq!(check_shape(&sized(16, 16)), Ok(()));
        assert_eq!(
            check_shape(&sized(15, 400)),
            Err(NothingToJudge::TooSmall {
                width: 15,
                height: 400
            })
        );
        assert!(check_shape(&sized(400, 15)).is_err());
    }

    #[test]
    fn one_visible_pixel_is_enough_to_not_be_transparent() {
        let mut image = RgbaImage::from_pixel(20, 20, Rgba([9, 9, 9, 0]));
        assert_eq!(
            check_shape(&DynamicImage::ImageRgba8(image.clone())),
            Err(NothingToJudge::Transparent)
        );
        image.put_pixel(19, 19, Rgba([9, 9, 9, 1]));
        assert_eq!(check_shape(&DynamicImage::ImageRgba8(image)), Ok(()));
    }

    #[test]
    fn a_spread_over_two_levels_in_any_channel_is_not_flat() {
        let mut image = RgbImage::from_pixel(20, 20, Rgb([100, 100, 100]));
        image.put_pixel(3, 3, Rgb([100, 102, 98]));
        assert_eq!(check_colours(&image), Err(NothingToJudge::FlatColour));
        image.put_pixel(4, 4, Rgb([100, 100, 103]));
        assert_eq!(check_colours(&image), Ok(()));
    }
}
