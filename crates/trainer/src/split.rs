//! Train/validation splits that keep every artwork group on one side.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Assigns every sample a fold in `0..k` so that all samples of a group share a fold.
/// Groups containing a positive (`label == positive`) are dealt round-robin separately
/// from the rest, so each fold gets its share of the rare class.
pub fn grouped_folds(
    groups: &[String],
    labels: &[usize],
    positive: usize,
    k: usize,
    seed: u64,
) -> Vec<usize> {
    assert!(k >= 2, "k-fold needs k ≥ 2");
    let mut has_positive: BTreeMap<&str, bool> = BTreeMap::new();
    for (group, &label) in groups.iter().zip(labels) {
        *has_positive.entry(group).or_default() |= label == positive;
    }
    let (mut positives, mut negatives): (Vec<&str>, Vec<&str>) =
        has_positive.keys().copied().partition(|g| has_positive[g]);
    let mut rng = StdRng::seed_from_u64(seed);
    positives.shuffle(&mut rng);
    negatives.shuffle(&mut rng);
    let fold_of: BTreeMap<&str, usize> = positives
        .iter()
        .enumerate()
        .chain(negatives.iter().enumerate())
        .map(|(i, g)| (*g, i % k))
        .collect();
    groups.iter().map(|g| fold_of[g.as_str()]).collect()
}

/// A random split by file (the original recipe, which ignores groups): `true` = validation.
pub fn random_holdout(n: usize, validation_fraction: f64, seed: u64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let n_validation = (n as f64 * validation_fraction).round() as usize;
    let mut is_validation = vec![false; n];
    for &i in &order[..n_validation] {
        is_validation[i] = true;
    }
    is_validation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_group_on_two_folds_and_positives_spread() {
        let groups: Vec<String> = (0..200).map(|i| format!("g{}", i / 3)).collect();
        let labels: Vec<usize> = (0..200).map(|i| usize::from(i % 40 < 6)).collect();
        let folds = grouped_folds(&groups, &labels, 1, 5, 42);
        let mut fold_of_group = BTreeMap::new();
        for (g, f) in groups.iter().zip(&folds) {
            assert_eq!(
                *fold_of_group.entry(g).or_insert(*f),
                *f,
                "group {g} split across folds"
            );
        }
        for fold in 0..5 {
            let positives = (0..200)
                .filter(|&i| folds[i] == fold && labels[i] == 1)
                .count();
            assert!(positives > 0, "fold {fold} has no positive");
        }
        assert_eq!(
            folds,
            grouped_folds(&groups, &labels, 1, 5, 42),
            "same seed, same folds"
        );
    }

    #[test]
    fn random_holdout_takes_the_fraction() {
        let split = random_holdout(100, 0.2, 1);
        assert_eq!(split.iter().filter(|v| **v).count(), 20);
    }
}
