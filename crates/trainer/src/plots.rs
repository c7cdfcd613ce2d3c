//! The report's pictures: loss / val-loss per epoch (like the original's plot) and ROC.

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;

const SIZE: (u32, u32) = (720, 480);

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu Sans is embedded by the `dejavu` crate: no system fonts needed.
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is valid"));
    });
}

/// Draws training and validation loss per epoch.
pub fn loss_curve(path: &Path, title: &str, loss: &[f64], val_loss: &[f64]) -> Result<()> {
    register_font();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let epochs = loss.len().max(1) as f64;
    let top = loss.iter().chain(val_loss).copied().fold(0.0, f64::max) * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(1.0..epochs.max(2.0), 0.0..top.max(1e-3))
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    let series = |values: &[f64]| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| ((i + 1) as f64, *v))
            .collect::<Vec<_>>()
    };
    chart
        .draw_series(LineSeries::new(series(loss), BLUE.stroke_width(2)))
        .map_err(|e| anyhow!("{e}"))?
        .label("loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(series(val_loss), RED.stroke_width(2)))
        .map_err(|e| anyhow!("{e}"))?
        .label("val_loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))
}

/// Draws the ROC curve with its AUC and the chosen operating point.
pub fn roc(
    path: &Path,
    title: &str,
    points: &[(f64, f64)],
    auc: f64,
    chosen: (f64, f64),
) -> Result<()> {
    register_font();
    let root = BitMapBackend::new(path, (560, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{title} (AUC {auc:.3})"), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("false positive rate")
        .y_desc("true positive rate (Special Week recall)")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            BLUE.stroke_width(2),
        ))
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .draw_series([Circle::new(chosen, 6, RED.filled())])
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))
}

/// One picture on a contact sheet, with its caption.
pub struct Tile<'a> {
    /// The picture (any size; shown fitted into a square).
    pub image: &'a image::RgbImage,
    /// Up to two short lines under it.
    pub caption: String,
    /// Frame colour: red for a false positive, blue for a missed Special Week.
    pub false_positive: bool,
}

/// Draws pictures in a grid, each fitted into a 128-px square with a coloured frame and
/// its caption: the failure modes at a glance.
pub fn contact_sheet(path: &Path, title: &str, tiles: &[Tile]) -> Result<()> {
    const SIDE: u32 = 128;
    const CELL_W: u32 = SIDE + 16;
    const CELL_H: u32 = SIDE + 44;
    const COLUMNS: u32 = 6;
    register_font();
    let rows = (tiles.len() as u32).div_ceil(COLUMNS).max(1);
    let (width, height) = (COLUMNS * CELL_W, 36 + rows * CELL_H);
    let mut sheet = image::RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
    for (i, tile) in tiles.iter().enumerate() {
        let (column, row) = (i as u32 % COLUMNS, i as u32 / COLUMNS);
        let (x, y) = (column * CELL_W + 8, 36 + row * CELL_H + 4);
        let frame = if tile.false_positive {
            image::Rgb([220, 30, 30])
        } else {
            image::Rgb([30, 60, 220])
        };
        for dy in 0..SIDE + 4 {
            for dx in 0..SIDE + 4 {
                sheet.put_pixel(x + dx - 2, y + dy - 2, frame);
            }
        }
        let (w, h) = tile.image.dimensions();
        let scale = SIDE as f32 / w.max(h) as f32;
        let thumb = image::imageops::resize(
            tile.image,
            ((w as f32 * scale).round() as u32).clamp(1, SIDE),
            ((h as f32 * scale).round() as u32).clamp(1, SIDE),
            image::imageops::FilterType::Triangle,
        );
        let mut square = image::RgbImage::from_pixel(SIDE, SIDE, image::Rgb([255, 255, 255]));
        let (ox, oy) = ((SIDE - thumb.width()) / 2, (SIDE - thumb.height()) / 2);
        image::imageops::replace(&mut square, &thumb, i64::from(ox), i64::from(oy));
        image::imageops::replace(&mut sheet, &square, i64::from(x), i64::from(y));
    }
    {
        let root = BitMapBackend::with_buffer(sheet.as_mut(), (width, height)).into_drawing_area();
        let text = |size| ("sans-serif", size).into_font().color(&BLACK);
        root.draw_text(title, &text(18), (8, 8))
            .map_err(|e| anyhow!("{e}"))?;
        for (i, tile) in tiles.iter().enumerate() {
            let (column, row) = (i as u32 % COLUMNS, i as u32 / COLUMNS);
            let (x, y) = (column * CELL_W + 6, 36 + row * CELL_H + SIDE + 8);
            for (line, part) in tile.caption.lines().take(2).enumerate() {
                let clipped: String = part.chars().take(22).collect();
                root.draw_text(
                    &clipped,
                    &text(12),
                    (x as i32, (y + 14 * line as u32) as i32),
                )
                .map_err(|e| anyhow!("{e}"))?;
            }
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    sheet
        .save(path)
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}
