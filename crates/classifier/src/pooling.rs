//! Many crops' probabilities → one answer: the crop most like Special Week wins.

use crate::crops::PixelBox;

/// One crop's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropScore {
    /// The crop, in pixels of the decoded image.
    pub pixel_box: PixelBox,
    /// Probability of Special Week for this crop alone.
    pub p_special_week: f32,
}

/// The model's answer for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Probability of Special Week: the highest over the crops. The threshold applies to it.
    pub p_special_week: f32,
    /// Whether `p_special_week` reaches the model's threshold.
    pub is_special_week: bool,
    /// Probabilities of all classes for the best crop, in label order.
    pub probabilities: Vec<f32>,
    /// The best crop (the first with the highest probability), in pixels of the decoded
    /// image; the whole image for a model without crops.
    pub best_box: PixelBox,
    /// Every crop's score, in the order of `model.json`'s `crops`.
    pub crops: Vec<CropScore>,
    /// Width of the decoded (upright) image in pixels.
    pub image_width: u32,
    /// Height of the decoded (upright) image in pixels.
    pub image_height: u32,
}

/// Max pooling: `rows` are the class probabilities of each crop and `boxes` the crops, in
/// the same order (at least one); the crop with the highest probability at
/// `special_week_index` decides, and `threshold` turns it into the answer.
pub fn max_pool(
    rows: Vec<Vec<f32>>,
    boxes: &[PixelBox],
    image_size: (u32, u32),
    special_week_index: usize,
    threshold: f32,
) -> Prediction {
    assert!(
        !rows.is_empty() && rows.len() == boxes.len(),
        "one row per crop"
    );
    let crops: Vec<CropScore> = rows
        .iter()
        .zip(boxes)
        .map(|(row, &pixel_box)| CropScore {
            pixel_box,
            p_special_week: row[special_week_index],
        })
        .collect();
    let best = crops.iter().enumerate().fold(0, |best, (i, crop)| {
        if crop.p_special_week > crops[best].p_special_week {
            i
        } else {
            best
        }
    });
    let p_special_week = crops[best].p_special_week;
    Prediction {
        p_special_week,
        is_special_week: p_special_week >= threshold,
        probabilities: rows.into_iter().nth(best).expect("best is a row index"),
        best_box: crops[best].pixel_box,
        crops,
        image_width: image_size.0,
        image_height: image_size.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(n: u32) -> Vec<PixelBox> {
        (0..n)
            .map(|i| PixelBox {
                x: i * 10,
                y: 0,
                w: 10,
                h: 20,
            })
            .collect()
    }

    #[test]
    fn the_highest_special_week_probability_wins_with_its_box() {
        let rows = vec![vec![0.8, 0.2], vec![0.3, 0.7], vec![0.6, 0.4]];
        let prediction = max_pool(rows, &boxes(3), (30, 20), 1, 0.5);
        assert_eq!(prediction.p_special_week, 0.7);
        assert!(prediction.is_special_week);
        assert_eq!(prediction.probabilities, [0.3, 0.7]);
        assert_eq!(prediction.best_box, boxes(3)[1]);
        let scores: Vec<f32> = prediction.crops.iter().map(|c| c.p_special_week).collect();
        assert_eq!(scores, [0.2, 0.7, 0.4]);
        assert_eq!(prediction.crops[2].pixel_box, boxes(3)[2]);
        assert_eq!((prediction.image_width, prediction.image_height), (30, 20));
    }

    #[test]
    fn the_threshold_applies_to_the_maximum_and_ties_keep_the_first() {
        let rows = vec![vec![0.4, 0.6], vec![0.1, 0.9], vec![0.1, 0.9]];
        let prediction = max_pool(rows, &boxes(3), (30, 20), 0, 0.5);
        assert_eq!(prediction.p_special_week, 0.4);
        assert!(!prediction.is_special_week);
        let tied = max_pool(vec![vec![0.9, 0.1]; 3], &boxes(3), (30, 20), 0, 0.95);
        assert_eq!(tied.best_box, boxes(3)[0]);
        assert!(!tied.is_special_week);
    }

    #[test]
    fn one_crop_is_the_plain_answer() {
        let prediction = max_pool(vec![vec![0.25, 0.75]], &boxes(1), (10, 20), 1, 0.75);
        assert_eq!(prediction.p_special_week, 0.75);
        assert!(prediction.is_special_week, "at the threshold counts");
        assert_eq!(prediction.probabilities, [0.25, 0.75]);
    }
}
