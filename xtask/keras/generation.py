"""Print 2 or 3: the generation of the Keras that wrote the model file named in export.py's
arguments, read from the file without loading the model (no TensorFlow import).

`cargo xtask export-keras` runs this first, then export.py in the environment of that
generation. A file of neither generation, or no Keras file at all, is a one-line error;
usage errors and --help are export.py's own.

Usage:
    python xtask/keras/generation.py MODEL_FILE --out DIR [export.py's other options]
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the exporter in the source tree

from export import ExportError, keras_generation, parse_args  # noqa: E402


def main(argv=None):
    """Prints the generation; expected failures exit with status 1 and a one-line message."""
    args = parse_args(argv, prog="cargo xtask export-keras")
    try:
        print(keras_generation(args.model_file))
    except (ExportError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
