//! Loading and running ONNX graphs with tract, for the base, the exported model and tests.

use prost::Message;
use tract_onnx::pb::{
    GraphProto, ModelProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
    tensor_proto::DataType, tensor_shape_proto, type_proto,
};
use tract_onnx::prelude::*;

/// An optimised, runnable tract plan.
pub type Plan = Arc<TypedSimplePlan>;

/// Parses ONNX bytes, expands int8/f16-stored weights to f32 in the parsed model
/// ([`crate::weights`]), fixes the first input to `shape` (f32), optimises and plans it.
/// The bytes are dropped once parsed, and the weights move into tract one tensor at a time
/// ([`parse`]), so the load's peak memory (which a wasm memory keeps for good) holds
/// little more than one f32 copy of the weights.
pub fn load_plan(onnx: Vec<u8>, shape: &[usize]) -> TractResult<Plan> {
    let mut proto = ModelProto::decode(onnx.as_slice())
        .map_err(|e| TractError::msg(format!("Reading proto model: {e}")))?;
    drop(onnx);
    crate::weights::expand(&mut proto);
    parse(proto)?
        .with_input_fact(0, f32::fact(shape).into())?
        .into_optimized()?
        .into_runnable()
}

/// Initialisers at least this large (in elements) are moved into tract by [`parse`]
/// instead of copied by its ONNX parser.
const MOVED_WEIGHTS: usize = 1 << 14;

/// tract's model of `proto`. tract's parser copies every initialiser, so the large f32
/// ones are taken out first and parsed as graph inputs; each then becomes a constant
/// again, its values moved (not copied) into tract, before the next is converted.
fn parse(mut proto: ModelProto) -> TractResult<InferenceModel> {
    let weights = match proto.graph.as_mut() {
        Some(graph) => take_weights(graph),
        None => Vec::new(),
    };
    let mut model = tract_onnx::onnx().model_for_proto_model(&proto)?;
    drop(proto);
    let mut inputs = model.input_outlets()?.to_vec();
    for mut weight in weights {
        let dims: Vec<usize> = weight.dims.iter().map(|&d| d as usize).collect();
        // `float_data` is moved as it is; raw little-endian bytes are decoded once and
        // dropped with the rest of this initialiser.
        let values = match weight.raw_data.is_empty() {
            true => std::mem::take(&mut weight.float_data),
            false => crate::weights::f32_values(&weight).unwrap_or_default(),
        };
        let values = tract_ndarray::ArrayD::from_shape_vec(dims, values)
            .map_err(|e| TractError::msg(format!("initialiser {}: {e}", weight.name)))?;
        let tensor = Tensor::from(values).into_arc_tensor();
        let fact = TypedFact::try_from(tensor.clone())?;
        let node = model.node_by_name_mut(&weight.name)?;
        node.op = Box::new(tract_onnx::tract_hir::ops::konst::Const::new(tensor)?);
        node.outputs[0].fact = fact.into();
        let id = node.id;
        inputs.retain(|outlet| outlet.node != id);
    }
    model.set_input_outlets(&inputs)?;
    Ok(model)
}

/// Removes the large f32 initialisers (as `float_data`, which [`crate::weights`] writes,
/// or as raw bytes, as plain f32 files hold them) from `graph` and declares each as a
/// graph input of its type and shape, unless the graph already lists it among its inputs
/// (as files of older ONNX versions do).
fn take_weights(graph: &mut GraphProto) -> Vec<TensorProto> {
    let (weights, kept): (Vec<TensorProto>, Vec<TensorProto>) =
        graph.initializer.drain(..).partition(|t| {
            t.data_type == DataType::Float as i32
                && t.float_data.len().max(t.raw_data.len() / 4) >= MOVED_WEIGHTS
        });
    graph.initializer = kept;
    let declared: std::collections::HashSet<String> =
        graph.input.iter().map(|input| input.name.clone()).collect();
    let undeclared = weights.iter().filter(|w| !declared.contains(&w.name));
    graph
        .input
        .extend(undeclared.map(|w| value_info(&w.name, w.data_type, &w.dims)));
    weights
}

/// The declaration of a tensor named `name` of element type `elem_type` and shape `dims`.
fn value_info(name: &str, elem_type: i32, dims: &[i64]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|&d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The type and, when known, the shape of a plan's first output.
pub fn output_fact(plan: &Plan) -> TractResult<(DatumType, Option<Vec<usize>>)> {
    let fact = plan.model().output_fact(0)?;
    Ok((
        fact.datum_type,
        fact.shape.as_concrete().map(<[usize]>::to_vec),
    ))
}

/// Runs a plan on one f32 input of `shape` and returns its first output, flattened.
pub fn run_plan(plan: &Plan, input: Vec<f32>, shape: &[usize]) -> TractResult<Vec<f32>> {
    let tensor = Tensor::from_shape(shape, &input)?;
    let outputs = plan.run(tvec![tensor.into()])?;
    Ok(outputs[0]
        .to_plain_array_view::<f32>()?
        .iter()
        .copied()
        .collect())
}

/// Runs a plan on one f32 input of `shape` and returns every output, each flattened.
pub fn run_plan_outputs(
    plan: &Plan,
    input: Vec<f32>,
    shape: &[usize],
) -> TractResult<Vec<Vec<f32>>> {
    let tensor = Tensor::from_shape(shape, &input)?;
    plan.run(tvec![tensor.into()])?
        .iter()
        .map(|output| {
            Ok(output
                .to_plain_array_view::<f32>()?
                .iter()
                .copied()
                .collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::{GraphProto, NodeProto};

    /// `y = x · w` with `x` of shape [1, 2] and a `w` of [2, 10,000] large enough to be
    /// moved into tract, listed among the graph's inputs or not, held as floats or raw bytes.
    fn matmul(w: &[f32], w_is_an_input: bool, w_as_raw_bytes: bool) -> Vec<u8> {
        let columns = w.len() / 2;
        let tensor_info = |name: &str, dims: &[i64]| value_info(name, DataType::Float as i32, dims);
        let mut input = vec![tensor_info("x", &[1, 2])];
        if w_is_an_input {
            input.push(tensor_info("w", &[2, columns as i64]));
        }
        let model = ModelProto {
            ir_version: 8,
            opset_import: vec![tract_onnx::pb::OperatorSetIdProto {
                version: 13,
                ..Default::default()
            }],
            graph: Some(GraphProto {
                node: vec![NodeProto {
                    op_type: "MatMul".into(),
                    input: vec!["x".into(), "w".into()],
                    output: vec!["y".into()],
                    ..Default::default()
                }],
                initializer: vec![TensorProto {
                    name: "w".into(),
                    dims: vec![2, columns as i64],
                    data_type: DataType::Float as i32,
                    float_data: if w_as_raw_bytes { vec![] } else { w.to_vec() },
                    raw_data: match w_as_raw_bytes {
                        true => w.iter().flat_map(|v| v.to_le_bytes()).collect(),
                        false => vec![],
                    },
                    ..Default::default()
                }],
                input,
                output: vec![tensor_info("y", &[1, columns as i64])],
                ..Default::default()
            }),
            ..Default::default()
        };
        model.encode_to_vec()
    }

    #[test]
    fn large_weights_moved_into_tract_give_the_same_products() {
        let columns = 10_000;
        assert!(
            2 * columns >= MOVED_WEIGHTS,
            "the weights are large enough to move"
        );
        let w: Vec<f32> = (0..2 * columns).map(|k| (k % 97) as f32 - 48.0).collect();
        let expected: Vec<f32> = (0..columns)
            .map(|j| 0.5 * w[j] - 2.0 * w[columns + j])
            .collect();
        for (w_is_an_input, raw) in [(false, false), (true, false), (false, true)] {
            let plan = load_plan(matmul(&w, w_is_an_input, raw), &[1, 2]).unwrap();
            assert_eq!(plan.model().inputs.len(), 1, "only x is an input");
            let y = run_plan(&plan, vec![0.5, -2.0], &[1, 2]).unwrap();
            assert_eq!(
                y, expected,
                "w listed as an input: {w_is_an_input}, raw: {raw}"
            );
        }
    }
}
