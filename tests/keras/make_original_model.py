"""Build a stand-in for the original app's Keras model, with seeded random weights.

The architecture is the original one: VGG16 without its top (no pretrained weights
here) followed by Flatten -> Dense(256, relu) -> Dense(2, softmax), saved as `.h5` or
`.keras` by the Keras of the environment it runs in: Keras 2 (TensorFlow 2.15) or Keras 3.
Random weights give a saturated or constant softmax, which would prove nothing in
an export test, so the last Dense layer is rescaled and re-centred so that the
probabilities on seeded 0..255 inputs stay inside [0.05, 0.95], vary between
inputs, and change when the colour channels are swapped.

Usage:
    python tests/keras/make_original_model.py --out FILE.h5 [FILE.keras ...] --seed N [--size 50]
"""

import argparse
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TensorFlow 2.21's notice about it

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

# Calibration inputs: how many, and how far the Special Week logit margin may reach.
CALIBRATION_IMAGES = 32
TARGET_MAX_MARGIN = 1.5  # sigmoid(1.5) ~ 0.82, well inside [0.05, 0.95]

# What the saved model must show on the calibration inputs.
PROBABILITY_RANGE = (0.05, 0.95)
MIN_SPREAD = 0.1  # max - min of p[0] over the inputs
MIN_CHANNEL_EFFECT = 0.02  # max |p(RGB) - p(BGR)| over the inputs


def parse_args(argv):
    """Reads the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, nargs="+",
                        help="the .h5 or .keras files to write (the same model in each)")
    parser.add_argument("--seed", required=True, type=int, help="seed of the weights")
    parser.add_argument("--size", type=int, default=50, help="input side in pixels")
    args = parser.parse_args(argv)
    for out in args.out:
        if not out.endswith((".h5", ".keras")):
            parser.error(f"{out}: --out must end in .h5 or .keras (Keras picks the format from it)")
    if args.size < 32:
        parser.error(f"--size must be at least 32 (VGG16's smallest input), not {args.size}")
    return args


def build_model(size):
    """The original layout: a VGG16 conv base and a small dense head on top of it."""
    base = tf.keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(size, size, 3)
    )
    head = tf.keras.Sequential(
        [
            tf.keras.Input(shape=tuple(base.output.shape[1:])),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(256, activation="relu"),
            tf.keras.layers.Dense(2, activation="softmax"),
        ],
        name="head",
    )
    return tf.keras.Model(inputs=base.input, outputs=head(base.output))


def calibration_images(rng, size):
    """Seeded 0..255 RGB images: half pixel noise, half smooth low-resolution blobs."""
    noise = rng.integers(0, 256, size=(CALIBRATION_IMAGES // 2, size, size, 3))
    coarse = rng.integers(0, 256, size=(CALIBRATION_IMAGES // 2, 5, 5, 3))
    blobs = tf.image.resize(coarse.astype(np.float32), (size, size), method="bilinear")
    images = np.concatenate([noise.astype(np.float32), blobs.numpy()])
    return np.clip(np.round(images), 0, 255).astype(np.float32)


def rescale_last_layer(model, images):
    """Scales and centres the last Dense layer so its logit margin spans +-TARGET_MAX_MARGIN.

    The margin is logit[0] - logit[1]; softmax of two classes is the sigmoid of it.
    """
    head = model.get_layer("head")
    flatten, hidden_layer, last = head.layers
    base = tf.keras.Model(inputs=model.input, outputs=model.get_layer("block5_pool").output)
    conv_features = base.predict(images, verbose=0)
    hidden = hidden_layer(flatten(conv_features)).numpy().astype(np.float64)
    kernel, bias = (w.astype(np.float64) for w in last.get_weights())
    margin = hidden @ (kernel[:, 0] - kernel[:, 1]) + (bias[0] - bias[1])
    centre, reach = margin.mean(), np.abs(margin - margin.mean()).max()
    if reach == 0.0:
        raise SystemExit(
            "error: the random model gives one output for every input; try another --seed"
        )
    factor = TARGET_MAX_MARGIN / reach
    # New margin = factor * (margin - centre): scale everything, then shift the bias.
    new_bias = factor * bias - factor * centre / 2 * np.array([1.0, -1.0])
    last.set_weights([(factor * kernel).astype(np.float32), new_bias.astype(np.float32)])


def check_probabilities(model, images):
    """Fails unless the softmax is unsaturated, varies, and depends on the channel order."""
    rgb = model.predict(images, verbose=0)[:, 0]
    bgr = model.predict(images[..., ::-1], verbose=0)[:, 0]
    low, high = PROBABILITY_RANGE
    problems = []
    if rgb.min() < low or rgb.max() > high:
        problems.append(f"p[0] spans [{rgb.min():.4f}, {rgb.max():.4f}], outside [{low}, {high}]")
    if rgb.max() - rgb.min() < MIN_SPREAD:
        problems.append(f"p[0] varies by only {rgb.max() - rgb.min():.4f}")
    if np.abs(rgb - bgr).max() < MIN_CHANNEL_EFFECT:
        problems.append(f"swapping RGB/BGR moves p[0] by only {np.abs(rgb - bgr).max():.4f}")
    if problems:
        raise SystemExit("error: " + "; ".join(problems) + "; try another --seed")
    return rgb, bgr


def main(argv=None):
    """Builds, calibrates, checks and saves the model."""
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")
    # HDF5 is on purpose: it is the format of the original app's model.h5.
    warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")
    tf.keras.utils.set_random_seed(args.seed)
    model = build_model(args.size)
    images = calibration_images(np.random.default_rng(args.seed), args.size)
    rescale_last_layer(model, images)
    rgb, bgr = check_probabilities(model, images)
    for out in args.out:
        model.save(out)
    print(
        f"wrote {', '.join(args.out)}: p[0] in [{rgb.min():.3f}, {rgb.max():.3f}] over "
        f"{len(images)} inputs, max |p(RGB) - p(BGR)| = {np.abs(rgb - bgr).max():.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
