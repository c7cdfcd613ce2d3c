"""Export a Keras model of the original app to a model directory the Rust classifier loads.

The model is the original app's `model.h5` (or a `.keras` file): VGG16 without its
top, then Flatten -> Dense(256, relu) -> Dense(2, softmax), taking a square NHWC
image. Files written by Keras 2 need an environment with Keras 2 (TensorFlow 2.15,
requirements.txt), files written by Keras 3 one with Keras 3 (requirements-keras3.txt);
`cargo xtask export-keras` reads the file's Keras version with generation.py and picks
the environment. This script writes, into --out:

  model.onnx        the model converted by tf2onnx (NHWC float32 input, softmax output)
  model.json        how to feed it and read it, in the classifier's schema
  check/NN.png      seeded RGB test images at the model's input size
  check/keras.json  Keras's probabilities for those images, fed as model.json says

and fails unless tract, the engine the classifier runs, gives the same probabilities
as Keras on every test image. The defaults describe the original app's serving path:
RGB values 0..255 resized with a nearest-neighbour filter, class 0 = Special Week.

Usage:
    python xtask/keras/export.py MODEL_FILE --out DIR [--channel-order RGB|BGR]
        [--resize-filter nearest|triangle|catmullrom|lanczos3] [--scale 1.0]
        [--special-week-index 0] [--threshold 0.5] [--checks 20]
"""

import argparse
import hashlib
import json
import logging
import math
import os
import sys
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow 2.21 prints a notice about oneDNN's numerics whatever the log level, which
# would bury a one-line error; the reference probabilities do not need oneDNN's speed.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

# TensorFlow, tf2onnx and tract are imported where they are used, so that usage
# errors and a missing model file are reported before the slow TensorFlow import.

FORMAT_VERSION = 1
ONNX_OPSET = 13
ONNX_FILE = "model.onnx"
ONNX_INPUT_NAME = "image"
RESIZE_FILTERS = ("nearest", "triangle", "catmullrom", "lanczos3")
CHANNEL_ORDERS = ("RGB", "BGR")
MEAN = [0.0, 0.0, 0.0]
STD = [1.0, 1.0, 1.0]
SPECIAL_WEEK = {"ja": "スペシャルウィーク", "en": "special_week"}
OTHER = {"ja": "スペシャルウィーク以外", "en": "other"}

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
GENERATIONS = (2, 3)  # the Keras major versions this exporter reads
MODEL_CLASSES = ("Functional", "Sequential", "Model")  # layers that are models

CHECK_SEED = 20240229
MAX_DELTA = 1e-4  # largest |p_keras - p_tract| accepted, over all probabilities
SOFTMAX_SUM_TOLERANCE = 1e-4


class ExportError(Exception):
    """An expected failure (bad input, failed check): reported in one line, no traceback."""


def parse_args(argv, prog=None):
    """Reads and validates the command line; `prog` names the command in messages."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Export a Keras model of the original app to ONNX + model.json, "
        "checked against tract."
    )
    parser.add_argument("model_file", type=Path, help="Keras model (.h5 or .keras)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write")
    parser.add_argument("--channel-order", choices=CHANNEL_ORDERS, default="RGB",
                        help="channel order the model was trained on (default RGB)")
    parser.add_argument("--resize-filter", choices=RESIZE_FILTERS, default="nearest",
                        help="filter to resize images to the input size (default nearest)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="factor applied to 0..255 pixel values (default 1.0)")
    parser.add_argument("--special-week-index", type=int, choices=(0, 1), default=0,
                        help="output index of the Special Week class (default 0)")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="Special Week probability from which to answer yes (default 0.5)")
    parser.add_argument("--checks", type=int, default=20,
                        help="number of test images compared between Keras and tract")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.scale) and args.scale > 0.0):
        parser.error(f"--scale must be a positive number, not {args.scale}")
    if not 0.0 < args.threshold < 1.0:
        parser.error(f"--threshold must be strictly between 0 and 1, not {args.threshold}")
    if args.checks < 1:
        parser.error(f"--checks must be at least 1, not {args.checks}")
    return args


def sha256_of(path):
    """Lower-case hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def keras_version(path):
    """The Keras version recorded in a model file, read without loading the model: the
    `keras_version` of a `.keras` zip's metadata.json, or of an HDF5 file's root group."""
    if not path.is_file():
        raise ExportError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                version = json.loads(archive.read("metadata.json"))["keras_version"]
        except (KeyError, TypeError, ValueError, zipfile.BadZipFile) as error:
            raise ExportError(
                f"{path}: a zip file without a keras_version in metadata.json, "
                "so not a .keras model file"
            ) from error
    else:
        import h5py

        if not h5py.is_hdf5(path):
            raise ExportError(
                f"{path}: not a Keras model file (neither an HDF5 .h5 nor a .keras zip)"
            )
        with h5py.File(path, "r") as h5:
            version = h5.attrs.get("keras_version")
        if version is None:
            raise ExportError(
                f"{path}: an HDF5 file without a keras_version attribute, so not a "
                "Keras model file (weights only?)"
            )
    return version.decode() if isinstance(version, bytes) else str(version)


def keras_generation(path):
    """2 or 3: the major version of the Keras that wrote the file; fails for any other."""
    version = keras_version(path)
    major = version.split(".")[0]
    if not major.isdigit() or int(major) not in GENERATIONS:
        raise ExportError(
            f"{path} was written by Keras {version}; export-keras reads files of "
            "Keras 2 and Keras 3"
        )
    return int(major)


def saved_config(path):
    """The model's architecture as saved in the file (a .keras zip's config.json, an
    HDF5 file's model_config attribute), or {} when it cannot be read."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        import h5py

        with h5py.File(path, "r") as h5:
            config = h5.attrs.get("model_config")
        return json.loads(config) if config is not None else {}
    except (KeyError, ValueError, OSError, zipfile.BadZipFile):
        return {}


def saved_layers(config):
    """Every layer entry of a saved architecture, inside nested models too."""
    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers", []) if isinstance(inner, dict) else []
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict):
            yield layer
            yield from saved_layers(layer)


def is_keras_layer(entry, keras_layers):
    """Whether a saved layer entry names one of Keras's own layer classes."""
    module = entry.get("module")
    return (module is None or str(module).split(".")[0] == "keras") and (
        entry.get("class_name") in MODEL_CLASSES
        or isinstance(getattr(keras_layers, str(entry.get("class_name")), None), type)
    )


def first_line(error):
    """The first non-empty line of an exception's message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def layer_named_in(error, model):
    """The model's layer (nested models included) whose name the error message mentions."""
    text = str(error)
    stack = list(model.layers)
    while stack:
        layer = stack.pop(0)
        if layer.name in text:
            return layer
        stack[:0] = getattr(layer, "layers", [])
    return None


def load_keras_model(path):
    """Loads the model and returns it with its input side; fails on a file of another
    Keras generation than this environment's, on a layer that is not Keras's own, and on
    a shape we cannot serve."""
    generation = keras_generation(path)
    import keras  # the Keras behind tf.keras: 2.15 with TensorFlow 2.15, 3.x with 2.16+
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    running = keras.__version__
    if int(running.split(".")[0]) != generation:
        raise ExportError(
            f"{path} was written by Keras {keras_version(path)} and this environment has "
            f"Keras {running}: run `cargo xtask export-keras`, which picks the environment"
        )
    try:
        model = tf.keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for files it cannot read
        for entry in saved_layers(saved_config(path)):
            if not is_keras_layer(entry, tf.keras.layers):
                name = (entry.get("config") or {}).get("name", "?")
                class_name = str(entry.get("class_name")).split(">")[-1]  # "Package>Class"
                raise ExportError(
                    f"{path}: layer {name!r} is of class {class_name}, which is "
                    f"not a layer of Keras {running}; only Keras's own layers can be exported"
                ) from error
        raise ExportError(
            f"{path}: Keras {running} cannot load it: {first_line(error)}"
        ) from error
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ExportError(
            f"{path}: expected one input and one output, found "
            f"{len(model.inputs)} and {len(model.outputs)}"
        )
    input_shape = tuple(model.inputs[0].shape)
    if len(input_shape) != 4 or input_shape[3] != 3 or input_shape[1] is None \
            or input_shape[1] != input_shape[2]:
        raise ExportError(
            f"{path}: input shape {input_shape} is not a fixed square NHWC RGB image "
            "(batch, side, side, 3)"
        )
    output_shape = tuple(model.outputs[0].shape)
    if output_shape[1:] != (2,):
        raise ExportError(
            f"{path}: output shape {output_shape} is not (batch, 2); expected two "
            "classes, Special Week and other"
        )
    return model, input_shape[1]


def convert_to_onnx(model, size, onnx_path):
    """Converts with tf2onnx to `onnx_path`; returns the graph's input and output names."""
    import tensorflow as tf
    import tf2onnx

    tf2onnx.logging.set_level(logging.ERROR)
    signature = [tf.TensorSpec((None, size, size, 3), tf.float32, name=ONNX_INPUT_NAME)]
    try:
        proto, _ = tf2onnx.convert.from_keras(
            model, input_signature=signature, opset=ONNX_OPSET, output_path=str(onnx_path)
        )
    except Exception as error:  # tf2onnx raises many types for what it cannot convert
        layer = layer_named_in(error, model)
        what = f"layer {layer.name!r} ({type(layer).__name__})" if layer else "the model"
        raise ExportError(f"tf2onnx cannot convert {what}: {first_line(error)}") from error
    inputs = [i.name for i in proto.graph.input]
    outputs = [o.name for o in proto.graph.output]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ExportError(f"tf2onnx made a graph with inputs {inputs} and outputs {outputs}")
    return inputs[0], outputs[0]


def check_images(count, size):
    """Seeded RGB uint8 images, cycling through smooth gradients, colour blocks and noise.

    Image i depends only on i, so asking for more checks keeps the first ones the same.
    """
    makers = (gradient_image, block_image, noise_image)
    return [
        makers[i % len(makers)](np.random.default_rng([CHECK_SEED, i]), size)
        for i in range(count)
    ]


def gradient_image(rng, size):
    """Each channel a linear ramp in its own direction, between a dark and a light level."""
    ys, xs = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    channels = []
    for _ in range(3):
        angle = rng.uniform(0.0, 2.0 * np.pi)
        ramp = np.cos(angle) * xs + np.sin(angle) * ys
        ramp = (ramp - ramp.min()) / (np.ptp(ramp) or 1.0)
        low, high = rng.permutation([rng.uniform(0.0, 96.0), rng.uniform(160.0, 255.0)])
        channels.append(low + (high - low) * ramp)
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def block_image(rng, size):
    """A grid of 2..6 by 2..6 flat-coloured blocks."""
    rows, cols = rng.integers(2, 7, size=2)
    colours = rng.integers(0, 256, size=(rows, cols, 3), dtype=np.uint8)
    row_of = np.arange(size) * rows // size
    col_of = np.arange(size) * cols // size
    return colours[row_of[:, None], col_of[None, :]]


def noise_image(rng, size):
    """Independent uniform 0..255 values for every pixel and channel."""
    return rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)


def model_input(images, channel_order, scale):
    """The NHWC float32 batch that model.json declares: pixels in channel_order,
    times scale, minus MEAN, divided by STD."""
    batch = np.stack(images).astype(np.float32)
    if channel_order == "BGR":
        batch = batch[..., ::-1]
    return ((batch * np.float32(scale) - np.float32(MEAN)) / np.float32(STD)).astype(np.float32)


def keras_probabilities(model, batch):
    """Keras's output for the batch; fails unless every row is a probability distribution."""
    probabilities = np.asarray(model.predict(batch, verbose=0), dtype=np.float32)
    sums = probabilities.sum(axis=1)
    if probabilities.min() < 0.0 or np.abs(sums - 1.0).max() > SOFTMAX_SUM_TOLERANCE:
        raise ExportError(
            "the model's outputs are not softmax probabilities (rows sum to "
            f"{sums.min():.6g}..{sums.max():.6g}); does it end in a softmax layer?"
        )
    return probabilities


def tract_probabilities(onnx_path, batch, keras_model):
    """Runs the ONNX file with tract, the engine the Rust classifier uses."""
    import tract

    try:
        model = tract.onnx().load(str(onnx_path))
        model.set_input_fact(0, ",".join(map(str, batch.shape)) + ",f32")
        runnable = model.into_model().into_runnable()
        return runnable.run([batch])[0].to_numpy()
    except tract.TractError as error:
        layer = layer_named_in(error, keras_model)
        what = f" (layer {layer.name!r}, {type(layer).__name__})" if layer else ""
        raise ExportError(
            f"tract cannot run {onnx_path}{what}: {first_line(error)}"
        ) from error


def write_check_files(check_dir, images, probabilities):
    """Saves the images as NN.png and Keras's probabilities as keras.json."""
    check_dir.mkdir(parents=True, exist_ok=True)
    for stale in check_dir.glob("*.png"):
        stale.unlink()
    width = max(2, len(str(len(images) - 1)))
    entries = []
    for index, (image, row) in enumerate(zip(images, probabilities)):
        name = f"{index:0{width}d}.png"
        Image.fromarray(image).save(check_dir / name)
        entries.append({"file": name, "probabilities": [float(p) for p in row]})
    (check_dir / "keras.json").write_text(json.dumps(entries, indent=2) + "\n")


def labels_for(special_week_index):
    """The two labels, with Special Week at its output index."""
    labels = [OTHER, OTHER]
    labels[special_week_index] = SPECIAL_WEEK
    return labels


def model_meta(args, size, onnx_path, input_name, output_name):
    """The contents of model.json."""
    import keras
    import tensorflow as tf
    import tf2onnx

    return {
        "format_version": FORMAT_VERSION,
        "model_file": onnx_path.name,
        "model_sha256": sha256_of(onnx_path),
        "input": {
            "name": input_name,
            "size": size,
            "layout": "NHWC",
            "channel_order": args.channel_order,
            "resize_filter": args.resize_filter,
            "scale": args.scale,
            "mean": MEAN,
            "std": STD,
        },
        "output": {"name": output_name, "kind": "softmax"},
        "labels": labels_for(args.special_week_index),
        "special_week_index": args.special_week_index,
        "threshold": args.threshold,
        "base": {
            "source": f"Keras model {args.model_file.name}",
            "source_sha256": sha256_of(args.model_file),
            "exported_by": "xtask/keras/export.py",
            "versions": {
                "keras": keras.__version__,
                "tensorflow": tf.__version__,
                "tf2onnx": tf2onnx.__version__,
            },
        },
    }


def export(args):
    """Converts, checks against tract, then writes model.json (only once the check passed)."""
    model, size = load_keras_model(args.model_file)
    images = check_images(args.checks, size)
    batch = model_input(images, args.channel_order, args.scale)
    expected = keras_probabilities(model, batch)

    meta_path = args.out / "model.json"
    args.out.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)  # a failed export must not leave a loadable directory
    onnx_path = args.out / ONNX_FILE
    input_name, output_name = convert_to_onnx(model, size, onnx_path)
    write_check_files(args.out / "check", images, expected)
    actual = tract_probabilities(onnx_path, batch, model)
    if actual.shape != expected.shape:
        raise ExportError(f"tract answered shape {actual.shape}, Keras {expected.shape}")
    delta = float(np.abs(expected - actual).max())
    summary = f"keras vs tract: max |Δp| = {delta:.3g}, over {len(images)} images"
    if not delta <= MAX_DELTA:
        raise ExportError(f"{summary}: above the allowed {MAX_DELTA:g}")
    print(summary)

    meta = model_meta(args, size, onnx_path, input_name, output_name)
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {meta_path} (input {input_name!r}, output {output_name!r}, {size}x{size})")


def main(argv=None):
    """Runs the export; expected failures exit with status 1 and a one-line message."""
    args = parse_args(argv)
    try:
        export(args)
    except (ExportError, OSError) as error:  # OSError: --out not writable, disk full...
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
