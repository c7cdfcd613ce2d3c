//! Stored-small weights made plain again before tract sees the model.
//!
//! The trainer may store weights as int8 (`DequantizeLinear`, possibly followed by a `Mul`
//! with a per-input-channel or per-kernel scale; a per-kernel scale is itself stored as u8
//! behind a second `DequantizeLinear`, or as f16 behind a `Cast` in files from before
//! 2026-11-30's stop 18) or f16 (`Cast`) to make the file smaller. tract keeps
//! such weights compact and decodes them at every run when the f32 form would exceed its
//! constant-folding budget (4 MB), which also stops it from pre-packing convolution
//! weights: the model ran three times slower. So these nodes are computed here, once, and
//! replaced by f32 initialisers; the graph tract optimises is the plain f32 one.

use std::borrow::Cow;
use std::collections::HashMap;

use tract_onnx::pb::{ModelProto, NodeProto, TensorProto, tensor_proto::DataType};

/// Replaces, in place, every `DequantizeLinear`, `Cast` and `Mul` of the model whose
/// inputs are all initialisers by the f32 initialiser it computes; returns how many nodes
/// it replaced (0 for a plain f32 model, whose nodes and initialisers stay the same). The model is changed in
/// its parsed form, so loading never holds a second, re-encoded copy of the f32 weights.
pub fn expand(model: &mut ModelProto) -> usize {
    let Some(graph) = model.graph.as_mut() else {
        return 0;
    };
    let mut constants: HashMap<String, TensorProto> = graph
        .initializer
        .drain(..)
        .map(|t| (t.name.clone(), t))
        .collect();
    // Each constant is dropped as soon as the last node reading it is folded, so the
    // int8 weights, their f32 form before the per-kernel `Mul` and the result are never
    // all alive at once (the peak of a load, which a wasm memory keeps for good).
    let mut readers: HashMap<String, usize> = HashMap::new();
    for name in graph.node.iter().flat_map(|n| &n.input) {
        *readers.entry(name.clone()).or_default() += 1;
    }
    for output in &graph.output {
        *readers.entry(output.name.clone()).or_default() += 1;
    }
    let mut kept = Vec::with_capacity(graph.node.len());
    let mut expanded = 0;
    for node in graph.node.drain(..) {
        match fold(&node, &constants) {
            Some(tensor) => {
                for input in &node.input {
                    let left = readers.get_mut(input).map(|n| {
                        *n -= 1;
                        *n
                    });
                    if left == Some(0) {
                        constants.remove(input);
                    }
                }
                constants.insert(tensor.name.clone(), tensor);
                expanded += 1;
            }
            None => kept.push(node),
        }
    }
    if expanded == 0 {
        graph.initializer = constants.into_values().collect();
        graph.initializer.sort_by(|a, b| a.name.cmp(&b.name));
        graph.node = kept;
        return 0;
    }
    let used: std::collections::HashSet<&String> = kept
        .iter()
        .flat_map(|n| &n.input)
        .chain(graph.output.iter().map(|o| &o.name))
        .collect();
    let mut initializer: Vec<TensorProto> = constants
        .into_values()
        .filter(|t| used.contains(&t.name))
        .collect();
    initializer.sort_by(|a, b| a.name.cmp(&b.name));
    graph.initializer = initializer;
    graph.node = kept;
    expanded
}

/// The f32 tensor `node` computes from initialisers, if it is one of the three weight
/// decoders and its inputs are all known.
fn fold(node: &NodeProto, constants: &HashMap<String, TensorProto>) -> Option<TensorProto> {
    let input = |i: usize| constants.get(node.input.get(i)?);
    let output = node.output.first()?;
    let (dims, values) = match node.op_type.as_str() {
        "DequantizeLinear" => {
            let (x, scale) = (input(0)?, input(1)?);
            let zero = match node.input.get(2) {
                Some(_) => integers(input(2)?)?.collect(),
                None => vec![0],
            };
            let axis = node
                .attribute
                .iter()
                .find(|a| a.name == "axis")
                .map_or(1, |a| a.i);
            let axis = usize::try_from(if axis < 0 {
                axis + x.dims.len() as i64
            } else {
                axis
            })
            .ok()?;
            let (q, scale) = (integers(x)?, f32_slice(scale)?);
            let channels = if scale.len() > 1 {
                *x.dims.get(axis)? as usize
            } else {
                1
            };
            let inner: usize = x
                .dims
                .get(axis + 1..)?
                .iter()
                .map(|&d| d as usize)
                .product();
            let (zero, scale): (Vec<i32>, Vec<f32>) = (0..channels)
                .map(|c| Some((zero.get(c).or(zero.first()).copied()?, *scale.get(c)?)))
                .collect::<Option<Vec<_>>>()?
                .into_iter()
                .unzip();
            // The values run channel after channel, `inner` of each in turn.
            let mut values = Vec::with_capacity(q.len());
            let run = inner.max(1);
            let (mut c, mut left) = (0, run);
            for v in q {
                if left == 0 {
                    c = (c + 1) % channels;
                    left = run;
                }
                values.push((v - zero[c]) as f32 * scale[c]);
                left -= 1;
            }
            (x.dims.clone(), values)
        }
        "Cast" => {
            let to = node.attribute.iter().find(|a| a.name == "to")?.i;
            let x = input(0)?;
            (to == DataType::Float as i64 && x.data_type == DataType::Float16 as i32)
                .then(|| (x.dims.clone(), half_floats(x)))?
        }
        "Mul" => {
            let (a, b) = (input(0)?, input(1)?);
            let (x, y) = (f32_slice(a)?, f32_slice(b)?);
            (a.dims.len() == b.dims.len()).then_some(())?;
            let values = broadcast_mul(&a.dims, &x, &b.dims, &y)?;
            (a.dims.clone(), values)
        }
        _ => return None,
    };
    Some(TensorProto {
        name: output.clone(),
        dims,
        data_type: DataType::Float as i32,
        float_data: values,
        ..Default::default()
    })
}

/// `x * y` where `y` has `x`'s rank and each of its dimensions is 1 or `x`'s.
fn broadcast_mul(x_dims: &[i64], x: &[f32], y_dims: &[i64], y: &[f32]) -> Option<Vec<f32>> {
    let ok = x_dims.iter().zip(y_dims).all(|(a, b)| *b == 1 || a == b);
    if !ok {
        return None;
    }
    let rank = x_dims.len();
    let (strides, y_strides) = (strides(x_dims), strides(y_dims));
    // Past the last axis where `y` varies, one value of `y` scales a whole run of `x`.
    let varying = (0..rank).rfind(|&axis| y_dims[axis] != 1);
    let run: usize = x_dims[varying.map_or(0, |axis| axis + 1)..]
        .iter()
        .map(|&d| d as usize)
        .product();
    let mut product = Vec::with_capacity(x.len());
    for (n, values) in x.chunks(run.max(1)).enumerate() {
        let k = n * run;
        let index: usize = (0..rank)
            .filter(|&axis| y_dims[axis] != 1)
            .map(|axis| ((k / strides[axis]) % x_dims[axis] as usize) * y_strides[axis])
            .sum();
        let factor = *y.get(index)?;
        product.extend(values.iter().map(|v| v * factor));
    }
    Some(product)
}

/// The values of an f32 tensor, whether stored as raw bytes or as `float_data`; `None`
/// for another element type.
pub fn f32_values(t: &TensorProto) -> Option<Vec<f32>> {
    f32_slice(t).map(Cow::into_owned)
}

/// [`f32_values`], borrowed when the tensor holds them as `float_data`.
fn f32_slice(t: &TensorProto) -> Option<Cow<'_, [f32]>> {
    (t.data_type == DataType::Float as i32).then_some(())?;
    if t.raw_data.is_empty() {
        return Some(Cow::Borrowed(&t.float_data));
    }
    Some(Cow::Owned(
        t.raw_data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    ))
}

/// Row-major strides of `dims`.
fn strides(dims: &[i64]) -> Vec<usize> {
    let mut strides = vec![1usize; dims.len()];
    for axis in (0..dims.len().saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * dims[axis + 1] as usize;
    }
    strides
}

fn half_floats(t: &TensorProto) -> Vec<f32> {
    let bits: Vec<u16> = if t.raw_data.is_empty() {
        t.int32_data.iter().map(|&v| v as u16).collect()
    } else {
        t.raw_data
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect()
    };
    bits.into_iter()
        .map(|b| tract_onnx::prelude::f16::from_bits(b).to_f32())
        .collect()
}

/// int8 or uint8 values (raw bytes, or `int32_data` as ONNX stores them otherwise), read
/// one at a time so that no widened copy of the weights is made.
fn integers(t: &TensorProto) -> Option<Box<dyn ExactSizeIterator<Item = i32> + '_>> {
    let signed = match DataType::try_from(t.data_type).ok()? {
        DataType::Int8 => true,
        DataType::Uint8 => false,
        _ => return None,
    };
    if t.raw_data.is_empty() {
        return Some(Box::new(t.int32_data.iter().copied()));
    }
    Some(Box::new(t.raw_data.iter().map(move |&b| {
        if signed {
            i32::from(b as i8)
        } else {
            i32::from(b)
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, dims: &[i64], data_type: DataType) -> TensorProto {
        TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: data_type as i32,
            ..Default::default()
        }
    }

    fn floats(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
        TensorProto {
            float_data: values.to_vec(),
            ..tensor(name, dims, DataType::Float)
        }
    }

    fn node(op_type: &str, inputs: &[&str], axis: Option<i64>) -> NodeProto {
        NodeProto {
            op_type: op_type.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec!["out".into()],
            attribute: axis
                .map(|i| tract_onnx::pb::AttributeProto {
                    name: "axis".into(),
                    i,
                    ..Default::default()
                })
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn dequantizes_each_channel_with_its_own_scale_and_zero_point() {
        let q = TensorProto {
            raw_data: [1i8, 2, -3, 4, 5, -6, 7, 8, 9, 10, 11, 12]
                .iter()
                .map(|&v| v as u8)
                .collect(),
            ..tensor("q", &[2, 3, 2], DataType::Int8)
        };
        let zero = TensorProto {
            raw_data: vec![0, 1, 255],
            ..tensor("zero", &[3], DataType::Int8)
        };
        let scale = floats("scale", &[3], &[0.5, 2.0, -1.0]);
        let constants: HashMap<String, TensorProto> = [q.clone(), zero, scale]
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        let folded = fold(
            &node("DequantizeLinear", &["q", "scale", "zero"], Some(1)),
            &constants,
        )
        .unwrap();
        let expected: Vec<f32> = q
            .raw_data
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let c = (k / 2) % 3;
                let (zero, scale) = ([0, 1, -1][c], [0.5, 2.0, -1.0][c]);
                (i32::from(v as i8) - zero) as f32 * scale
            })
            .collect();
        assert_eq!(folded.dims, [2, 3, 2]);
        assert_eq!(folded.float_data, expected);
    }

    #[test]
    fn multiplies_by_a_scale_broadcast_over_any_axes() {
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let dims = [2i64, 3, 2, 2];
        for y_dims in [
            [2i64, 3, 1, 1],
            [1, 3, 1, 1],
            [2, 1, 1, 2],
            [1, 1, 1, 1],
            dims,
        ] {
            let count: i64 = y_dims.iter().product();
            let y: Vec<f32> = (0..count).map(|v| 1.0 + v as f32 * 0.5).collect();
            let (strides, y_strides) = (strides(&dims), strides(&y_dims));
            let expected: Vec<f32> = x
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    let index: usize = (0..4)
                        .filter(|&a| y_dims[a] != 1)
                        .map(|a| ((k / strides[a]) % dims[a] as usize) * y_strides[a])
                        .sum();
                    v * y[index]
                })
                .collect();
            assert_eq!(
                broadcast_mul(&dims, &x, &y_dims, &y).unwrap(),
                expected,
                "{y_dims:?}"
            );
        }
        assert_eq!(broadcast_mul(&dims, &x, &[3, 1, 1, 1], &[1.0; 3]), None);
    }
}
