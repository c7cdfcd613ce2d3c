//! Small, explicit edits of ONNX protobuf graphs (tract's prost types): cut a graph at a
//! tensor, and build the nodes and initialisers the exporter adds.

use std::collections::HashSet;

use anyhow::{Context, Result, bail};
use prost::Message;
use tract_onnx::pb::{
    self, AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, TensorShapeProto,
    TypeProto, ValueInfoProto, attribute_proto::AttributeType, tensor_proto::DataType,
    tensor_shape_proto::Dimension, tensor_shape_proto::dimension::Value as DimValue,
    type_proto::Tensor as TensorType, type_proto::Value as TypeValue,
};

/// Parses ONNX bytes.
pub fn decode(bytes: &[u8]) -> Result<ModelProto> {
    ModelProto::decode(bytes).context("not an ONNX model (protobuf did not parse)")
}

/// Serialises a model to ONNX bytes.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

/// The model's graph, or an error naming what is missing.
pub fn graph(model: &ModelProto) -> Result<&GraphProto> {
    model.graph.as_ref().context("the ONNX file has no graph")
}

/// Keeps only the nodes and initialisers needed to compute `output`, makes it the only
/// graph output, and drops stale shape annotations.
pub fn cut_at(model: &mut ModelProto, output: &str) -> Result<()> {
    let graph = model.graph.as_mut().context("the ONNX file has no graph")?;
    if !graph
        .node
        .iter()
        .any(|n| n.output.iter().any(|o| o == output))
    {
        bail!("the graph has no tensor named {output:?}");
    }
    let mut needed: HashSet<String> = HashSet::from([output.to_string()]);
    let mut kept = Vec::new();
    for node in graph.node.iter().rev() {
        if node.output.iter().any(|o| needed.contains(o)) {
            needed.extend(node.input.iter().cloned());
            kept.push(node.clone());
        }
    }
    kept.reverse();
    graph.node = kept;
    graph.initializer.retain(|t| needed.contains(&t.name));
    graph.input.retain(|i| needed.contains(&i.name));
    graph.value_info.clear();
    graph.output = vec![value_info(output, &[])];
    Ok(())
}

/// The output tensor of the last node of type `op_type`, in graph order.
pub fn last_output_of(graph: &GraphProto, op_type: &str) -> Option<String> {
    graph
        .node
        .iter()
        .rev()
        .find(|n| n.op_type == op_type)
        .and_then(|n| n.output.first().cloned())
}

/// The output tensor of the `n`-th (0-based) node of type `op_type`, in graph order.
pub fn nth_output_of(graph: &GraphProto, op_type: &str, n: usize) -> Option<String> {
    graph
        .node
        .iter()
        .filter(|node| node.op_type == op_type)
        .nth(n)
        .and_then(|node| node.output.first().cloned())
}

/// The f32 values of an initialiser, whether stored as raw bytes or as `float_data`.
pub fn initializer_f32(graph: &GraphProto, name: &str) -> Option<Vec<f32>> {
    classifier::weights::f32_values(graph.initializer.iter().find(|t| t.name == name)?)
}

/// One dimension of a declared shape.
#[derive(Debug, Clone)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A named symbolic size, e.g. the batch `N`.
    Symbol(&'static str),
}

/// A float tensor's name, element type and (possibly empty) shape.
pub fn value_info(name: &str, dims: &[Dim]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(v) => DimValue::DimValue(*v),
                Dim::Symbol(s) => DimValue::DimParam((*s).to_string()),
            }),
            ..Default::default()
        })
        .collect();
    let shape = (!dims.is_empty()).then_some(TensorShapeProto { dim });
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(TypeValue::TensorType(TensorType {
                elem_type: DataType::Float as i32,
                shape,
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A float initialiser stored as little-endian raw bytes.
pub fn tensor_f32(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// An int64 initialiser stored as little-endian raw bytes.
pub fn tensor_i64(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Int64 as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// A node of the default ONNX domain.
pub fn node(
    op_type: &str,
    inputs: &[&str],
    output: &str,
    attributes: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        name: format!("special_week/{output}"),
        op_type: op_type.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attributes,
        ..Default::default()
    }
}

/// An integer attribute.
pub fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

/// An attribute holding a list of integers (e.g. a convolution's `pads`).
pub fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

/// Renames every use of tensor `from` as a node input to `to`.
pub fn rename_input_uses(graph: &mut pb::GraphProto, from: &str, to: &str) {
    for input in graph.node.iter_mut().flat_map(|n| n.input.iter_mut()) {
        if input == from {
            *input = to.into();
        }
    }
}
