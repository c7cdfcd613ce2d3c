//! The extra training pictures made from the dataset at training time, each tied to the
//! originals it was made from so cross-validation can leave it out with them:
//! - augmented copies of every Special Week picture (crop, flip, colour, blur, JPEG);
//! - Special Week cut out by her alpha and pasted onto pictures with no character;
//! - other characters cut out and pasted the same way, as negatives, so a scene's
//!   background is never what tells the two apart.

use image::{RgbImage, imageops};
use rand::Rng;
use serde::Serialize;

use crate::augment::{augment, degrade};
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
    for &character in &positive_cutouts {
        for _ in 0..plan.composites_per_positive {
            views.push(scene(
                samples,
                &backgrounds,
                character,
                truth[character],
                plan,
                rng,
            ));
        }
    }
    if !negative_cutouts.is_empty() {
        for _ in 0..plan.negative_composites {
            let character = negative_cutouts[rng.random_range(0..negative_cutouts.len())];
            views.push(scene(
                samples,
                &backgrounds,
                character,
                truth[character],
                plan,
                rng,
            ));
        }
    }
    views
}

/// `samples[character]`'s cut-out pasted onto a random background, seen through a window
/// around her.
fn scene(
    samples: &[Sample],
    backgrounds: &[usize],
    character: usize,
    label: usize,
    plan: &AugmentPlan,
    rng: &mut impl Rng,
) -> View {
    let background = backgrounds[rng.random_range(0..backgrounds.len())];
    let cut = samples[character]
        .cutout
        .as_ref()
        .expect("chosen for its cut-out");
    let frame = augment(&samples[background].image, rng);
    let scale = rng.random_range(plan.scale.0..=plan.scale.1);
    let flip = rng.random_bool(0.5);
    let (scene, at): (RgbImage, Rect) = composite::paste(&frame, cut, scale, flip, rng);
    let fill = rng.random_range(plan.min_fill..=1.0);
    let (view, _) = composite::window_around(&scene, at, fill, rng);
    View {
        image: degrade(&jitter_only(&view, rng), rng),
        label,
        origins: vec![character, background],
    }
}

/// Colour jitter without cropping (the window is already chosen around the character).
fn jitter_only(image: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let mut out = image.clone();
    if rng.random_bool(0.5) {
        imageops::flip_horizontal_in_place(&mut out);
    }
    let brightness = rng.random_range(-20.0..=20.0_f32);
    let contrast = rng.random_range(0.85..=1.15_f32);
    for value in out.iter_mut() {
        *value = ((f32::from(*value) - 128.0) * contrast + 128.0 + brightness)
            .round()
            .clamp(0.0, 255.0) as u8;
    }
    out
}
