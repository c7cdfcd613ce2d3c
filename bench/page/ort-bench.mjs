// onnxruntime-web (wasm backend) timed on the bench's model variants. It runs in its own
// Web Worker (`proxy`), as the app runs tract in its worker; each timed run includes the
// hand-over of the input to that worker and of the output back. The thread count comes from the query (?threads=N) because onnxruntime-web
// fixes it when its wasm starts: one page load per thread count. The driver
// (bench/run.mjs) calls window.benchOrt once per model size.

import * as ort from '/ort/ort.wasm.min.mjs';

const threads = Number(new URLSearchParams(location.search).get('threads') ?? '1');
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = threads;
ort.env.wasm.proxy = true;

/**
 * Loads one model and times it on each input batch.
 * @param {{model: string, inputName: string, outputName: string, size: number,
 *          batches: {batch: number, input: string}[], warmup: number, runs: number}} job
 */
async function benchOrt(job) {
  if (threads > 1 && !crossOriginIsolated) {
    throw new Error(`${threads} threads need a cross-origin isolated page`);
  }
  const bytes = new Uint8Array(await (await fetch(job.model)).arrayBuffer());
  let started = performance.now();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const loadMs = performance.now() - started;
  const results = [];
  for (const { batch, input } of job.batches) {
    const data = new Float32Array(await (await fetch(input)).arrayBuffer());
    const runsMs = [];
    let output;
    for (let run = 0; run < job.warmup + job.runs; run++) {
      // The proxy worker takes the tensor's buffer: a fresh copy for every run.
      const tensor = new ort.Tensor('float32', data.slice(), [batch, job.size, job.size, 3]);
      started = performance.now();
      output = (await session.run({ [job.inputName]: tensor }))[job.outputName];
      if (run >= job.warmup) runsMs.push(performance.now() - started);
    }
    const classes = output.dims[1];
    results.push({ batch, runs_ms: runsMs, first_row: Array.from(output.data.slice(0, classes)) });
  }
  await session.release();
  return {
    version: ort.env.versions.web,
    threads: ort.env.wasm.numThreads,
    cross_origin_isolated: crossOriginIsolated,
    load_ms: loadMs,
    results,
  };
}

window.benchOrt = benchOrt;
