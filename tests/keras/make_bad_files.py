"""Write files that `cargo xtask export-keras` must refuse with a one-line error.

Into --out, with the Keras of the environment it runs in (2 or 3, written as N):

  custom-layer-kerasN.keras (Keras 3) or .h5 (Keras 2)
                     a small model with a custom layer named 'sparkle' (class Sparkle),
                     which the exporter cannot load: the error must name the layer
  keras1.h5          an HDF5 file whose keras_version is 1.2.2: neither generation
  weights-only.h5    an HDF5 file with no keras_version at all
  not-a-model.h5     a text file
  no-metadata.keras  a zip without metadata.json

Usage:
    python tests/keras/make_bad_files.py --out DIR
"""

import argparse
import json
import os
import sys
import warnings
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TensorFlow 2.21's notice about it

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


@tf.keras.utils.register_keras_serializable(package="SpecialWeekTest")
class Sparkle(tf.keras.layers.Layer):
    """A layer of this script's own, so a model file that uses it cannot be loaded elsewhere."""

    def call(self, inputs):
        """Doubles its input."""
        return inputs * 2.0


def custom_layer_model():
    """Input(50, 50, 3) -> Conv2D -> Sparkle -> global average -> Dense(2, softmax)."""
    inputs = tf.keras.Input(shape=(50, 50, 3))
    x = tf.keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = Sparkle(name="sparkle")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(2, activation="softmax")(x))


def main(argv=None):
    """Writes the files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    tf.get_logger().setLevel("ERROR")
    warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")

    generation = int(keras.__version__.split(".")[0])
    suffix = ".keras" if generation >= 3 else ".h5"
    custom = out / f"custom-layer-keras{generation}{suffix}"
    custom_layer_model().save(custom)

    config = json.dumps({"class_name": "Sequential", "config": {"layers": []}})
    with h5py.File(out / "keras1.h5", "w") as h5:
        h5.attrs["keras_version"] = "1.2.2"
        h5.attrs["model_config"] = config
    with h5py.File(out / "weights-only.h5", "w") as h5:
        h5.create_dataset("dense/kernel", data=np.zeros((4, 2), dtype=np.float32))
    (out / "not-a-model.h5").write_text("not a model\n")
    with zipfile.ZipFile(out / "no-metadata.keras", "w") as archive:
        archive.writestr("config.json", config)
    print(f"wrote {custom.name} and the files of neither generation into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
