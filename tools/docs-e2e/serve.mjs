// A static server for the built docs site (docs/.vitepress/dist) on 127.0.0.1, as a host serves it:
// clean URLs (/examples/cartpole-dqn -> examples/cartpole-dqn.html), .wasm as application/wasm,
// no cross-origin isolation headers (tfjs then runs its single-threaded wasm build).
/* global URL */
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The file a request path names, or null. */
function fileFor(dist, pathname) {
  const path = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  const candidates = [path, `${path}.html`, join(path, 'index.html')];
  for (const candidate of candidates) {
    const file = join(dist, candidate);
    if (!file.startsWith(dist + sep) && file !== dist) continue;
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

/** Serves `dist` on a free port of 127.0.0.1; resolves to the server once it listens. */
export function serveSite(dist) {
  const server = createServer((req, res) => {
    const file = fileFor(dist, new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (!file) {
      res.writeHead(404, { 'Content-Type': TYPES['.html'] });
      res.end(existsSync(join(dist, '404.html')) ? readFileSync(join(dist, '404.html')) : 'not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
