// A small static file server on loopback for the benchmark: several directories under
// URL prefixes, every response cross-origin isolated (COOP same-origin + COEP
// require-corp) so that onnxruntime-web may start threads and the app page may call
// performance.measureUserAgentSpecificMemory(). No caching headers: the browser's own
// cache and the app's service worker behave as with a plain static host.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.css': 'text/css',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.mjs': 'text/javascript',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Starts serving `mounts` ({ '/prefix/': directory, …; '/' for the rest }) on a free
 * loopback port. Resolves to { url, close }.
 */
export async function serve(mounts) {
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)])
    .sort(([a], [b]) => b.length - a.length);
  const server = createServer((request, response) => {
    answer(table, request, response).catch((error) => {
      response.writeHead(500, ISOLATION).end(String(error));
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(done)),
  };
}

async function answer(table, request, response) {
  const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
  const mount = table.find(([prefix]) => path.startsWith(prefix));
  if (!mount) return notFound(response);
  const [prefix, dir] = mount;
  let file = join(dir, path.slice(prefix.length));
  if (file !== dir && !file.startsWith(dir + sep)) return notFound(response);
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return notFound(response);
  response.writeHead(200, {
    ...ISOLATION,
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (request.method === 'HEAD') return response.end();
  createReadStream(file).pipe(response);
}

function notFound(response) {
  response.writeHead(404, { ...ISOLATION, 'Content-Type': 'text/plain' }).end('not found');
}
