// The package graph of the monorepo, checked from the sources. For every package under packages/
// it reads package.json and the imports of every file in src/ (with TypeScript's own scanner, so
// imports in comments and strings do not count; type-only imports do) and reports:
//
//   graph       an import of a Bellman package that the rule table below does not allow
//   internals   an import of a sibling's internals: a subpath its package.json does not export
//               (`@bellman/core/src/rng.js`), or a relative path that leaves the package
//   undeclared  an imported Bellman package missing from dependencies and peerDependencies
//   declared    a Bellman dependency in package.json that the rule table does not allow
//   no-rule     a package the rule table does not know (add it to ALLOWED_IMPORTS)
//
//   node tools/import-graph/index.mjs      prints the violations, exits 1 if there are any

/* global process, console */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SCOPE = '@bellman/';

/**
 * Which Bellman packages each package may import (by its name without the scope), besides itself.
 * Interfaces live in core, tensors and layers in nn; envs and datasets never need tensors, so
 * they sit on core alone (datasets uses envs for its recipes; envs-mujoco adds MuJoCo envs to envs'
 * registry); training runs learners on datasets
 * and envs; the algorithm packages build on training and nn and get replay buffers from datasets;
 * regularizers reach the algorithms through core's interfaces, so no algorithm imports them; sweep
 * runs bellman commands as processes and needs only core's error types; mbo scores its controller
 * designs in envs' classic-control envs and reads and writes its design-task files with datasets'
 * HDF5 helpers. The CLI may import everything ('*').
 */
export const ALLOWED_IMPORTS = {
  core: [],
  nn: ['core'],
  envs: ['core'],
  'envs-mujoco': ['core', 'envs'],
  datasets: ['core', 'envs'],
  regularizers: ['core', 'nn'],
  training: ['core', 'nn', 'datasets', 'envs'],
  'q-learning': ['core', 'nn', 'training', 'datasets'],
  'classifier-reward': ['core', 'nn', 'training', 'datasets'],
  diffusion: ['core', 'nn', 'training', 'datasets'],
  sweep: ['core'],
  mbo: ['core', 'nn', 'envs', 'datasets'],
  cli: '*',
};

const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The module specifiers a source text imports: static, type-only, re-exports, import() and require(). */
export function importsOf(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The packages of a workspace: for each packages/<dir>/package.json, its name, folder, Bellman
 * dependencies (dependencies and peerDependencies), exported subpaths and the imports of each
 * file under src/.
 */
export function readWorkspace(root) {
  const packagesDir = join(root, 'packages');
  return readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
    .sort()
    .map((dir) => {
      const packageDir = join(packagesDir, dir);
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
      const declared = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((d) => d.startsWith(SCOPE));
      const exports = typeof manifest.exports === 'object' && manifest.exports !== null ? Object.keys(manifest.exports) : ['.'];
      const files = sourceFiles(join(packageDir, 'src')).map((path) => ({
        path: relative(root, path).split(sep).join('/'),
        imports: importsOf(readFileSync(path, 'utf8')),
      }));
      return { name: manifest.name, dir: `packages/${dir}`, declared, exports, files };
    });
}

/** `@bellman/x/sub/path` -> { name: '@bellman/x', short: 'x', subpath: './sub/path' }. */
function parseBellmanSpecifier(specifier) {
  const [, short, rest] = /^@bellman\/([^/]+)(\/.*)?$/.exec(specifier);
  return { name: SCOPE + short, short, subpath: rest === undefined ? '.' : `.${rest}` };
}

const shortName = (name) => name.slice(SCOPE.length);

/** Whether the rule table lets package `from` (short name) import package `to`. */
function allowed(rules, from, to) {
  const list = rules[from];
  return from === to || list === '*' || (Array.isArray(list) && list.includes(to));
}

/**
 * The violations of the package rules in a workspace (as `readWorkspace` returns it), each
 * `{ rule, package, file?, specifier?, message }`; none means the graph is as the table says.
 */
export function checkImportGraph(packages, rules = ALLOWED_IMPORTS) {
  const violations = [];
  const byName = new Map(packages.map((p) => [p.name, p]));
  for (const pkg of packages) {
    const me = shortName(pkg.name);
    const report = (rule, message, where = {}) => violations.push({ rule, package: pkg.name, ...where, message });
    if (!(me in rules)) {
      report('no-rule', `${pkg.name} has no entry in the rule table (tools/import-graph/index.mjs ALLOWED_IMPORTS)`);
      continue;
    }
    for (const dep of pkg.declared) {
      if (!allowed(rules, me, shortName(dep))) report('declared', `${pkg.name} declares a dependency on ${dep}, which it may not import`);
    }
    for (const file of pkg.files) {
      for (const specifier of file.imports) {
        const where = { file: file.path, specifier };
        if (specifier.startsWith('.')) {
          const target = resolve('/', dirname(file.path), specifier);
          if (!target.startsWith(resolve('/', pkg.dir) + sep)) report('internals', `${file.path} imports "${specifier}", a path outside ${pkg.dir}`, where);
          continue;
        }
        if (!specifier.startsWith(SCOPE)) continue;
        const target = parseBellmanSpecifier(specifier);
        const targetPkg = byName.get(target.name);
        if (!allowed(rules, me, target.short)) {
          report('graph', `${file.path} imports ${target.name}, which ${pkg.name} may not import (allowed: ${describeRule(rules[me])})`, where);
        }
        if (targetPkg && !targetPkg.exports.includes(target.subpath)) {
          report('internals', `${file.path} imports "${specifier}", which ${target.name} does not export (it exports ${targetPkg.exports.join(', ')})`, where);
        }
        if (target.name !== pkg.name && !pkg.declared.includes(target.name)) {
          report('undeclared', `${file.path} imports ${target.name}, which ${pkg.dir}/package.json does not list in dependencies or peerDependencies`, where);
        }
      }
    }
  }
  return violations;
}

function describeRule(list) {
  if (list === '*') return 'every package';
  return list.length ? list.map((s) => SCOPE + s).join(', ') : 'none';
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const violations = checkImportGraph(readWorkspace(root));
  for (const v of violations) console.error(`${v.rule}: ${v.message}`);
  if (violations.length === 0) console.log('import graph: every package imports only what the rule table allows');
  process.exit(violations.length ? 1 : 0);
}
