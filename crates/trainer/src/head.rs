//! The trainable head: Dense 256 ReLU → Dense 2 softmax, trained with candle on frozen
//! base features. Weights are initialised from a seeded RNG (Glorot uniform, as Keras does)
//! so a run is reproducible.

use anyhow::Result;
use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Units of the hidden dense layer, as in the original head.
pub const HIDDEN: usize = 256;

/// How the head's weights are updated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// SGD with momentum (the original: lr 1e-4, momentum 0.9).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum.
        momentum: f64,
    },
    /// AdamW.
    AdamW {
        /// Learning rate.
        lr: f64,
        /// Decoupled weight decay.
        weight_decay: f64,
    },
}

/// Everything that decides how the head is trained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadConfig {
    /// Optimiser and its parameters.
    pub optimizer: OptimizerConfig,
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per update.
    pub batch_size: usize,
    /// Weight each class by the inverse of its frequency.
    pub balance_classes: bool,
    /// Dropout rate on the hidden layer during training.
    pub dropout: f32,
    /// Standardise each feature with the training mean/std (folded into the first layer).
    pub standardize: bool,
    /// Seed of initialisation, shuffling and dropout.
    pub seed: u64,
}

/// Training and validation loss after each epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EpochLoss {
    /// Mean (class-weighted) training loss during the epoch.
    pub loss: f64,
    /// Unweighted loss on the validation samples, if there are any.
    pub val_loss: Option<f64>,
}

/// A trained head in plain arrays, ready to run or export.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedHead {
    /// Input features.
    pub inputs: usize,
    /// First layer, `[HIDDEN, inputs]` row-major (standardisation folded in).
    pub w1: Vec<f32>,
    /// First layer bias, `[HIDDEN]`.
    pub b1: Vec<f32>,
    /// Second layer, `[2, HIDDEN]` row-major.
    pub w2: Vec<f32>,
    /// Second layer bias, `[2]`.
    pub b2: Vec<f32>,
    /// Loss curve.
    pub history: Vec<EpochLoss>,
}

/// Trains on `features` (one row per sample) with labels in {0, 1}; `validation` is only
/// scored, for the loss curve.
pub fn train(
    features: &[Vec<f32>],
    labels: &[usize],
    validation: Option<(&[Vec<f32>], &[usize])>,
    config: &HeadConfig,
) -> Result<TrainedHead> {
    let device = Device::Cpu;
    let inputs = features[0].len();
    let (mean, std) = if config.standardize {
        feature_stats(features)
    } else {
        (vec![0.0; inputs], vec![1.0; inputs])
    };
    let standardized = |rows: &[Vec<f32>]| -> Result<Tensor> {
        let flat: Vec<f32> = rows
            .iter()
            .flat_map(|row| {
                row.iter()
                    .zip(&mean)
                    .zip(&std)
                    .map(|((x, m), s)| (x - m) / s)
            })
            .collect();
        Ok(Tensor::from_vec(flat, (rows.len(), inputs), &device)?)
    };
    let x = standardized(features)?;
    let y = Tensor::from_vec(
        labels.iter().map(|&l| l as u32).collect::<Vec<_>>(),
        labels.len(),
        &device,
    )?;
    let class_weight = class_weights(labels, config.balance_classes);
    let sample_weight: Vec<f32> = labels.iter().map(|&l| class_weight[l]).collect();
    let validation = match validation {
        Some((rows, labels)) if !rows.is_empty() => Some((
            standardized(rows)?,
            Tensor::from_vec(
                labels.iter().map(|&l| l as u32).collect::<Vec<_>>(),
                labels.len(),
                &device,
            )?,
        )),
        _ => None,
    };

    let mut rng = StdRng::seed_from_u64(config.seed);
    let layers = Layers::glorot(inputs, &mut rng, &device)?;
    let mut optimizer = Updater::new(config.optimizer, layers.vars())?;
    let mut order: Vec<usize> = (0..labels.len()).collect();
    let mut history = Vec::with_capacity(config.epochs);
    for _ in 0..config.epochs {
        order.shuffle(&mut rng);
        let (mut loss_sum, mut weight_sum) = (0.0, 0.0);
        for batch in order.chunks(config.batch_size) {
            let index = Tensor::from_vec(
                batch.iter().map(|&i| i as u32).collect::<Vec<_>>(),
                batch.len(),
                &device,
            )?;
            let weights: Vec<f32> = batch.iter().map(|&i| sample_weight[i]).collect();
            let batch_weight: f32 = weights.iter().sum();
            let mask = dropout_mask(batch.len(), config.dropout, &mut rng, &device)?;
            let logits = layers.forward(&x.index_select(&index, 0)?, mask.as_ref())?;
            let loss = weighted_cross_entropy(
                &logits,
                &y.index_select(&index, 0)?,
                &Tensor::new(weights, &device)?,
            )?;
            optimizer.step(&loss)?;
            loss_sum += f64::from(loss.to_scalar::<f32>()?) * f64::from(batch_weight);
            weight_sum += f64::from(batch_weight);
        }
        let val_loss = match &validation {
            Some((vx, vy)) => {
                let ones = Tensor::ones(vy.dims1()?, DType::F32, &device)?;
                Some(f64::from(
                    weighted_cross_entropy(&layers.forward(vx, None)?, vy, &ones)?
                        .to_scalar::<f32>()?,
                ))
            }
            None => None,
        };
        history.push(EpochLoss {
            loss: loss_sum / weight_sum,
            val_loss,
        });
    }
    layers.into_trained(inputs, &mean, &std, history)
}

impl TrainedHead {
    /// The two logits for each row of features: `[n][2]`.
    pub fn logits(&self, features: &[Vec<f32>]) -> Vec<[f32; 2]> {
        features
            .iter()
            .map(|row| {
                let hidden: Vec<f32> = (0..HIDDEN)
                    .map(|j| {
                        let weights = &self.w1[j * self.inputs..(j + 1) * self.inputs];
                        (self.b1[j] + dot(weights, row)).max(0.0)
                    })
                    .collect();
                [0, 1].map(|k| self.b2[k] + dot(&self.w2[k * HIDDEN..(k + 1) * HIDDEN], &hidden))
            })
            .collect()
    }

    /// P(class) for each row of features: `[n][2]`.
    pub fn predict(&self, features: &[Vec<f32>]) -> Vec<[f32; 2]> {
        self.logits(features)
            .iter()
            .map(|logits| {
                let p = classifier::model::softmax(logits);
                [p[0], p[1]]
            })
            .collect()
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The head's trainable variables, on standardised features.
pub(crate) struct Layers {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
}

impl Layers {
    fn glorot(inputs: usize, rng: &mut StdRng, device: &Device) -> Result<Self> {
        let mut uniform = |rows: usize, cols: usize| -> Result<Var> {
            let limit = (6.0 / (rows + cols) as f32).sqrt();
            let values: Vec<f32> = (0..rows * cols)
                .map(|_| rng.random_range(-limit..=limit))
                .collect();
            Ok(Var::from_tensor(&Tensor::from_vec(
                values,
                (rows, cols),
                device,
            )?)?)
        };
        Ok(Self {
            w1: uniform(HIDDEN, inputs)?,
            w2: uniform(2, HIDDEN)?,
            b1: Var::zeros(HIDDEN, DType::F32, device)?,
            b2: Var::zeros(2, DType::F32, device)?,
        })
    }

    /// Every trainable variable.
    pub(crate) fn vars(&self) -> Vec<Var> {
        vec![
            self.w1.clone(),
            self.b1.clone(),
            self.w2.clone(),
            self.b2.clone(),
        ]
    }

    /// Logits `[N, 2]` of standardised features `x`, with an optional dropout mask.
    pub(crate) fn forward(&self, x: &Tensor, dropout: Option<&Tensor>) -> Result<Tensor> {
        let mut hidden = x.matmul(&self.w1.t()?)?.broadcast_add(&self.b1)?.relu()?;
        if let Some(mask) = dropout {
            hidden = hidden.broadcast_mul(mask)?;
        }
        Ok(hidden.matmul(&self.w2.t()?)?.broadcast_add(&self.b2)?)
    }

    /// The variables of `head` before `(x - mean) / std` was folded into its first layer:
    /// the inverse of [`Layers::into_trained`].
    pub(crate) fn unfold(
        head: &TrainedHead,
        mean: &[f32],
        std: &[f32],
        device: &Device,
    ) -> Result<Self> {
        let inputs = head.inputs;
        let mut w1 = head.w1.clone();
        let mut b1 = head.b1.clone();
        for (j, bias) in b1.iter_mut().enumerate() {
            let row = &mut w1[j * inputs..(j + 1) * inputs];
            for ((w, m), s) in row.iter_mut().zip(mean).zip(std) {
                *bias += *w * m;
                *w *= s;
            }
        }
        let var = |values: Vec<f32>, shape: &[usize]| -> Result<Var> {
            Ok(Var::from_tensor(&Tensor::from_vec(values, shape, device)?)?)
        };
        Ok(Self {
            w1: var(w1, &[HIDDEN, inputs])?,
            b1: var(b1, &[HIDDEN])?,
            w2: var(head.w2.clone(), &[2, HIDDEN])?,
            b2: var(head.b2.clone(), &[2])?,
        })
    }

    /// Folds `(x - mean) / std` into the first layer: w' = w / std, b' = b - w'·mean.
    pub(crate) fn into_trained(
        self,
        inputs: usize,
        mean: &[f32],
        std: &[f32],
        history: Vec<EpochLoss>,
    ) -> Result<TrainedHead> {
        let mut w1: Vec<f32> = self.w1.flatten_all()?.to_vec1()?;
        let mut b1: Vec<f32> = self.b1.to_vec1()?;
        for (j, bias) in b1.iter_mut().enumerate() {
            let row = &mut w1[j * inputs..(j + 1) * inputs];
            for ((w, m), s) in row.iter_mut().zip(mean).zip(std) {
                *w /= s;
                *bias -= *w * m;
            }
        }
        Ok(TrainedHead {
            inputs,
            w1,
            b1,
            w2: self.w2.flatten_all()?.to_vec1()?,
            b2: self.b2.to_vec1()?,
            history,
        })
    }
}

/// Inverted dropout: a `[batch, HIDDEN]` mask of 0 or 1/(1-p), drawn from the seeded RNG.
pub(crate) fn dropout_mask(
    batch: usize,
    rate: f32,
    rng: &mut StdRng,
    device: &Device,
) -> Result<Option<Tensor>> {
    if rate <= 0.0 {
        return Ok(None);
    }
    let keep = 1.0 / (1.0 - rate);
    let mask: Vec<f32> = (0..batch * HIDDEN)
        .map(|_| {
            if rng.random::<f32>() < rate {
                0.0
            } else {
                keep
            }
        })
        .collect();
    Ok(Some(Tensor::from_vec(mask, (batch, HIDDEN), device)?))
}

/// Cross-entropy of `logits` against `labels`, weighted per sample.
pub(crate) fn weighted_cross_entropy(
    logits: &Tensor,
    labels: &Tensor,
    weights: &Tensor,
) -> Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = log_p.gather(&labels.unsqueeze(1)?, 1)?.squeeze(1)?;
    Ok((picked.mul(weights)?.sum_all()?.neg()?
        / f64::from(weights.sum_all()?.to_scalar::<f32>()?))?)
}

/// 1 for every class, or n / (classes · count) ("balanced") when `balance` is set.
pub(crate) fn class_weights(labels: &[usize], balance: bool) -> [f32; 2] {
    let positives = labels.iter().filter(|&&l| l == 1).count();
    let counts = [labels.len() - positives, positives];
    if !balance {
        return [1.0, 1.0];
    }
    counts.map(|c| labels.len() as f32 / (2.0 * c.max(1) as f32))
}

/// Per-feature mean and standard deviation (floored at the median) of `rows`.
pub(crate) fn feature_stats(rows: &[Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
    let n = rows.len() as f32;
    let columns = rows[0].len();
    let mut mean = vec![0.0; columns];
    for row in rows {
        mean.iter_mut().zip(row).for_each(|(m, x)| *m += x / n);
    }
    let mut var = vec![0.0; columns];
    for row in rows {
        var.iter_mut()
            .zip(row)
            .zip(&mean)
            .for_each(|((v, x), m)| *v += (x - m).powi(2) / n);
    }
    // Near-constant features (ReLU outputs that are almost always zero) would get huge
    // weights once 1/std is folded in, amplifying float noise between kernels; flooring
    // every std at the median keeps the folded layer well conditioned.
    let mut std: Vec<f32> = var.into_iter().map(f32::sqrt).collect();
    let mut sorted = std.clone();
    sorted.sort_by(f32::total_cmp);
    let floor = sorted[sorted.len() / 2].max(1e-3);
    std.iter_mut().for_each(|s| *s = s.max(floor));
    (mean, std)
}

/// One optimiser behind one interface: candle's AdamW, or SGD with momentum (which
/// candle-nn does not have) as Keras defines it: v ← μv − lr·g, w ← w + v.
enum Updater {
    Adam(AdamW),
    Sgd {
        vars: Vec<Var>,
        velocity: Vec<Tensor>,
        lr: f64,
        momentum: f64,
    },
}

impl Updater {
    fn new(config: OptimizerConfig, vars: Vec<Var>) -> Result<Self> {
        Ok(match config {
            OptimizerConfig::AdamW { lr, weight_decay } => Self::Adam(AdamW::new(
                vars,
                ParamsAdamW {
                    lr,
                    weight_decay,
                    ..Default::default()
                },
            )?),
            OptimizerConfig::Sgd { lr, momentum } => {
                let velocity = vars
                    .iter()
                    .map(|v| v.zeros_like())
                    .collect::<candle_core::Result<_>>()?;
                Self::Sgd {
                    vars,
                    velocity,
                    lr,
                    momentum,
                }
            }
        })
    }

    fn step(&mut self, loss: &Tensor) -> Result<()> {
        match self {
            Self::Adam(adam) => adam.backward_step(loss)?,
            Self::Sgd {
                vars,
                velocity,
                lr,
                momentum,
            } => {
                let grads = loss.backward()?;
                for (var, v) in vars.iter().zip(velocity.iter_mut()) {
                    if let Some(g) = grads.get(var) {
                        *v = ((&*v * *momentum)? - (g * *lr)?)?;
                        var.set(&(var.as_tensor() + &*v)?)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(optimizer: OptimizerConfig) -> HeadConfig {
        HeadConfig {
            optimizer,
            epochs: 40,
            batch_size: 8,
            balance_classes: true,
            dropout: 0.2,
            standardize: true,
            seed: 3,
        }
    }

    fn blobs() -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = StdRng::seed_from_u64(1);
        (0..60)
            .map(|i| {
                let label = usize::from(i % 4 == 0);
                let centre = if label == 1 { 5.0 } else { 2.0 };
                (
                    (0..6)
                        .map(|_| centre + rng.random_range(-1.0..1.0))
                        .collect(),
                    label,
                )
            })
            .unzip()
    }

    #[test]
    fn learns_separable_blobs_and_folded_predict_matches_training() {
        let (x, y) = blobs();
        for optimizer in [
            OptimizerConfig::AdamW {
                lr: 1e-2,
                weight_decay: 1e-4,
            },
            OptimizerConfig::Sgd {
                lr: 1e-2,
                momentum: 0.9,
            },
        ] {
            let head = train(&x, &y, Some((&x, &y)), &config(optimizer)).unwrap();
            let correct = head
                .predict(&x)
                .iter()
                .zip(&y)
                .filter(|(p, l)| usize::from(p[1] > 0.5) == **l)
                .count();
            assert_eq!(correct, x.len(), "{optimizer:?}");
            let history = &head.history;
            assert!(
                history.last().unwrap().loss < history[0].loss,
                "{optimizer:?} loss did not fall"
            );
        }
    }

    #[test]
    fn same_seed_same_weights() {
        let (x, y) = blobs();
        let c = config(OptimizerConfig::AdamW {
            lr: 1e-2,
            weight_decay: 0.0,
        });
        assert_eq!(
            train(&x, &y, None, &c).unwrap(),
            train(&x, &y, None, &c).unwrap()
        );
    }
}
