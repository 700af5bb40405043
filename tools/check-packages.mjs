#!/usr/bin/env node
// Checks what every package under packages/ would publish, from the tarball `npm pack` makes of
// its built dist/ (run `npm run build` first):
//
//   1. publint --strict: package.json fields against the packed files (warnings fail too).
//   2. attw (Are the Types Wrong?): how TypeScript resolves each entry point's types under node10,
//      node16 from CJS, node16 from ESM and bundler resolution, against the JavaScript Node loads.
//   3. Consumers: a CommonJS TypeScript project (module/moduleResolution node16, no "type":
//      "module") and an ESM one import every entry point of the unpacked tarballs and type-check
//      with tsc; the CommonJS one is compiled and require()s every entry point in Node.
//
// Each package is packed once and publint and attw read that tarball (the same as their own
// `--pack`, without packing three times). Exits 1 if any check fails.
//
//   node tools/check-packages.mjs        (npm run check:packages)

/* global process, console */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository so that the consumers' other dependencies (@tensorflow/tfjs, commander,
// @types/node, ...) resolve from the root node_modules, while @bellman/* resolve to the unpacked
// tarballs in the consumer's own node_modules.
const work = join(root, 'node_modules', '.cache', 'bellman-check-packages');

/** Where a root devDependency's command is, run with this Node. */
function binOf(pkg, name) {
  const dir = join(root, 'node_modules', pkg);
  const bin = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).bin;
  return join(dir, typeof bin === 'string' ? bin : bin[name]);
}

/** Runs a command to its end: its exit code, stdout and both streams together. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    // No colours: the output is parsed (publint colours it when CI is set) and shown indented.
    const env = { ...process.env, NO_COLOR: '1' };
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, ...options });
    let stdout = '';
    let out = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      out += chunk;
    });
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out: out.trimEnd(), stdout }));
  });
}

const indent = (text) => text.replace(/^/gm, '    ');

/**
 * attw problems that do not apply to these packages. node10 resolution (TypeScript's
 * `moduleResolution: node`, modelled on Node 10's require) ignores `exports`, so no subpath such
 * as `@bellman/core/node` or `@bellman/cli/bin` can resolve under it; subpath exports need Node
 * 12.7+ and TypeScript's node16/nodenext/bundler resolution, and Bellman needs Node >= 20.19. (A
 * project still on node10 reaches the root entry points only; `typesVersions` could map the
 * subpaths for it.) The root entry point is still checked under node10, through `main` and
 * `types`, and every other resolution mode is checked for every entry point.
 */
function ignored(problem) {
  return problem.resolutionKind === 'node10' && problem.entrypoint !== '.'
    && (problem.kind === 'NoResolution' || problem.kind === 'UntypedResolution');
}

const packageDirs = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private);

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'tarballs'), { recursive: true });

const publint = binOf('publint', 'publint');
const attw = binOf('@arethetypeswrong/cli', 'attw');
const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const failures = [];
/** publint suggestion -> the packages it was made for. */
const suggestions = new Map();
const packages = [];

/** Packs one package and runs publint and attw on the tarball; returns what to print. */
async function checkPackage(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const log = [];
  const packed = await run('npm', ['pack', '--json', '--pack-destination', join(work, 'tarballs')], { cwd: dir });
  if (packed.code !== 0) {
    failures.push(`${pkg.name}: npm pack`);
    return { log: [`${pkg.name}: npm pack FAILED`, indent(packed.out)] };
  }
  const tarball = join(work, 'tarballs', JSON.parse(packed.stdout)[0].filename);

  const [lint, types] = await Promise.all([
    run(process.execPath, [publint, 'run', tarball, '--strict']),
    run(process.execPath, [attw, tarball, '--format', 'json']),
  ]);
  // Suggestions do not fail the check; each distinct one is printed once, at the end.
  const found = lint.out.split(/^Suggestions:\n/m)[1]?.split('\n').map((l) => l.replace(/^\d+\. /, '')) ?? [];
  for (const text of found) suggestions.set(text, [...(suggestions.get(text) ?? []), pkg.name]);
  log.push(`${pkg.name}: publint ${lint.code === 0 ? 'ok' : 'FAILED'}${found.length ? ` (${found.length} suggestion${found.length > 1 ? 's' : ''})` : ''}`);
  if (lint.code !== 0) log.push(indent(lint.out.split('\n').filter((l) => !/^(Running publint|Unpacking|Linting)/.test(l)).join('\n')));
  if (lint.code !== 0) failures.push(`${pkg.name}: publint`);

  let problems;
  try {
    problems = Object.values(JSON.parse(types.stdout).problems ?? {}).flat();
  } catch {
    problems = undefined;
  }
  const real = problems?.filter((problem) => !ignored(problem));
  if (real === undefined || real.length > 0) {
    failures.push(`${pkg.name}: attw`);
    log.push(`${pkg.name}: attw FAILED`);
    for (const p of real ?? []) {
      const where = p.entrypoint !== undefined
        ? `"${p.entrypoint}" under ${p.resolutionKind}`
        : `${p.typesFileName ?? ''} for ${p.implementationFileName ?? ''}`;
      log.push(`    ${p.kind}: ${where}`);
    }
    log.push(indent((await run(process.execPath, [attw, tarball, '--no-color', '--no-emoji'])).out));
  } else {
    const skipped = problems.filter(ignored).map((p) => p.entrypoint);
    log.push(`${pkg.name}: attw ok${skipped.length ? ` (node10 cannot resolve subpaths: ${skipped.join(', ')})` : ''}`);
  }
  return { log, pkg, tarball };
}

for (const dir of packageDirs) {
  if (!existsSync(join(dir, 'dist'))) {
    console.error(`check-packages: no dist/ in ${dir}; run \`npm run build\` first`);
    process.exit(1);
  }
}
for (const result of await Promise.all(packageDirs.map(checkPackage))) {
  console.log(result.log.join('\n'));
  if (result.pkg) packages.push(result);
}

// Consumers: the unpacked tarballs in a project's node_modules, importing every entry point.
const consumersStarted = Date.now();
const consumer = join(work, 'consumer');
const entryPoints = [];
for (const { pkg, tarball } of packages) {
  const into = join(consumer, 'node_modules', pkg.name);
  mkdirSync(into, { recursive: true });
  const untar = await run('tar', ['-xzf', tarball, '-C', into, '--strip-components=1']);
  if (untar.code !== 0) throw new Error(`tar failed for ${tarball}: ${untar.out}`);
  for (const subpath of Object.keys(pkg.exports ?? { '.': {} })) {
    if (subpath === './package.json') continue;
    entryPoints.push(subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`);
  }
}
// `@bellman/cli/bin` exports nothing and runs the command when loaded: the consumers import it
// for its side effects (noUncheckedSideEffectImports makes tsc resolve it) in files never run.
const isBin = (spec) => spec.endsWith('/bin');
const modules = entryPoints.filter((spec) => !isBin(spec));
const names = modules.map((_, i) => `entry${i}`);
const body = `${modules.map((spec, i) => `import * as ${names[i]} from '${spec}';`).join('\n')}
import { Box } from '@bellman/core';

const space: Box = new Box(-1, 1, [2]);
const loaded: readonly object[] = [${names.join(', ')}];
`;
const bins = `${entryPoints.filter(isBin).map((spec) => `import '${spec}';`).join('\n')}\n`;
writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
writeFileSync(join(consumer, 'tsconfig.json'), `${JSON.stringify({
  compilerOptions: {
    module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, outDir: 'out',
    skipLibCheck: true, noUncheckedSideEffectImports: true, types: ['node'],
  },
  files: ['cjs.ts', 'esm.mts', 'bin-cjs.ts', 'bin-esm.mts'],
}, null, 2)}\n`);
writeFileSync(join(consumer, 'cjs.ts'), `${body}console.log(\`\${loaded.length} entry points, a Box of shape \${space.shape.join('x')}\`);\n`);
writeFileSync(join(consumer, 'esm.mts'), `${body}void loaded;\nvoid space;\n`);
writeFileSync(join(consumer, 'bin-cjs.ts'), bins);
writeFileSync(join(consumer, 'bin-esm.mts'), bins);

const tsc = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer]);
if (tsc.code !== 0) {
  failures.push('consumers: tsc');
  console.log(`consumers (node16, CJS and ESM): tsc FAILED\n${indent(tsc.out)}`);
} else {
  console.log(`consumers (node16, CJS and ESM): tsc ok on ${entryPoints.length} entry points`);
  const node = await run(process.execPath, [join(consumer, 'out', 'cjs.js')], { cwd: consumer });
  if (node.code !== 0) {
    failures.push('consumers: require');
    console.log(`CJS consumer: require() FAILED\n${indent(node.out)}`);
  } else {
    console.log(`CJS consumer: require() ok: ${node.out.split('\n').at(-1)} (consumers: ${seconds(consumersStarted)})`);
  }
}

for (const [text, names] of suggestions) {
  console.log(`publint suggests, for ${names.length === packages.length ? 'every package' : names.join(', ')}: ${text}`);
}
if (failures.length > 0) {
  console.error(`\ncheck-packages: ${failures.length} failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`\ncheck-packages: ${packages.length} packages ok in ${seconds(started)}`);
