// Bellman in a real browser: bundles page.mjs (minified) with esbuild from the built package entries
// (@bellman/nn, @bellman/q-learning: run `npm run build` first), serves it with tfjs-backend-wasm's
// binaries from a local HTTP server, once plain and once cross-origin isolated (COOP/COEP, where
// tfjs takes its threaded build on a shared wasm heap), and runs it in headless Chromium. Each run
// must be on wasm with Bellman's SIMD kernels linked (no fallback to JS loops) and give the same
// metrics as the same computation in Node.
//
//   node --test tools/browser-test/          (part of npm test; CHROMIUM_PATH picks the browser)

/* global process, console, URL, window */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);

/** The Chromium to drive: $CHROMIUM_PATH, else the first of the usual names on PATH. */
function findChromium() {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not on PATH; try the next name
    }
  }
  return null;
}

const chromium = findChromium();
const skip = chromium ? false : 'no Chromium found (install it: apt-get install -y chromium, or set CHROMIUM_PATH)';

/** The page, its bundle and the wasm binaries in a fresh directory. */
async function buildSite() {
  const site = join(root, 'node_modules', '.cache', 'bellman-browser-test');
  rmSync(site, { recursive: true, force: true });
  mkdirSync(join(site, 'wasm'), { recursive: true });
  await build({
    entryPoints: [join(here, 'page.mjs')],
    bundle: true,
    // Minified, as a site ships it (tfjs's threaded build runs its workers from its own source text).
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(site, 'page.js'),
    logLevel: 'error',
  });
  const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    copyFileSync(join(wasmDist, 'dist', file), join(site, 'wasm', file));
  }
  return site;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>bellman</title><script type="module" src="./page.js"></script>';

/** A static server for `site` on a free port; `isolated` adds the COOP/COEP headers. */
function serve(site, isolated) {
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url, 'http://localhost').pathname);
    const headers = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'] });
      res.end(PAGE);
      return;
    }
    const file = join(site, path);
    if (!file.startsWith(site) || !existsSync(file)) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Opens the page in a new tab and waits for the computation's result. */
async function runPage(browser, url) {
  const page = await browser.newPage();
  const console_ = [];
  page.on('console', (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console_.push(`pageerror: ${e.message}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.bellmanResult !== undefined, { timeout: 30000 });
    const result = await page.evaluate(() => window.bellmanResult);
    return { ...result, console: console_ };
  } finally {
    await page.close();
  }
}

/** Every number of every update's metrics, equal to Node's (float32 values in float64: exact). */
function assertSameMetrics(browserMetrics, nodeMetrics, label) {
  for (const algo of Object.keys(nodeMetrics)) {
    assert.equal(browserMetrics[algo].length, nodeMetrics[algo].length, `${label} ${algo}: update count`);
    nodeMetrics[algo].forEach((expected, u) => {
      for (const [key, value] of Object.entries(expected)) {
        assert.equal(browserMetrics[algo][u][key], value, `${label} ${algo} update ${u} ${key}: browser ${browserMetrics[algo][u][key]}, node ${value}`);
      }
    });
  }
}

test('DQN and BC train on wasm in headless Chromium, plain and cross-origin isolated, with Node\'s numbers', { skip, timeout: 120000 }, async () => {
  const started = Date.now();
  const { computeLosses } = await import('./computation.mjs');
  const node = await computeLosses({ backend: 'wasm' });
  assert.equal(node.backend, 'wasm');
  assert.equal(node.simd.active, true, node.simd.reason);
  assert.ok(node.metrics.dqn[0].loss > 0 && node.metrics.bc[0].loss > 0, 'the losses are positive numbers');
  assert.notEqual(node.metrics.dqn[0].loss, node.metrics.dqn[3].loss, 'the updates change the loss');

  const site = await buildSite();
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    for (const isolated of [false, true]) {
      const label = isolated ? 'cross-origin isolated' : 'plain';
      const server = await serve(site, isolated);
      try {
        const result = await runPage(browser, `http://127.0.0.1:${server.address().port}/`);
        console.log(`${label}: ${result.error ?? result.reason}`);
        console.log(`${label}: dqn loss ${result.metrics?.dqn.map((m) => m.loss).join(' ')}; bc loss ${result.metrics?.bc.map((m) => m.loss).join(' ')}`);
        assert.equal(result.error, undefined, `${label}: the page failed: ${result.error}\n${result.console.join('\n')}`);
        assert.equal(result.crossOriginIsolated, isolated, `${label}: crossOriginIsolated`);
        assert.equal(result.backend, 'wasm', `${label}: backend`);
        assert.equal(result.simd.active, true, `${label}: ${result.simd.reason}`);
        assert.equal(result.simd.sharedMemory, isolated, `${label}: a shared heap exactly when isolated`);
        assert.deepEqual(result.messages.filter((m) => m.startsWith('warn')), [], `${label}: warnings`);
        assertSameMetrics(result.metrics, node.metrics, label);
      } finally {
        server.close();
      }
    }
    const server = await serve(site, false);
    try {
      const url = (mode) => `http://127.0.0.1:${server.address().port}/?mode=${mode}`;
      const unserved = await runPage(browser, url('no-wasm-paths'));
      console.log(`without wasmPaths: ${unserved.failure?.message}`);
      assert.equal(unserved.failure?.name, 'BackendError', JSON.stringify(unserved));
      for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'wasmPaths']) {
        assert.ok(unserved.failure.message.includes(file), `the error names ${file}: ${unserved.failure.message}`);
      }
      const auto = await runPage(browser, url('auto'));
      console.log(`auto: ${auto.error ?? auto.reason}`);
      assert.equal(auto.backend, 'wasm');
      assert.match(auto.reason, /^backend wasm: in a browser wasm runs Bellman's fused SIMD kernels and gives Node's numbers/);
      assert.doesNotMatch(auto.reason, /tfjs-node/);
      const webgl = await runPage(browser, url('webgl'));
      console.log(`webgl: ${webgl.error ?? `${webgl.reason}; [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = ${webgl.product}`}`);
      assert.equal(webgl.error, undefined, `webgl: ${webgl.error}\n${webgl.console.join('\n')}`);
      assert.equal(webgl.backend, 'webgl');
      assert.deepEqual(webgl.product, [19, 22, 43, 50]);
    } finally {
      server.close();
    }
  } finally {
    await browser.close();
  }
  console.log(`node: dqn loss ${node.metrics.dqn.map((m) => m.loss).join(' ')}; bc loss ${node.metrics.bc.map((m) => m.loss).join(' ')}`);
  console.log(`browser test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
