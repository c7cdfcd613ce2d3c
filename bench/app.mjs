// Drives the real app page (dist/) the way the e2e suite does: the file input
// `#file-input`, result cards `article.card[data-state=done]` whose `.infer-ms[data-ms]`
// (the whole classify) and `[data-run-ms]` (the model run alone)
// is the worker's whole classify time (decode, resize, crops, model run), and the model
// status `#model-status[data-state]`.

import { rendererMemory } from './memory.mjs';

/** How long a model may take to download and load, or a batch of images to classify. */
const TIMEOUT_MS = 600_000;

// Runs in every page before the app: records, in ms since the page was opened
// (performance.now()), when the ONNX download started (the panel says "downloading"), when
// its bytes were in the page ("preparing"), when the model became ready (and how long the worker says its load took)
// and when the first answer appeared.
const RECORDER = `
  window.__bench = { downloading: null, downloaded: null, ready: null, workerLoad: null, firstAnswer: null, failed: null };
  new MutationObserver(() => {
    const b = window.__bench;
    const status = document.querySelector('#model-status');
    if (b.downloading === null && status?.dataset.state === 'downloading') b.downloading = performance.now();
    if (b.downloaded === null && status?.dataset.state === 'preparing') b.downloaded = performance.now();
    if (b.ready === null && status?.dataset.state === 'ready') {
      b.ready = performance.now();
      const load = Number(document.querySelector('#model-ready')?.dataset.loadMs);
      b.workerLoad = Number.isFinite(load) ? load : null;
    }
    if (status?.dataset.state === 'failed') b.failed = status.innerText;
    const error = document.querySelector('article.card[data-state=error]');
    if (error) b.failed = error.innerText;
    if (b.firstAnswer === null && document.querySelector('article.card[data-state=done]')) {
      b.firstAnswer = performance.now();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true,
                         attributeFilter: ['data-state'] });
`;

function files(image, count) {
  return Array.from({ length: count }, (_, i) => ({
    name: `bench-${String(i).padStart(3, '0')}.png`,
    mimeType: 'image/png',
    buffer: image,
  }));
}

// Waits until `predicate(arg)`, run in the page, returns something truthy; the page's
// recorder's failure (a failed model or an error card) ends the wait early.
async function waitFor(page, what, predicate, arg) {
  const failure = page.waitForFunction(() => window.__bench?.failed, null,
    { timeout: TIMEOUT_MS, polling: 200 });
  const success = page.waitForFunction(predicate, arg, { timeout: TIMEOUT_MS, polling: 50 });
  const first = await Promise.race([
    success.then((handle) => ({ handle })),
    failure.then((handle) => ({ failed: handle })),
  ]).catch((error) => {
    throw new Error(`waiting for ${what}: ${error.message}`);
  });
  failure.catch(() => {});
  success.catch(() => {});
  if (first.failed) throw new Error(`waiting for ${what}: ${await first.failed.jsonValue()}`);
  return first.handle.jsonValue();
}

/**
 * One page open in `context` at `url`, with `image` chosen as soon as the file input
 * exists: ms from opening the page to "model ready" and to the first answer, and
 * whether a service worker served the page.
 */
async function openAndAnswer(context, url, image) {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  await page.setInputFiles('#file-input', files(image, 1), { timeout: TIMEOUT_MS });
  const times = await waitFor(page, 'the first answer',
    () => window.__bench.firstAnswer !== null && window.__bench.ready !== null && window.__bench);
  const controlled = await page.evaluate(() => navigator.serviceWorker?.controller != null);
  return {
    page,
    downloading_ms: times.downloading,
    downloaded_ms: times.downloaded,
    ready_ms: times.ready,
    worker_load_ms: times.workerLoad,
    answer_ms: times.firstAnswer,
    service_worker: controlled,
  };
}

/**
 * Cold page open → first answer in a fresh profile, then (once the service worker has
 * cached the build) the page opened again in that profile → first answer. `loads` times.
 */
export async function firstAnswers(browser, url, image, loads) {
  const cold = [];
  const cached = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    await context.addInitScript(RECORDER);
    const first = await openAndAnswer(context, url, image);
    cold.push(first);
    await waitFor(first.page, 'the offline cache',
      () => document.querySelector('#offline-status')?.dataset.state === 'ready');
    await first.page.close();
    const second = await openAndAnswer(context, url, image);
    if (!second.service_worker) throw new Error('the second open was not served by the service worker');
    cached.push(second);
    await context.close();
    for (const run of [first, second]) delete run.page;
    console.error(`bench: load ${i + 1}/${loads}: cold ${first.answer_ms.toFixed(0)} ms, cached ${second.answer_ms.toFixed(0)} ms`);
  }
  return { cold, cached };
}

/**
 * The app with the model of `modelDir` (its `?model=` value), no service worker: ms to
 * model ready, then `warmup + runs` copies of `image` classified one after another; the
 * worker's classify time of each timed one. With `memory`, the page's and worker's
 * memory after load and after all the images.
 */
export async function perImage(browser, url, modelDir, image, { warmup, runs, memory }) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.addInitScript(RECORDER);
  const page = await context.newPage();
  await page.goto(`${url}/?model=${encodeURIComponent(modelDir)}`, { waitUntil: 'commit' });
  const readyMs = await waitFor(page, `model ${modelDir}`, () => window.__bench.ready);
  const result = { model: modelDir, ready_ms: readyMs };
  if (memory) result.memory_after_load = await measureMemory(page);
  const count = warmup + runs;
  await page.setInputFiles('#file-input', files(image, count));
  const ms = await waitFor(page, `${count} answers`, (count) => {
    const cards = [...document.querySelectorAll('article.card')];
    if (cards.length < count || cards.some((c) => c.dataset.state !== 'done')) return null;
    return cards.map((c) => {
      const times = c.querySelector('.infer-ms')?.dataset ?? {};
      return [Number(times.ms), Number(times.runMs)];
    });
  }, count);
  // Cards are newest first.
  const timed = ms.reverse().slice(warmup);
  result.classify_ms = timed.map(([whole]) => whole);
  result.run_ms = timed.map(([, run]) => run);
  if (memory) {
    result.memory_after_images = { images: count, ...(await measureMemory(page)) };
  }
  await context.close();
  return result;
}

/**
 * The shipped app (no service worker) given every file in `paths` at once — the
 * hostile-file table and ordinary pictures: page + worker memory after load and once
 * every card is done or refused, and how many got a verdict.
 */
export async function mixedMemory(browser, url, paths) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => {
    const state = document.querySelector('#model-status')?.dataset.state;
    if (state === 'failed') throw new Error(document.querySelector('#model-status').innerText);
    return state === 'ready';
  }, null, { timeout: TIMEOUT_MS, polling: 200 });
  const result = { images: paths.length, memory_after_load: await measureMemory(page) };
  await page.setInputFiles('#file-input', paths, { timeout: TIMEOUT_MS });
  const states = await page.waitForFunction((count) => {
    const cards = [...document.querySelectorAll('article.card')];
    if (cards.length < count) return null;
    const states = cards.map((c) => c.dataset.state);
    return states.every((s) => s === 'done' || s === 'error') && states;
  }, paths.length, { timeout: TIMEOUT_MS, polling: 200 }).then((handle) => handle.jsonValue());
  result.verdicts = states.filter((s) => s === 'done').length;
  result.refusals = states.length - result.verdicts;
  result.memory_after_images = await measureMemory(page);
  await context.close();
  return result;
}

/**
 * Memory of the open page: performance.measureUserAgentSpecificMemory() (page and
 * dedicated-worker bytes; the page is cross-origin isolated) and the resident and
 * proportional set sizes of the browser's renderer processes (page + worker + Blink).
 */
async function measureMemory(page) {
  const measured = await page.evaluate(async () => {
    if (!crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null;
    const result = await performance.measureUserAgentSpecificMemory();
    let worker = 0;
    for (const entry of result.breakdown) {
      if (entry.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) worker += entry.bytes;
    }
    return { total_bytes: result.bytes, worker_bytes: worker, page_bytes: result.bytes - worker };
  });
  return { user_agent_specific: measured, renderers: await rendererMemory() };
}
