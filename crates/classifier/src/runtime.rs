//! Loading and running ONNX graphs with tract, for the base, the exported model and tests.

use prost::Message;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

/// An optimised, runnable tract plan.
pub type Plan = Arc<TypedSimplePlan>;

/// Parses ONNX bytes, expands int8/f16-stored weights to f32 in the parsed model
/// ([`crate::weights`]), fixes the first input to `shape` (f32), optimises and plans it.
/// The parsed model is dropped before optimising, so at most one f32 copy of the weights
/// besides tract's own is alive at a time.
pub fn load_plan(onnx: &[u8], shape: &[usize]) -> TractResult<Plan> {
    let mut proto = ModelProto::decode(onnx)
        .map_err(|e| TractError::msg(format!("Reading proto model: {e}")))?;
    crate::weights::expand(&mut proto);
    let model = tract_onnx::onnx().model_for_proto_model(&proto)?;
    drop(proto);
    model
        .with_input_fact(0, f32::fact(shape).into())?
        .into_optimized()?
        .into_runnable()
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
