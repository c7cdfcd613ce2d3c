//! Where in the picture the answer comes from, for a model that looks at the whole image
//! only: an occlusion map. The image as the model sees it (its [`Classifier::view`]) is
//! shown to the model again with one cell of a grid covered at a time; a cell whose
//! covering lowers the Special Week probability most is where the model found her.
//!
//! Models with crops need none of this: their crops' own scores say where
//! ([`crate::Prediction::crops`]).

use image::{Rgb, RgbImage};

use crate::crops::{CropBox, PixelBox};
use crate::model::{Classifier, ClassifyError};
use crate::pooling::CropScore;
use crate::preprocess;

/// Cells per side of the occlusion grid: 4 × 4 = 16 covered views, plus the uncovered one.
pub const GRID: u32 = 4;

/// The colour a covered cell is painted: ImageNet's mean colour, which the VGG16
/// preprocessing inside the graph turns into zeros, i.e. "nothing here".
pub const COVER: Rgb<u8> = Rgb([124, 116, 104]);

/// An occlusion map of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Occlusion {
    /// The Special Week probability of the uncovered view.
    pub p_whole: f32,
    /// One per cell, row by row from the top left: the cell in pixels of the decoded image
    /// and the Special Week probability with that cell covered.
    pub cells: Vec<CropScore>,
}

impl Occlusion {
    /// How much covering each cell lowers the probability (negative where it raises it),
    /// in the order of [`Self::cells`].
    pub fn drops(&self) -> Vec<f32> {
        self.cells
            .iter()
            .map(|cell| self.p_whole - cell.p_special_week)
            .collect()
    }
}

/// The cell in row `row`, column `column` of a `grid` × `grid` split, as fractions.
fn cell(row: u32, column: u32, grid: u32) -> CropBox {
    let side = 1.0 / grid as f32;
    CropBox {
        x: column as f32 * side,
        y: row as f32 * side,
        w: side,
        h: side,
    }
}

/// `view` with the pixels of `covered` painted [`COVER`].
fn covered_view(view: &RgbImage, covered: PixelBox) -> RgbImage {
    let mut copy = view.clone();
    for y in covered.y..covered.y + covered.h {
        for x in covered.x..covered.x + covered.w {
            copy.put_pixel(x, y, COVER);
        }
    }
    copy
}

impl Classifier {
    /// The whole image as the model sees it: resized to the input size. Small (the input
    /// is a few dozen kilobytes), so it can be kept for [`Self::occlusion`] after the
    /// decoded image is gone.
    pub fn view(&self, image: &RgbImage) -> RgbImage {
        preprocess::resize(image, &self.meta().input)
    }

    /// The occlusion map of a [`Self::view`] of an `image_size` (width, height) image, on a
    /// `grid` × `grid` split (at least 1, at most the input size): `grid`² + 1 model runs,
    /// in batches of the model's batch size.
    pub fn occlusion(
        &self,
        view: &RgbImage,
        image_size: (u32, u32),
        grid: u32,
    ) -> Result<Occlusion, ClassifyError> {
        let spec = &self.meta().input;
        let grid = grid.clamp(1, spec.size);
        let cells: Vec<CropBox> = (0..grid)
            .flat_map(|row| (0..grid).map(move |column| cell(row, column, grid)))
            .collect();
        let mut inputs = vec![preprocess::to_tensor(view, spec)];
        inputs.extend(cells.iter().map(|cell| {
            let covered = cell.to_pixels(view.width(), view.height());
            preprocess::to_tensor(&covered_view(view, covered), spec)
        }));
        let probabilities = self.p_special_week_each(&inputs)?;
        let (width, height) = image_size;
        Ok(Occlusion {
            p_whole: probabilities[0],
            cells: cells
                .iter()
                .zip(&probabilities[1..])
                .map(|(cell, &p_special_week)| CropScore {
                    pixel_box: cell.to_pixels(width, height),
                    p_special_week,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_tile_the_image_row_by_row() {
        let boxes: Vec<PixelBox> = (0..3)
            .flat_map(|row| (0..3).map(move |column| cell(row, column, 3)))
            .map(|cell| cell.to_pixels(90, 60))
            .collect();
        assert_eq!(
            boxes[0],
            PixelBox {
                x: 0,
                y: 0,
                w: 30,
                h: 20
            }
        );
        assert_eq!(
            boxes[1],
            PixelBox {
                x: 30,
                y: 0,
                w: 30,
                h: 20
            }
        );
        assert_eq!(
            boxes[8],
            PixelBox {
                x: 60,
                y: 40,
                w: 30,
                h: 20
            }
        );
        let area: u32 = boxes.iter().map(|b| b.w * b.h).sum();
        assert_eq!(area, 90 * 60, "no gap and no overlap");
    }

    #[test]
    fn covering_paints_only_the_cell() {
        let view = RgbImage::from_pixel(4, 4, Rgb([1, 2, 3]));
        let covered = covered_view(
            &view,
            PixelBox {
                x: 2,
                y: 0,
                w: 2,
                h: 1,
            },
        );
        let painted: Vec<(u32, u32)> = covered
            .enumerate_pixels()
            .filter(|(_, _, pixel)| **pixel == COVER)
            .map(|(x, y, _)| (x, y))
            .collect();
        assert_eq!(painted, vec![(2, 0), (3, 0)]);
    }

    #[test]
    fn drops_are_whole_minus_covered() {
        let score = |p| CropScore {
            pixel_box: PixelBox::whole(1, 1),
            p_special_week: p,
        };
        let map = Occlusion {
            p_whole: 0.75,
            cells: vec![score(0.25), score(1.0)],
        };
        assert_eq!(map.drops(), vec![0.5, -0.25]);
    }
}
