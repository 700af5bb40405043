#!/usr/bin/env node
// A new workspace package, ready to build, test, type-check, lint and release:
//
//   npm run new-package -- <name> [--description "..."] [--deps @bellman/core,@bellman/nn]
//
// It writes packages/<name>/ (configs from tools/scaffold-package.mjs, a small module with its
// test, a README whose ```ts example the tests run), docs/packages/<name>.md (which includes the
// README), and adds the package to the root README's table, docs/README.md's list,
// tsconfig.base.json's paths, the import rules of tools/import-graph/index.mjs and
// package-lock.json's workspaces, and links node_modules/@bellman/<name> as `npm ci` would. Every
// check (name, dependencies, the files it edits) runs before anything is written; a failed one
// prints why and exits with code 2.

/* global process, console */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageConfigs } from '../scaffold-package.mjs';
import { packageSources } from './template.mjs';

const SCOPE = '@bellman/';
const USAGE = 'usage: npm run new-package -- <name> [--description "what it holds"] [--deps @bellman/core,@bellman/nn,...]';
/** A scoped npm name is at most 214 characters. */
const MAX_NAME_LENGTH = 214 - SCOPE.length;
const IMPORT_RULES = 'tools/import-graph/index.mjs';

/** A request the tool refuses (bad name, unknown dependency, a file it cannot edit); `context` says what was given. */
export class NewPackageError extends Error {
  constructor(message, context = {}) {
    super(message);
    this.name = 'NewPackageError';
    this.context = context;
  }
}

/** `<name> [--description text] [--deps a,b]` -> `{ name, description?, deps? }`. */
export function parseArgs(argv) {
  const options = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--description' || flag === '--deps') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new NewPackageError(`${flag} needs a value`, { option: flag });
      options[flag.slice(2)] = value;
    } else if (arg.startsWith('-')) {
      throw new NewPackageError(`unknown option ${arg}`, { option: arg });
    } else positional.push(arg);
  }
  if (positional.length !== 1) throw new NewPackageError(positional.length === 0 ? 'give the package name' : `one package name, got ${positional.join(' ')}`, { given: positional });
  return { name: positional[0], ...options };
}

/** The workspace's packages: folder name -> package.json. */
function workspacePackages(root) {
  const dir = join(root, 'packages');
  return new Map(
    readdirSync(dir)
      .filter((name) => existsSync(join(dir, name, 'package.json')))
      .map((name) => [name, JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8'))]),
  );
}

const exists = (path) => {
  try {
    lstatSync(path); // a dangling link counts too
    return true;
  } catch {
    return false;
  }
};

function checkName(root, name, packages) {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new NewPackageError(
      `"${name}" is not a valid package name: use lower-case letters, digits and single hyphens, starting with a letter and at most ${MAX_NAME_LENGTH} characters (e.g. "decision-transformer")`,
      { name },
    );
  }
  const taken = [...packages].find(([dir, manifest]) => dir === name || manifest.name === SCOPE + name);
  if (taken || exists(join(root, 'packages', name))) throw new NewPackageError(`packages/${name} already exists (${SCOPE}${name} is taken)`, { name });
  if (exists(join(root, 'node_modules', '@bellman', name))) {
    throw new NewPackageError(`node_modules/@bellman/${name} already exists: remove the stale link before making the package`, { name });
  }
}

/**
 * `--deps` as full names with @bellman/core added (every package may import core, and the starter
 * module uses its types), sorted as npm sorts the dependencies it writes.
 */
function resolveDependencies(list, name, packages) {
  const given = (list ?? '').split(',').map((d) => d.trim()).filter(Boolean);
  const known = [...packages.keys()].sort();
  const deps = [`${SCOPE}core`];
  for (const dep of given) {
    const short = dep.startsWith(SCOPE) ? dep.slice(SCOPE.length) : dep;
    if (!packages.has(short)) throw new NewPackageError(`unknown dependency "${dep}" (workspace packages: ${known.map((k) => SCOPE + k).join(', ')})`, { dependency: dep });
    // the CLI imports every package, so a package that imported it would make a cycle
    if (short === 'cli') throw new NewPackageError(`${SCOPE}cli cannot be a dependency: the CLI imports the packages, not the other way round`, { dependency: dep });
    if (short === name) throw new NewPackageError(`${SCOPE}${name} cannot depend on itself`, { dependency: dep });
    if (!deps.includes(SCOPE + short)) deps.push(SCOPE + short);
  }
  return deps.sort((a, b) => a.localeCompare(b, 'en'));
}

function checkDescription(description) {
  if (/[\r\n]/.test(description)) throw new NewPackageError('--description must be one line', { description });
  if (description.trim() === '') throw new NewPackageError('--description must not be empty', { description });
}

/** Read a file the tool edits, or refuse: every edit is planned before the first write. */
function readEdited(root, path) {
  const file = join(root, path);
  if (!existsSync(file)) throw new NewPackageError(`${path} is missing; the new package is added to it`, { file: path });
  return readFileSync(file, 'utf8');
}

/** The root README's package table with a row for the package, before the CLI's row (the CLI stays last). */
export function withReadmeRow(readme, name, description) {
  const lines = readme.split('\n');
  const header = lines.findIndex((l) => /^\|\s*package\s*\|/.test(l));
  if (header < 0 || !/^\|[-|\s:]+\|$/.test(lines[header + 1] ?? '')) throw new NewPackageError('README.md has no package table (a "| package | ... |" header)', { file: 'README.md' });
  let end = header + 2;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  const cli = lines.findIndex((l, i) => i > header + 1 && i < end && l.includes(`[\`${SCOPE}cli\`]`));
  const row = `| [\`${SCOPE}${name}\`](packages/${name}) | ${description.replace(/\|/g, '\\|')} |`;
  lines.splice(cli >= 0 ? cli : end, 0, row);
  return lines.join('\n');
}

/** docs/README.md's package list with a link to the package's page before the CLI's; unchanged when it has no such list. */
export function withDocsListEntry(docsReadme, name) {
  const lines = docsReadme.split('\n');
  const cli = lines.findIndex((l) => /^\s*\[cli\]\(packages\/cli\.md\)/.test(l));
  if (cli < 0) return docsReadme;
  const indent = /^\s*/.exec(lines[cli])[0];
  lines.splice(cli, 0, `${indent}[${name}](packages/${name}.md) ·`);
  return lines.join('\n');
}

/** tsconfig.base.json with `@bellman/<name>` mapped to its sources, beside the other packages' entries. */
export function withTsconfigPath(text, name) {
  const config = JSON.parse(text);
  const paths = config.compilerOptions?.paths;
  if (!paths) throw new NewPackageError('tsconfig.base.json has no compilerOptions.paths', { file: 'tsconfig.base.json' });
  const entries = Object.entries(paths);
  // after the last root entry (`@bellman/x`) but the CLI's, before the subpath entries (`@bellman/x/node`)
  const roots = entries.map(([key], i) => [key, i]).filter(([key]) => !key.slice(SCOPE.length).includes('/'));
  const cli = roots.find(([key]) => key === `${SCOPE}cli`);
  const at = cli ? cli[1] : roots.length > 0 ? roots[roots.length - 1][1] + 1 : entries.length;
  entries.splice(at, 0, [`${SCOPE}${name}`, [`packages/${name}/src/index.ts`]]);
  config.compilerOptions.paths = Object.fromEntries(entries);
  return `${JSON.stringify(config, null, 2)}${text.endsWith('\n') ? '\n' : ''}`;
}

/** tools/import-graph/index.mjs with a rule letting the package import its dependencies, before the CLI's rule. */
export function withImportRule(source, name, deps) {
  const cliRule = /^(\s*)cli: '\*',$/m.exec(source);
  if (!cliRule || !source.includes('export const ALLOWED_IMPORTS = {')) {
    throw new NewPackageError(`${IMPORT_RULES} has no ALLOWED_IMPORTS table ending with the CLI's rule (cli: '*')`, { file: IMPORT_RULES });
  }
  const key = /^[a-z][a-z0-9]*$/.test(name) ? name : `'${name}'`;
  const allowed = deps.map((d) => `'${d.slice(SCOPE.length)}'`).join(', ');
  const rule = `${cliRule[1]}${key}: [${allowed}],\n`;
  return source.slice(0, cliRule.index) + rule + source.slice(cliRule.index);
}

/**
 * package-lock.json with the workspace's two entries, as npm writes them: the link
 * node_modules/@bellman/<name> and packages/<name> with its dependencies, each at its sorted place.
 * Without them `npm ci` refuses the lockfile as out of sync with the workspaces.
 */
export function withLockfileWorkspace(text, manifest, name) {
  const lock = JSON.parse(text);
  if (!lock.packages) throw new NewPackageError('package-lock.json has no "packages" section', { file: 'package-lock.json' });
  const workspace = { name: manifest.name, version: manifest.version, license: manifest.license };
  for (const field of ['dependencies', 'peerDependencies']) {
    if (Object.keys(manifest[field] ?? {}).length > 0) workspace[field] = manifest[field];
  }
  let entries = Object.entries(lock.packages);
  for (const [key, value] of [
    [`node_modules/@bellman/${name}`, { resolved: `packages/${name}`, link: true }],
    [`packages/${name}`, workspace],
  ]) {
    // npm keeps the keys sorted with localeCompare('en'), the root ("") first
    const at = entries.findIndex(([k]) => k !== '' && k.localeCompare(key, 'en') > 0);
    entries.splice(at < 0 ? entries.length : at, 0, [key, value]);
  }
  lock.packages = Object.fromEntries(entries);
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/**
 * Everything the package needs, computed without writing: `{ files: [[path, text]], link }` with
 * paths relative to the workspace root. Throws a NewPackageError for a bad request.
 */
export function planNewPackage(root, { name, description, deps: depList }) {
  const packages = workspacePackages(root);
  checkName(root, name, packages);
  const deps = resolveDependencies(depList, name, packages);
  const text = description ?? `Bellman ${name}: a reinforcement-learning package on TensorFlow.js`;
  checkDescription(text);

  const dir = `packages/${name}`;
  const own = { ...packageConfigs({ name, description: text, dependencies: deps }), ...packageSources({ name, description: text }) };
  const manifest = JSON.parse(own['package.json']);
  const files = Object.entries(own).map(([path, content]) => [`${dir}/${path}`, content]);
  // The guide page is the README itself, so the two cannot drift; the README starts with the title.
  files.push([`docs/packages/${name}.md`, `<!--@include: ../../packages/${name}/README.md-->\n`]);
  files.push(['README.md', withReadmeRow(readEdited(root, 'README.md'), name, text)]);
  if (existsSync(join(root, 'docs', 'README.md'))) {
    const docs = readEdited(root, 'docs/README.md');
    const listed = withDocsListEntry(docs, name);
    if (listed !== docs) files.push(['docs/README.md', listed]);
  }
  files.push(['tsconfig.base.json', withTsconfigPath(readEdited(root, 'tsconfig.base.json'), name)]);
  files.push([IMPORT_RULES, withImportRule(readEdited(root, IMPORT_RULES), name, deps)]);
  files.push(['package-lock.json', withLockfileWorkspace(readEdited(root, 'package-lock.json'), manifest, name)]);
  return { name, dir, deps, files, link: { path: `node_modules/@bellman/${name}`, target: `../../${dir}` } };
}

/** Write a plan: the files, then the workspace link that `npm ci` would make. */
export function applyPlan(root, plan) {
  for (const [path, content] of plan.files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  mkdirSync(dirname(join(root, plan.link.path)), { recursive: true });
  symlinkSync(plan.link.target, join(root, plan.link.path));
}

function main(argv) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let plan;
  try {
    plan = planNewPackage(root, parseArgs(argv));
  } catch (err) {
    if (!(err instanceof NewPackageError)) throw err;
    console.error(`new-package: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  const edited = new Set(plan.files.map(([path]) => path).filter((path) => existsSync(join(root, path))));
  applyPlan(root, plan);
  console.log(`created ${SCOPE}${plan.name} in ${plan.dir} (depends on ${plan.deps.join(', ')})`);
  for (const [path] of plan.files) console.log(`  ${edited.has(path) ? 'updated' : 'new    '} ${path}`);
  console.log(`  linked  ${plan.link.path} -> ${plan.link.target}`);
  console.log(`next: npm run build, then cd ${plan.dir} && npm test (docs/contributing.md says what the package needs)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
