// The browser half of `cargo xtask bench`: serves the built app, the model variants, the
// input tensors and the onnxruntime-web page from one loopback server, opens ONE headless
// Chromium and measures, in order:
//   1. the app at each size: model ready, the worker's whole classify per image, and (at
//      the shipped size) page + worker memory after load and after the images;
//   2. onnxruntime-web at each thread count, size and batch: the model run alone;
//   3. the shipped app: cold page open → first answer, and cached (service worker) →
//      first answer;
//   4. the shipped app given the files of --mixed at once: memory after load and after.
// Writes everything, raw, as JSON to --out; xtask computes the statistics.
//
//   node bench/run.mjs --chromium /usr/bin/chromium --dist dist --models target/bench/models \
//     --inputs target/bench/inputs --image assets/icons/icon-512.png --sizes 64,96,128 \
//     --shipped-size 96 --batches 1 --ort-threads 1,2 --warmup 3 --runs 20 --loads 20 \
//     --mixed target/bench/mixed --out target/bench/browser.json

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

import { firstAnswers, mixedMemory, perImage } from './app.mjs';
import { serve } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The flags that work for Debian's Chromium here (as in the e2e suite). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // measureUserAgentSpecificMemory() answers at once instead of at the next GC.
  '--enable-blink-features=ForceEagerMeasureMemory',
  // Headless Chromium builds its omnibox popup (a WebUI page in a renderer of its own)
  // for every new window: a trace of one cached page open showed it taking 1.5–1.9 s of
  // CPU beside the app's load on 2 cores. A visitor's browser has it already; the app's
  // page should not be timed against it.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,PreloadTopChromeWebUI',
];

const { values: options } = parseArgs({
  options: {
    chromium: { type: 'string' },
    dist: { type: 'string' },
    models: { type: 'string' },
    inputs: { type: 'string' },
    image: { type: 'string' },
    sizes: { type: 'string' },
    'shipped-size': { type: 'string' },
    batches: { type: 'string' },
    'ort-threads': { type: 'string' },
    warmup: { type: 'string' },
    runs: { type: 'string' },
    loads: { type: 'string' },
    mixed: { type: 'string' },
    out: { type: 'string' },
  },
});
for (const [name, value] of Object.entries(options)) {
  if (value === undefined) throw new Error(`--${name} is missing`);
}
const numbers = (text) => [...new Set(text.split(',').map(Number))].sort((a, b) => a - b);
const sizes = numbers(options.sizes);
const batches = numbers(options.batches);
const warmup = Number(options.warmup);
const runs = Number(options.runs);

const server = await serve({
  '/': options.dist,
  '/bench-models/': options.models,
  '/bench-inputs/': options.inputs,
  '/bench/': join(HERE, 'page'),
  '/ort/': join(HERE, 'node_modules', 'onnxruntime-web', 'dist'),
});
// Playwright starts Chromium with a new, empty --user-data-dir of its own; every
// context below is a fresh profile within it (own cache, own service workers).
const browser = await chromium.launch({
  executablePath: options.chromium,
  headless: true,
  args: CHROMIUM_FLAGS,
});
const image = await readFile(options.image);
const results = { chromium: browser.version(), server: 'loopback, COOP/COEP isolated' };

try {
  results.app = [];
  for (const size of sizes) {
    const run = await perImage(browser, server.url, `bench-models/s${size}`, image,
      { warmup, runs, memory: size === Number(options['shipped-size']) });
    console.error(`bench: app ${size}×${size}: ready in ${run.ready_ms.toFixed(0)} ms`);
    results.app.push({ size, ...run });
  }

  results.ort_web = [];
  for (const threads of numbers(options['ort-threads'])) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/bench/?threads=${threads}`);
    await page.waitForFunction(() => window.benchOrt !== undefined);
    for (const size of sizes) {
      const meta = JSON.parse(await readFile(join(options.models, `s${size}`, 'model.json'), 'utf8'));
      const run = await page.evaluate((job) => window.benchOrt(job), {
        model: `/bench-models/s${size}/${meta.model_file}`,
        inputName: meta.input.name,
        outputName: meta.output.name,
        size,
        batches: batches.map((batch) => ({ batch, input: `/bench-inputs/s${size}-n${batch}.f32` })),
        warmup,
        runs,
      });
      if (run.threads !== threads) throw new Error(`onnxruntime-web ran ${run.threads} threads, not ${threads}`);
      console.error(`bench: onnxruntime-web ${threads} thread(s) ${size}×${size} done`);
      for (const { batch, ...timing } of run.results) {
        results.ort_web.push({ threads, size, batch, version: run.version, load_ms: run.load_ms, ...timing });
      }
    }
    await context.close();
  }

  results.first_answer = await firstAnswers(browser, server.url, image, Number(options.loads));

  const mixed = (await readdir(options.mixed)).sort().map((name) => join(options.mixed, name));
  results.mixed = await mixedMemory(browser, server.url, mixed);
  console.error(`bench: ${mixed.length} mixed files: ${results.mixed.verdicts} verdicts`);
} finally {
  await browser.close();
  await server.close();
}
await writeFile(options.out, JSON.stringify(results, null, 1));
