//! The extra training pictures made from the dataset at training time, each tied to the
//! originals it was made from so cross-validation can leave it out with them:
//! - augmented copies of every Special Week picture (crop, flip, colour, blur, JPEG);
//! - Special Week cut out by her alpha and pasted onto pictures with no character;
//! - other characters cut out and pasted the same way, as negatives, so a scene's
//!   background is never what tells the two apart.

use image::RgbImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::augment::{augment, degrade, flip_and_jitter};
use crate::composite::{self, Rect};
use crate::dataset::Sample;

/// How many extra pictures of each sort a training run makes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AugmentPlan {
    /// Augmented copies (crop, flip, colour, blur, JPEG) of every Special Week picture.
    pub per_positive: usize,
    /// Scenes made from every Special Week cut-out.
    pub composites_per_positive: usize,
    /// Scenes made from randomly drawn cut-outs of other characters, in all.
    pub negative_composites: usize,
    /// Smallest and largest character size in a scene, as a share of its shorter side.
    pub scale: (f32, f32),
    /// Smallest share of the view's side the character fills (the view is a window of
    /// the scene around her, as the crop search would see it).
    pub min_fill: f32,
}

impl AugmentPlan {
    /// No extra pictures at all.
    pub const NONE: Self = Self {
        per_positive: 0,
        composites_per_positive: 0,
        negative_composites: 0,
        scale: (0.1, 1.0),
        min_fill: 0.35,
    };
}

/// One extra training picture.
#[derive(Debug, Clone)]
pub struct View {
    /// The picture, before the shared resize.
    pub image: RgbImage,
    /// 1 = Special Week, 0 = other.
    pub label: usize,
    /// Indices of the samples it was made from (character and background).
    pub origins: Vec<usize>,
}

/// Makes the extra pictures of `plan` from `samples` (`truth[i]` = 1 for Special Week).
/// Backgrounds are the samples of kinds with no character.
pub fn build(
    samples: &[Sample],
    truth: &[usize],
    plan: &AugmentPlan,
    rng: &mut impl Rng,
) -> Vec<View> {
    let backgrounds: Vec<usize> = (0..samples.len())
        .filter(|&i| truth[i] == 0 && samples[i].kind.has_no_character())
        .collect();
    let cutouts = |label: usize| -> Vec<usize> {
        (0..samples.len())
            .filter(|&i| truth[i] == label && samples[i].cutout.is_some())
            .collect()
    };
    let (positive_cutouts, negative_cutouts) = (cutouts(1), cutouts(0));
    let mut views = Vec::new();
    for i in (0..samples.len()).filter(|&i| truth[i] == 1) {
        for _ in 0..plan.per_positive {
            views.push(View {
                image: degrade(&augment(&samples[i].image, rng), rng),
                label: 1,
                origins: vec![i],
            });
        }
    }
    if backgrounds.is_empty() {
        return views;
    }
    let stage = Stage {
        samples,
        backgrounds,
        plan,
    };
    // Every Special Week scene has a twin: another character pasted alike onto the same
    // frame, as a negative, so the background can never tell the two apart.
    for &character in &positive_cutouts {
        for _ in 0..plan.composites_per_positive {
            let frame = stage.frame(rng);
            views.push(stage.scene(&frame, character, 1, rng));
            if !negative_cutouts.is_empty() {
                let other = negative_cutouts[rng.random_range(0..negative_cutouts.len())];
                views.push(stage.scene(&frame, other, 0, rng));
            }
        }
    }
    if !negative_cutouts.is_empty() {
        for _ in 0..plan.negative_composites {
            let character = negative_cutouts[rng.random_range(0..negative_cutouts.len())];
            let frame = stage.frame(rng);
            views.push(stage.scene(&frame, character, 0, rng));
        }
    }
    views
}

/// What scenes are made of: the samples, which of them are backgrounds, and the plan.
struct Stage<'a> {
    samples: &'a [Sample],
    backgrounds: Vec<usize>,
    plan: &'a AugmentPlan,
}

/// One background, augmented, and the seed of where characters land on it.
struct Frame {
    background: usize,
    picture: RgbImage,
    placement: StdRng,
}

impl Stage<'_> {
    /// A random background frame with a fresh placement seed.
    fn frame(&self, rng: &mut impl Rng) -> Frame {
        let background = self.backgrounds[rng.random_range(0..self.backgrounds.len())];
        let picture = augment(&self.samples[background].image, rng);
        let placement = StdRng::seed_from_u64(rng.random());
        Frame {
            background,
            picture,
            placement,
        }
    }

    /// `samples[character]`'s cut-out pasted onto the frame, seen through a window around
    /// her. Placement comes from the frame's seed, so two characters land alike.
    fn scene(&self, frame: &Frame, character: usize, label: usize, rng: &mut impl Rng) -> View {
        let mut placement = frame.placement.clone();
        let cut = self.samples[character]
            .cutout
            .as_ref()
            .expect("chosen for its cut-out");
        let scale = placement.random_range(self.plan.scale.0..=self.plan.scale.1);
        let flip = placement.random_bool(0.5);
        let (scene, at): (RgbImage, Rect) =
            composite::paste(&frame.picture, cut, scale, flip, &mut placement);
        let fill = placement.random_range(self.plan.min_fill..=1.0);
        // No crop: the window is already chosen around the character.
        let (mut view, _) = composite::window_around(&scene, at, fill, &mut placement);
        flip_and_jitter(&mut view, rng);
        View {
            image: degrade(&view, rng),
            label,
            origins: vec![character, frame.background],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Kind;
    use image::{DynamicImage, Rgba, RgbaImage};
    use std::path::PathBuf;

    fn sample(class: usize, kind: Kind, colour: [u8; 3], with_cutout: bool) -> Sample {
        let image = RgbImage::from_pixel(60, 60, image::Rgb(colour));
        let cutout = with_cutout.then(|| {
            let sprite = RgbaImage::from_fn(30, 30, |x, _| {
                if x < 20 {
                    Rgba([colour[0], colour[1], colour[2], 255])
                } else {
                    Rgba([0, 0, 0, 0])
                }
            });
            crate::composite::cutout(&DynamicImage::ImageRgba8(sprite)).unwrap()
        });
        Sample {
            path: PathBuf::from("x.png"),
            class,
            group: format!("{colour:?}"),
            kind,
            character: String::new(),
            image,
            cutout,
        }
    }

    #[test]
    fn every_special_week_scene_has_a_negative_twin_on_the_same_background() {
        let samples = vec![
            sample(1, Kind::GameArt, [200, 0, 0], true),
            sample(0, Kind::GameArt, [0, 200, 0], true),
            sample(0, Kind::Photo, [0, 0, 200], false),
            sample(0, Kind::Synthetic, [90, 90, 90], false),
        ];
        let truth = [1, 0, 0, 0];
        let plan = AugmentPlan {
            per_positive: 2,
            composites_per_positive: 5,
            negative_composites: 3,
            ..AugmentPlan::NONE
        };
        let views = build(&samples, &truth, &plan, &mut StdRng::seed_from_u64(4));
        assert_eq!(views.len(), 2 + 5 * 2 + 3);
        assert!(views[..2].iter().all(|v| v.label == 1 && v.origins == [0]));
        for pair in views[2..12].chunks(2) {
            assert_eq!((pair[0].label, pair[1].label), (1, 0));
            assert_eq!(pair[0].origins[0], 0, "the positive shows Special Week");
            assert_eq!(pair[1].origins[0], 1, "the twin shows the other character");
            assert_eq!(pair[0].origins[1], pair[1].origins[1], "same background");
            assert!(
                [2, 3].contains(&pair[0].origins[1]),
                "backgrounds have no character"
            );
        }
        assert!(
            views[12..]
                .iter()
                .all(|v| v.label == 0 && v.origins[0] == 1)
        );
        let again = build(&samples, &truth, &plan, &mut StdRng::seed_from_u64(4));
        assert!(
            views.iter().zip(&again).all(|(a, b)| a.image == b.image),
            "seeded"
        );
    }
}
