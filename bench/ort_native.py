"""Times onnxruntime (CPU) natively on the bench's model variants, for `cargo xtask bench`.

    python bench/ort_native.py --models target/bench/models --inputs target/bench/inputs \
        --sizes 64,96,128 --batches 1 --threads 1,2 --warmup 3 --runs 20

For each size S, batch N and thread count T: loads MODELS/sS (model.json + ONNX) with
T intra-op threads (one inter-op thread, sequential execution), feeds the tensor that
bench_tract wrote to INPUTS/sS-nN.f32 (the same input tract timed), and times WARMUP +
RUNS runs of the model alone. Prints one JSON line per combination.
"""

import argparse
import json
import pathlib
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=pathlib.Path, required=True)
    parser.add_argument("--inputs", type=pathlib.Path, required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--batches", required=True)
    parser.add_argument("--threads", required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    args = parser.parse_args()

    for size in numbers(args.sizes):
        directory = args.models / f"s{size}"
        meta = json.loads((directory / "model.json").read_text())
        for threads in numbers(args.threads):
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            started = time.perf_counter()
            session = ort.InferenceSession(
                str(directory / meta["model_file"]), options, providers=["CPUExecutionProvider"]
            )
            load_ms = (time.perf_counter() - started) * 1000
            for batch in numbers(args.batches):
                tensor = np.fromfile(args.inputs / f"s{size}-n{batch}.f32", dtype="<f4")
                tensor = tensor.reshape(batch, size, size, 3)
                feed = {meta["input"]["name"]: tensor}
                timed = []
                for run in range(args.warmup + args.runs):
                    started = time.perf_counter()
                    output = session.run([meta["output"]["name"]], feed)[0]
                    if run >= args.warmup:
                        timed.append((time.perf_counter() - started) * 1000)
                print(json.dumps({
                    "runtime": "onnxruntime",
                    "version": ort.__version__,
                    "threads": threads,
                    "size": size,
                    "batch": batch,
                    "load_ms": load_ms,
                    "runs_ms": timed,
                    "first_row": [float(v) for v in output[0]],
                }), flush=True)


def numbers(text: str) -> list:
    return sorted({int(part) for part in text.split(",")})


if __name__ == "__main__":
    main()
