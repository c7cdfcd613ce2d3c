//! How a compressed model stores each weight. Every layer starts as int8 with one scale
//! per output channel (the smallest form); while some picture's answer or probability moves
//! too far, the layer whose current form moves the failing pictures most moves one step up
//! the [`Storage`] ladder (a `Conv` to one scale per kernel, 11 % larger; then any layer to
//! f16, twice the size of int8 and close to exact), one layer at a time, until every picture
//! agrees.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use classifier::{Classifier, ModelMeta};
use rayon::prelude::*;

use crate::quantize::{self, InputMeans, LayerWeight, QuantizeSummary, Storage};

/// How far a candidate model is from the reference on one picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deviation {
    /// |Δ P(Special Week)|.
    pub diff: f32,
    /// Whether the answer differs (as the [`Agreement`] counts it).
    pub flipped: bool,
    /// The candidate's P(Special Week) (0 for a picture it refuses to judge).
    pub p: f32,
}

/// The pictures a compressed model is held to, and the reference's answers on them.
pub trait Agreement: Sync {
    /// How many pictures there are.
    fn pictures(&self) -> usize;
    /// The candidate's deviation from the reference on picture `index`.
    fn deviation(&self, candidate: &Classifier, index: usize) -> Result<Deviation>;
}

/// The chosen storage and what it gives.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The compressed ONNX file.
    pub onnx: Vec<u8>,
    /// Its `model.json` (the f32 one with the new checksum).
    pub meta: ModelMeta,
    /// How many tensors went to int8 and f16.
    pub summary: QuantizeSummary,
    /// The `Conv` weights stored as int8 with one scale per kernel, in graph order.
    pub per_kernel_layers: Vec<String>,
    /// The weights stored as f16, in graph order.
    pub f16_layers: Vec<String>,
    /// Every picture's deviation under the chosen storage.
    pub deviations: Vec<Deviation>,
}

/// Pictures added to the probe set after a failed full check: the worst ones, plus every
/// one that failed (up to [`MAX_PROBES`] in all).
const WORST_PROBES: usize = 8;
/// The most pictures the per-layer sensitivity is measured on.
const MAX_PROBES: usize = 32;

/// Compresses `f32_onnx` (described by `meta`; `means` from [`InputMeans::measure`]) in the
/// smallest storage, layer by layer, that keeps every picture of `agreement` within
/// `max_diff` and its answer. Fails only if even f16 everywhere moves an answer.
pub fn choose(
    f32_onnx: &[u8],
    meta: &ModelMeta,
    means: &InputMeans,
    agreement: &dyn Agreement,
    max_diff: f32,
) -> Result<Choice> {
    let layers = quantize::layer_weights(f32_onnx)?;
    let all: Vec<usize> = (0..agreement.pictures()).collect();
    let mut storage: BTreeMap<String, Storage> = layers
        .iter()
        .map(|l| (l.name.clone(), Storage::Int8))
        .collect();
    let mut probes: BTreeSet<usize> = BTreeSet::new();
    let mut ranking: Vec<String> = Vec::new();
    loop {
        let store = |name: &str| storage.get(name).copied().unwrap_or(Storage::F32);
        let (onnx, summary) = quantize::compress(f32_onnx, Some(means), &store)?;
        let candidate_meta = ModelMeta {
            model_sha256: classifier::model::sha256_hex(&onnx),
            ..meta.clone()
        };
        let candidate = Classifier::load(onnx.clone(), candidate_meta.clone())
            .context("the compressed model does not load")?;
        let probe_list: Vec<usize> = probes.iter().copied().collect();
        let probes_pass = probe_list.is_empty()
            || passes(&deviations(&candidate, agreement, &probe_list)?, max_diff);
        if probes_pass {
            let deviations = deviations(&candidate, agreement, &all)?;
            let worst = deviations.iter().map(|d| d.diff).fold(0.0, f32::max);
            let changed = deviations.iter().filter(|d| d.flipped).count();
            eprintln!(
                "compressed ({}): {} bytes, max |Δp| {worst:.4} on {} pictures, {changed} answer(s) changed",
                describe(&storage),
                onnx.len(),
                all.len()
            );
            if passes(&deviations, max_diff) {
                let stored_as = |wanted: Storage| {
                    layers
                        .iter()
                        .filter(|l| storage[&l.name] == wanted)
                        .map(|l| l.name.clone())
                        .collect()
                };
                return Ok(Choice {
                    onnx,
                    meta: candidate_meta,
                    summary,
                    per_kernel_layers: stored_as(Storage::Int8PerKernel),
                    f16_layers: stored_as(Storage::F16),
                    deviations,
                });
            }
            probes.extend(failing(&deviations, max_diff));
            // New probes: the ranking is measured again on them below.
            ranking.clear();
        }
        let mut next = take_next(&mut ranking, &storage, &layers);
        if next.is_none() && !fully_exact(&storage, &layers) {
            // New probes, or every ranked layer has moved once since it was measured.
            ranking = rank_layers(
                f32_onnx,
                meta,
                means,
                agreement,
                &probes.iter().copied().collect::<Vec<_>>(),
                &storage,
            )?;
            next = take_next(&mut ranking, &storage, &layers);
        }
        let Some((name, finer)) = next else {
            bail!(
                "even with every weight stored as f16 some picture moves by more than {max_diff} \
                 or changes its answer"
            );
        };
        eprintln!("storing {name} as {finer:?}");
        storage.insert(name, finer);
    }
}

/// Removes from `ranking` the best-ranked layer that can still move up the ladder and
/// returns it with its next storage: each layer moves at most one step per ranking, since
/// the ranking measured its previous storage.
fn take_next(
    ranking: &mut Vec<String>,
    storage: &BTreeMap<String, Storage>,
    layers: &[LayerWeight],
) -> Option<(String, Storage)> {
    let (rank, finer) = ranking.iter().enumerate().find_map(|(rank, name)| {
        let layer = layers.iter().find(|l| &l.name == name)?;
        Some((rank, storage.get(name)?.finer(layer.has_kernels)?))
    })?;
    Some((ranking.remove(rank), finer))
}

/// Whether no layer can move up the ladder any more.
fn fully_exact(storage: &BTreeMap<String, Storage>, layers: &[LayerWeight]) -> bool {
    layers.iter().all(|l| {
        storage
            .get(&l.name)
            .and_then(|s| s.finer(l.has_kernels))
            .is_none()
    })
}

/// How many layers each storage holds, e.g. `"Int8: 10, Int8PerKernel: 5, F16: 1"`.
fn describe(storage: &BTreeMap<String, Storage>) -> String {
    let mut counts: BTreeMap<Storage, usize> = BTreeMap::new();
    for s in storage.values() {
        *counts.entry(*s).or_default() += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("{s:?}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether every deviation is within `max_diff` and no answer changed.
fn passes(deviations: &[Deviation], max_diff: f32) -> bool {
    deviations.iter().all(|d| d.diff <= max_diff && !d.flipped)
}

/// The pictures to probe after a failed check: the [`WORST_PROBES`] largest deviations and
/// every failing one, [`MAX_PROBES`] at most, worst first.
fn failing(deviations: &[Deviation], max_diff: f32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..deviations.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |d: &Deviation| (d.flipped, d.diff);
        key(&deviations[b])
            .partial_cmp(&key(&deviations[a]))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    order
        .iter()
        .copied()
        .enumerate()
        .take_while(|&(rank, i)| {
            rank < WORST_PROBES || deviations[i].flipped || deviations[i].diff > max_diff
        })
        .map(|(_, i)| i)
        .take(MAX_PROBES)
        .collect()
}

/// The layers of `storage` that can still move up the ladder, ordered by how far each one
/// alone, in its current storage with the rest f32, moves the `probes` (the largest |Δp|
/// first).
fn rank_layers(
    f32_onnx: &[u8],
    meta: &ModelMeta,
    means: &InputMeans,
    agreement: &dyn Agreement,
    probes: &[usize],
    storage: &BTreeMap<String, Storage>,
) -> Result<Vec<String>> {
    let mut scored = Vec::with_capacity(storage.len());
    // A layer already in f16 cannot move, so measuring it would only cost a load.
    let movable = storage.iter().filter(|(_, s)| s.finer(true).is_some());
    for (layer, current) in movable {
        let storage = |name: &str| match name == layer {
            true => *current,
            false => Storage::F32,
        };
        let (onnx, _) = quantize::compress(f32_onnx, Some(means), &storage)?;
        let model_sha256 = classifier::model::sha256_hex(&onnx);
        let candidate = Classifier::load(
            onnx,
            ModelMeta {
                model_sha256,
                ..meta.clone()
            },
        )
        .context("a partly compressed model does not load")?;
        let worst = deviations(&candidate, agreement, probes)?
            .iter()
            .map(|d| d.diff + if d.flipped { 1.0 } else { 0.0 })
            .fold(0.0_f32, f32::max);
        scored.push((worst, layer.clone()));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scored.into_iter().map(|(_, layer)| layer).collect())
}

/// The candidate's deviation on each of `which`, computed on every core.
fn deviations(
    candidate: &Classifier,
    agreement: &dyn Agreement,
    which: &[usize],
) -> Result<Vec<Deviation>> {
    which
        .par_iter()
        .map(|&i| agreement.deviation(candidate, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(diff: f32, flipped: bool) -> Deviation {
        Deviation {
            diff,
            flipped,
            p: 0.0,
        }
    }

    #[test]
    fn a_check_passes_only_within_the_bound_and_without_a_changed_answer() {
        assert!(passes(&[d(0.01, false), d(0.0, false)], 0.01));
        assert!(!passes(&[d(0.0101, false)], 0.01));
        assert!(!passes(&[d(0.0, true)], 0.01));
    }

    #[test]
    fn probes_are_the_worst_pictures_and_every_failing_one() {
        // 12 pictures: 0..8 small, 8 flipped, 9 over the bound, 10 and 11 large but fine.
        let mut deviations: Vec<Deviation> = (0..8).map(|i| d(i as f32 * 1e-4, false)).collect();
        deviations.extend([
            d(0.001, true),
            d(0.05, false),
            d(0.009, false),
            d(0.008, false),
        ]);
        let probes = failing(&deviations, 0.01);
        assert_eq!(&probes[..4], &[8, 9, 10, 11]);
        assert_eq!(probes.len(), WORST_PROBES);
        assert!(!probes.contains(&0), "the smallest deviations are left out");
    }

    #[test]
    fn more_failing_pictures_than_the_worst_few_are_all_probed_up_to_the_cap() {
        let deviations: Vec<Deviation> = (0..50).map(|_| d(0.5, false)).collect();
        assert_eq!(failing(&deviations, 0.01).len(), MAX_PROBES);
    }
}
