"""Writes the size variants of a model directory for `cargo xtask bench`.

    python bench/prepare.py --model model --out target/bench/models --sizes 64,96,128

For each size S, OUT/sS/ gets the model's ONNX file with the image input declared as
S x S (nothing else changes: with global pooling the head does not depend on S) and a
copy of model.json whose `input.size` and `model_sha256` match it. The size the model
already declares is copied byte for byte. Prints one JSON line per variant.
"""

import argparse
import copy
import hashlib
import json
import pathlib
import shutil

import onnx

# Which input dims are the image's height and width, by model.json's layout.
SPATIAL_DIMS = {"NHWC": (1, 2), "NCHW": (2, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=pathlib.Path, required=True, help="model directory (model.json + ONNX)")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="where the sS/ directories go")
    parser.add_argument("--sizes", required=True, help="comma-separated input sizes, e.g. 64,96,128")
    args = parser.parse_args()

    meta = json.loads((args.model / "model.json").read_text())
    source = args.model / meta["model_file"]
    model = onnx.load(source)
    image = next(i for i in model.graph.input if i.name == meta["input"]["name"])
    dims = image.type.tensor_type.shape.dim
    height, width = SPATIAL_DIMS[meta["input"]["layout"]]

    for size in sorted({int(s) for s in args.sizes.split(",")}):
        out = args.out / f"s{size}"
        out.mkdir(parents=True, exist_ok=True)
        target = out / meta["model_file"]
        if dims[height].dim_value == size and dims[width].dim_value == size:
            shutil.copyfile(source, target)
        else:
            target.write_bytes(resized(model, meta["input"]["name"], (height, width), size))
        data = target.read_bytes()
        variant = copy.deepcopy(meta)
        variant["input"]["size"] = size
        variant["model_sha256"] = hashlib.sha256(data).hexdigest()
        (out / "model.json").write_text(json.dumps(variant, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps({"size": size, "dir": str(out), "onnx_bytes": len(data), "sha256": variant["model_sha256"]}))


def resized(model: onnx.ModelProto, input_name: str, spatial: tuple, size: int) -> bytes:
    """The model's bytes with the image input declared as size x size."""
    variant = copy.deepcopy(model)
    image = next(i for i in variant.graph.input if i.name == input_name)
    for axis in spatial:
        image.type.tensor_type.shape.dim[axis].dim_value = size
    # Intermediate shapes recorded for the old size would contradict the new one.
    del variant.graph.value_info[:]
    return variant.SerializeToString()


if __name__ == "__main__":
    main()
