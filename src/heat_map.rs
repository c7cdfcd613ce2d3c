//! The 「根拠を表示」 overlay as plain data: where in the picture the answer comes from, as
//! cells of the image with a heat in 0..=1, made from the worker's crop scores (a model
//! with crops) or from its occlusion map (a model without).

use worker_protocol::{BoxPx, Occlusion, ScoredBox};

/// Cells per side of the grid a crop model's scores are spread over.
pub const CROP_GRID: u32 = 8;

/// The smallest drop of the probability (covering one cell) that counts as a place the
/// answer comes from; below it the map stays cold.
pub const MIN_DROP: f32 = 0.01;

/// One cell of the overlay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatCell {
    /// The cell, in pixels of the decoded image.
    pub region: BoxPx,
    /// How much the answer comes from here, 0..=1.
    pub heat: f32,
}

/// What the heat of a map means, for its caption.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeatSource {
    /// The mean Special Week probability of the crops covering each cell.
    Crops {
        /// How many crops the model looked at.
        crops: usize,
    },
    /// How much covering each cell lowers the probability, relative to the largest drop.
    Occlusion {
        /// How many cells were covered one at a time.
        cells: usize,
        /// The largest drop of the probability, 0..=1.
        largest_drop: f32,
        /// How long the worker took, in milliseconds.
        ms: f64,
    },
}

/// A heat map over one image.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// The cells, row by row; together they cover the image.
    pub cells: Vec<HeatCell>,
    /// What the heat means.
    pub source: HeatSource,
}

impl HeatMap {
    /// From a crop model's scores (at least one crop): each cell of a [`CROP_GRID`] grid
    /// gets the mean probability of the crops that contain its centre (0 if none does).
    pub fn from_crops(crops: &[ScoredBox]) -> Self {
        let (width, height) = crops
            .first()
            .map_or((1, 1), |c| (c.region.image_width, c.region.image_height));
        let cells = grid(width, height, CROP_GRID)
            .into_iter()
            .map(|region| {
                let centre = (
                    f64::from(region.x) + f64::from(region.w) / 2.0,
                    f64::from(region.y) + f64::from(region.h) / 2.0,
                );
                let covering: Vec<f32> = crops
                    .iter()
                    .filter(|crop| contains(&crop.region, centre))
                    .map(|crop| crop.p_special_week)
                    .collect();
                let heat = if covering.is_empty() {
                    0.0
                } else {
                    covering.iter().sum::<f32>() / covering.len() as f32
                };
                HeatCell {
                    region,
                    heat: heat.clamp(0.0, 1.0),
                }
            })
            .collect();
        Self {
            cells,
            source: HeatSource::Crops { crops: crops.len() },
        }
    }

    /// From an occlusion map: a cell is as hot as covering it lowers the probability,
    /// relative to the largest drop; a cell that raises it is cold, and so is every cell
    /// when no drop reaches [`MIN_DROP`].
    pub fn from_occlusion(map: &Occlusion) -> Self {
        let drop = |cell: &ScoredBox| map.p_whole - cell.p_special_week;
        let largest_drop = map.cells.iter().map(drop).fold(0.0, f32::max);
        let cells = map
            .cells
            .iter()
            .map(|cell| HeatCell {
                region: cell.region,
                heat: if largest_drop >= MIN_DROP {
                    (drop(cell) / largest_drop).clamp(0.0, 1.0)
                } else {
                    0.0
                },
            })
            .collect();
        Self {
            cells,
            source: HeatSource::Occlusion {
                cells: map.cells.len(),
                largest_drop,
                ms: map.ms,
            },
        }
    }
}

/// Whether a point (in pixels) lies inside a box.
fn contains(region: &BoxPx, (x, y): (f64, f64)) -> bool {
    let (left, top) = (f64::from(region.x), f64::from(region.y));
    (left..left + f64::from(region.w)).contains(&x) && (top..top + f64::from(region.h)).contains(&y)
}

/// A `side` × `side` split of a `width` × `height` image, row by row; cells of a small
/// image may be empty in one direction, and are left out.
fn grid(width: u32, height: u32, side: u32) -> Vec<BoxPx> {
    let edges = |size: u32| -> Vec<u32> {
        (0..=side)
            .map(|i| (u64::from(size) * u64::from(i) / u64::from(side)) as u32)
            .collect()
    };
    let (xs, ys) = (edges(width), edges(height));
    let mut cells = Vec::new();
    for row in ys.windows(2) {
        for column in xs.windows(2) {
            if row[1] > row[0] && column[1] > column[0] {
                cells.push(BoxPx {
                    x: column[0],
                    y: row[0],
                    w: column[1] - column[0],
                    h: row[1] - row[0],
                    image_width: width,
                    image_height: height,
                });
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(x: u32, y: u32, w: u32, h: u32, p: f32) -> ScoredBox {
        ScoredBox {
            region: BoxPx {
                x,
                y,
                w,
                h,
                image_width: 80,
                image_height: 40,
            },
            p_special_week: p,
        }
    }

    #[test]
    fn the_grid_covers_the_image_once() {
        let cells = grid(81, 40, CROP_GRID);
        assert_eq!(cells.len(), 64);
        let area: u32 = cells.iter().map(|c| c.w * c.h).sum();
        assert_eq!(area, 81 * 40);
        assert_eq!(
            grid(3, 40, CROP_GRID).len(),
            3 * 8,
            "empty columns are left out"
        );
    }

    #[test]
    fn crop_heat_is_the_mean_of_the_crops_over_each_cell() {
        // The whole image at 0.2 and its left half at 0.8.
        let map = HeatMap::from_crops(&[scored(0, 0, 80, 40, 0.2), scored(0, 0, 40, 40, 0.8)]);
        assert_eq!(map.source, HeatSource::Crops { crops: 2 });
        for cell in &map.cells {
            let expected = if cell.region.x < 40 { 0.5 } else { 0.2 };
            assert!((cell.heat - expected).abs() < 1e-6, "{cell:?}");
        }
    }

    #[test]
    fn cells_no_crop_covers_are_cold() {
        let map = HeatMap::from_crops(&[scored(40, 0, 40, 40, 0.9)]);
        assert!(
            map.cells
                .iter()
                .all(|c| (c.heat == 0.0) == (c.region.x < 40))
        );
    }

    fn occlusion(p_whole: f32, covered: &[f32]) -> Occlusion {
        Occlusion {
            p_whole,
            cells: covered
                .iter()
                .enumerate()
                .map(|(i, &p)| scored(i as u32 * 20, 0, 20, 40, p))
                .collect(),
            ms: 42.0,
        }
    }

    #[test]
    fn occlusion_heat_is_the_drop_relative_to_the_largest() {
        let map = HeatMap::from_occlusion(&occlusion(0.9, &[0.5, 0.7, 0.95, 0.9]));
        let heats: Vec<f32> = map.cells.iter().map(|c| c.heat).collect();
        assert!((heats[0] - 1.0).abs() < 1e-6);
        assert!((heats[1] - 0.5).abs() < 1e-6);
        assert_eq!(&heats[2..], [0.0, 0.0], "raising or keeping is cold");
        match map.source {
            HeatSource::Occlusion {
                cells,
                largest_drop,
                ms,
            } => {
                assert_eq!((cells, ms), (4, 42.0));
                assert!((largest_drop - 0.4).abs() < 1e-6);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tiny_drops_leave_the_map_cold() {
        let map = HeatMap::from_occlusion(&occlusion(0.5, &[0.495, 0.5]));
        assert!(map.cells.iter().all(|c| c.heat == 0.0));
    }
}
