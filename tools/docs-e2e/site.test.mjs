// The built docs site in a real Chromium (playwright-core driving Debian's /usr/bin/chromium, or
// $CHROMIUM_PATH), served from docs/.vitepress/dist on 127.0.0.1: every page loads without a
// console error, and each live example trains for a bounded number of steps while its counters
// and curve advance. Screenshots go to test-artifacts/docs-e2e/.
//
//   npm run docs:build && npm run test:e2e

/* global process, window, document, console */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium as playwrightChromium } from 'playwright-core';
import { serveSite } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dist = join(root, 'docs', '.vitepress', 'dist');
const artifacts = join(root, 'test-artifacts', 'docs-e2e');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!existsSync(join(dist, 'index.html'))) {
  throw new Error(`${dist} has no built site: run \`npm run docs:build\` first`);
}
if (!existsSync(executablePath)) {
  throw new Error(`no Chromium at ${executablePath}: apt-get install -y chromium, or set CHROMIUM_PATH`);
}

let server;
let browser;
let origin;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await serveSite(dist);
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await playwrightChromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Every page of the site, as its clean URL path. */
function sitePages(dir = dist) {
  const pages = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'assets' && name !== 'wasm') pages.push(...sitePages(path));
    } else if (name.endsWith('.html') && !(dir === dist && name === '404.html')) {
      const url = `/${relative(dist, path).split(sep).join('/')}`.replace(/(^|\/)index\.html$/, '$1').replace(/\.html$/, '');
      pages.push(url);
    }
  }
  return pages.sort();
}

/** A tab that records console errors, page errors and failed requests. */
async function openTab() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { page, problems };
}

/** An example's published state (window.bellmanExamples[name]()). */
function exampleState(page, name) {
  return page.evaluate((example) => window.bellmanExamples?.[example]?.() ?? null, name);
}

/** Polls an example's state until `done(state)` holds; fails after `timeoutMs` with the last state. */
async function waitForState(page, name, done, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let state = null;
  while (Date.now() < deadline) {
    state = await exampleState(page, name);
    if (state && done(state)) return state;
    if (state && typeof state.message === 'string' && state.message.startsWith('error')) break;
    await page.waitForTimeout(250);
  }
  assert.fail(`${name}: ${what} within ${timeoutMs / 1000} s; last state ${JSON.stringify(state)}`);
}

/**
 * Opens `path` the way a reader's click does once the site is loaded: VitePress's router catches
 * the click, fetches the page's chunk and renders it. Resolves when the page's content is shown.
 */
async function navigate(page, path) {
  await page.evaluate((target) => {
    const link = document.createElement('a');
    link.href = target;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }, path);
  await page.waitForFunction((target) => decodeURI(window.location.pathname) === target && document.querySelector('.vp-doc, .VPHome') !== null, path, { timeout: 30_000 });
}

test('every page loads without a console error', async () => {
  const pages = sitePages();
  assert.ok(pages.length > 50, `the site has ${pages.length} pages: the API reference is missing`);
  const failures = [];
  const { page, problems } = await openTab();
  // The guide pages load from scratch, as from a search engine; the API reference (hundreds of
  // pages) through the router, as a reader browsing it, which fetches and renders each one.
  const check = (path) => {
    if (problems.length > 0) failures.push(`${path}: ${problems.join('; ')}`);
    problems.length = 0;
  };
  for (const path of pages.filter((p) => !p.startsWith('/api/'))) {
    const response = await page.goto(origin + path, { waitUntil: 'load' });
    if (!response || response.status() !== 200) problems.push(`status ${response?.status()}`);
    check(path);
  }
  await page.goto(`${origin}/api/`, { waitUntil: 'load' });
  for (const path of pages.filter((p) => p.startsWith('/api/'))) {
    await navigate(page, path).catch((error) => problems.push(`not shown: ${error.message.split('\n')[0]}`));
    check(path);
  }
  await page.goto(`${origin}/`);
  await page.screenshot({ path: join(artifacts, 'home.png') });
  await page.close();
  console.log(`${pages.length} pages loaded`);
  assert.deepEqual(failures, []);
});

test('CartPole: DQN trains in the page, its return improves, and Pause / Start resume the run', async () => {
  const { page, problems } = await openTab();
  const started = Date.now();
  await page.goto(`${origin}/examples/cartpole-dqn?autostart&steps=8000&seed=0`);
  const first = await waitForState(page, 'cartpole-dqn', (s) => s.envStep >= 2000 && s.episodeReturns.length >= 10, 60_000, 'no 10 episodes');
  assert.equal(first.status.backend, 'wasm', `backend: ${JSON.stringify(first.status)}`);
  assert.equal(first.status.fusedKernels.active, true, first.status.fusedKernels.reason);
  await page.click('[data-test=pause]');
  const paused = await waitForState(page, 'cartpole-dqn', (s) => !s.running && s.message.startsWith('paused'), 30_000, 'no pause');
  await page.click('[data-test=start]');
  const done = await waitForState(page, 'cartpole-dqn', (s) => !s.running && s.message.startsWith('done'), 120_000, 'not done');
  await page.screenshot({ path: join(artifacts, 'cartpole-dqn.png'), fullPage: true });
  await page.close();
  const returns = done.episodeReturns;
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const early = mean(returns.slice(0, 10));
  const late = mean(returns.slice(-10));
  console.log(`cartpole-dqn: ${done.envStep} env steps, ${returns.length} episodes in ${((Date.now() - started) / 1000).toFixed(1)} s; first 10 episodes ${early.toFixed(1)}, last 10 ${late.toFixed(1)}; ${done.msPerUpdate.toFixed(2)} ms per update; paused at ${paused.envStep}`);
  assert.equal(done.envStep, 8000);
  assert.ok(paused.envStep > first.envStep - 1 && paused.envStep < 8000, `paused at ${paused.envStep}`);
  assert.ok(late > 2 * early, `the last 10 training episodes (${late}) should return more than twice the first 10 (${early})`);
  assert.ok(done.evaluations.length >= 3, `greedy evaluations: ${done.evaluations}`);
  assert.deepEqual(problems, []);
});

test('MURAL: SAC explores the zigzag maze on the meta-NML reward, and both reward maps are redrawn', async () => {
  const { page, problems } = await openTab();
  const started = Date.now();
  await page.goto(`${origin}/examples/mural?autostart&steps=1500&seed=0`);
  const early = await waitForState(page, 'mural', (s) => s.hasPictures && s.pictureStep >= 250, 60_000, 'no reward pictures');
  const done = await waitForState(page, 'mural', (s) => !s.running && s.message.startsWith('done'), 120_000, 'not done');
  await page.screenshot({ path: join(artifacts, 'mural.png'), fullPage: true });
  await page.close();
  console.log(`mural: ${done.envStep} env steps in ${((Date.now() - started) / 1000).toFixed(1)} s; greedy maze distances ${done.evaluations.map((d) => d.toFixed(2)).join(', ')}; ${done.msPerUpdate.toFixed(2)} ms per SAC update`);
  assert.equal(done.status.backend, 'wasm');
  assert.equal(done.status.fusedKernels.active, true, done.status.fusedKernels.reason);
  assert.equal(done.envStep, 1500);
  assert.equal(done.pictureStep, 1500, 'the pictures are redrawn at the end');
  assert.ok(done.pictureStep > early.pictureStep, 'the pictures advance while it trains');
  assert.equal(done.evaluations.length, 3, `a greedy episode every 500 env steps: ${done.evaluations}`);
  for (const distance of done.evaluations) assert.ok(distance >= 0 && distance < 25, `maze distance ${distance}`);
  assert.deepEqual(problems, []);
});

test('Diffuser: the shipped model plans in maze2d-umaze, the denoising is drawn, and the ball follows the plan in MuJoCo', async () => {
  const { page, problems } = await openTab();
  const started = Date.now();
  await page.goto(`${origin}/examples/diffuser?autostart&seed=4`);
  const planned = await waitForState(page, 'diffuser', (s) => s.planMs !== null, 60_000, 'no plan');
  await page.screenshot({ path: join(artifacts, 'diffuser-denoising.png'), fullPage: true });
  const done = await waitForState(page, 'diffuser', (s) => !s.running && s.episodes.length === 1, 60_000, 'the episode did not end');
  await page.screenshot({ path: join(artifacts, 'diffuser.png'), fullPage: true });
  await page.close();
  const [episode] = done.episodes;
  console.log(`diffuser: plan ${planned.planMs.toFixed(0)} ms in ${planned.denoisingSteps} denoising steps; episode of ${episode.envSteps} env steps, return ${episode.episodeReturn}, normalised score ${episode.normalizedScore.toFixed(1)}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(done.status.backend, 'wasm');
  assert.equal(done.status.fusedKernels.active, true, done.status.fusedKernels.reason);
  assert.equal(planned.denoisingSteps, 16);
  assert.equal(episode.envSteps, 300, 'maze2d-umaze-v1 episodes last 300 steps');
  assert.equal(done.envStep, 300);
  assert.ok(episode.episodeReturn >= 0 && episode.episodeReturn <= 300, `return ${episode.episodeReturn}`);
  assert.ok(Number.isFinite(episode.normalizedScore));
  assert.deepEqual(problems, []);
});

test('Offline RL: BC, CQL and IQL train in turns on a recipe made in the page, their evaluation curves grow, and Pause / Start resume them', async () => {
  const { page, problems } = await openTab();
  const started = Date.now();
  await page.goto(`${origin}/examples/offline-rl?autostart&recipe=random&transitions=5000&seed=0&updates=300&evalEvery=100`);
  await waitForState(page, 'offline-rl', (s) => Object.values(s.algorithms).some((a) => a.evaluations.length > 0), 40_000, 'no evaluation');
  await page.click('[data-example=offline-rl] [data-test=pause]');
  const paused = await waitForState(page, 'offline-rl', (s) => !s.running && s.message.startsWith('paused'), 20_000, 'no pause');
  await page.click('[data-example=offline-rl] [data-test=start]');
  await waitForState(page, 'offline-rl', (s) => !s.running && s.message.startsWith('done'), 50_000, 'not done');
  // The chart draws its last rows asynchronously: three points per algorithm.
  const done = await waitForState(page, 'offline-rl', (s) => s.chartMarks === 9, 5_000, 'no 9 points on the chart');
  await page.screenshot({ path: join(artifacts, 'offline-rl.png'), fullPage: true });
  const statusLine = await page.textContent('[data-example=offline-rl] [data-test=status]');
  await page.close();
  const algorithms = Object.entries(done.algorithms);
  const summary = algorithms.map(([name, a]) => `${name} ${a.displayedSteps} updates, ${a.msPerUpdate.toFixed(2)} ms per update, returns ${a.evaluations.map((e) => e.return).join(' / ')}`);
  const pausedAt = Object.values(paused.algorithms).map((a) => a.step);
  console.log(`offline-rl: ${done.dataset.name}, ${done.dataset.transitions} transitions, data mean return ${done.dataset.returnMean.toFixed(1)}; ${summary.join('; ')}; paused at ${pausedAt.join(' / ')}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.ok(pausedAt.some((step) => step < 300), `paused at ${pausedAt}`);
  assert.equal(done.status.backend, 'wasm', `backend: ${JSON.stringify(done.status)}`);
  assert.equal(done.status.fusedKernels.active, true, done.status.fusedKernels.reason);
  assert.equal(done.dataset.name, 'cartpole-random-v0');
  assert.ok(done.dataset.transitions >= 5000 && done.dataset.transitions < 6000, `transitions ${done.dataset.transitions}`);
  assert.deepEqual(algorithms.map(([name]) => name), ['bc', 'cql-discrete', 'iql']);
  for (const [name, a] of algorithms) {
    assert.equal(a.displayedSteps, 300, `${name}: the table shows ${a.displayedSteps} updates`);
    // Resumed runs evaluate exactly where an uninterrupted one does, once each.
    assert.deepEqual(a.evaluations.map((e) => e.update), [100, 200, 300], `${name}: evaluations ${JSON.stringify(a.evaluations)}`);
    assert.ok(a.evaluations.every((e) => e.return >= 8 && e.return <= 500), `${name}: returns ${JSON.stringify(a.evaluations)}`);
    assert.ok(a.msPerUpdate > 0 && Number.isFinite(a.msPerUpdate), `${name}: ${a.msPerUpdate} ms per update`);
  }
  // The status line names each algorithm's time per update.
  for (const label of ['BC', 'CQL', 'IQL']) assert.match(statusLine, new RegExp(`${label} \\d+\\.\\d\\d`));
  assert.deepEqual(problems, []);
});

test('Offline RL: a setting out of range is named in the status line', async () => {
  const { page, problems } = await openTab();
  await page.goto(`${origin}/examples/offline-rl?updates=100&evalEvery=500`);
  const state = await waitForState(page, 'offline-rl', (s) => s.message.startsWith('error'), 30_000, 'no error message');
  await page.close();
  assert.equal(state.message, 'error: evaluate every must be a whole number from 50 to the updates (100), got 500');
  assert.deepEqual(problems, []);
});

test('DR3: plain CQL and CQL + DR3 train side by side and their feature curves grow', async () => {
  const { page, problems } = await openTab();
  const started = Date.now();
  await page.goto(`${origin}/examples/dr3?autostart&recipe=medium&transitions=5000&seed=0&updates=300&probeEvery=25`);
  await waitForState(page, 'dr3', (s) => !s.running && s.message.startsWith('done'), 50_000, 'not done');
  // Each chart draws its last rows asynchronously: 12 probes of each run.
  const done = await waitForState(page, 'dr3', (s) => s.chartMarks[0] === 24 && s.chartMarks[1] === 24, 5_000, 'no 24 points on each chart');
  await page.screenshot({ path: join(artifacts, 'dr3.png'), fullPage: true });
  await page.close();
  const { cql, 'cql+dr3': withDr3 } = done.runs;
  const last = (run) => run.probes[run.probes.length - 1];
  console.log(
    `dr3: ${done.dataset.name}; cql ${cql.displayedSteps} updates, ${cql.msPerUpdate.toFixed(2)} ms per update, phi.phi' ${cql.probes[0].featureDot.toFixed(2)} -> ${last(cql).featureDot.toFixed(2)}, srank ${cql.probes[0].srank} -> ${last(cql).srank}; ` +
      `cql+dr3 ${withDr3.displayedSteps} updates, ${withDr3.msPerUpdate.toFixed(2)} ms per update, phi.phi' ${withDr3.probes[0].featureDot.toFixed(2)} -> ${last(withDr3).featureDot.toFixed(2)}, srank ${withDr3.probes[0].srank} -> ${last(withDr3).srank}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  assert.equal(done.status.backend, 'wasm', `backend: ${JSON.stringify(done.status)}`);
  assert.equal(done.status.fusedKernels.active, true, done.status.fusedKernels.reason);
  const probeSteps = Array.from({ length: 12 }, (_, i) => 25 * i);
  for (const [name, run] of Object.entries(done.runs)) {
    assert.equal(run.displayedSteps, 300, `${name}: the table shows ${run.displayedSteps} updates`);
    assert.deepEqual(run.probes.map((p) => p.update), probeSteps, `${name}: probes at ${run.probes.map((p) => p.update)}`);
    assert.ok(run.probes.every((p) => Number.isFinite(p.featureDot) && p.srank >= 1 && p.srank <= 256), `${name}: ${JSON.stringify(run.probes)}`);
  }
  // The same seed: the same weights and batch at update 0; DR3's penalty alone separates them after.
  assert.equal(withDr3.probes[0].featureDot, cql.probes[0].featureDot);
  assert.equal(withDr3.probes[0].srank, cql.probes[0].srank);
  assert.notEqual(last(withDr3).featureDot, last(cql).featureDot);
  assert.deepEqual(problems, []);
});
