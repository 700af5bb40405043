// `npm run new-package` in a copy of the repository: the package it makes builds, passes its
// tests, type-checks and lints with no edit, and is listed where the workspace lists packages; a
// bad request exits with code 2 and writes nothing.
//
//   node --test tools/new-package/    (part of `npm test`: tools/new-package/project.json; needs
//                                      the dist/ of core, datasets and nn, which nx builds first)
//
// The copy holds the repository's files, the built dist/ of the packages the new one depends on (its
// declarations build against their types) and a node_modules of links into the repository's own,
// but for a fresh @bellman/ folder of links into the copy, so nothing is written to the repository.

/* global process */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NAME = 'policy-gradient';
const DESCRIPTION = 'Policy-gradient learners | for the table test';
// given out of order: the package lists them sorted, as npm would
const DEPENDENCIES = ['nn', 'datasets'];
const SORTED_DEPENDENCIES = ['core', 'datasets', 'nn'];

let copy;

/** The repository's files (tracked and untracked, not ignored, as in the work tree), the dependencies' dist/ and a linked node_modules, in a temp folder. */
function copyRepository() {
  const root = mkdtempSync(join(tmpdir(), 'bellman-new-package-'));
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of tracked) {
    const from = join(repoRoot, file);
    if (!existsSync(from)) continue; // deleted in the work tree
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(from, join(root, file), { verbatimSymlinks: true });
  }
  for (const dep of SORTED_DEPENDENCIES) {
    const dist = join(repoRoot, 'packages', dep, 'dist');
    assert.ok(existsSync(join(dist, 'index.d.ts')), `packages/${dep}/dist is not built: run npm run build first`);
    cpSync(dist, join(root, 'packages', dep, 'dist'), { recursive: true });
  }
  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, '@bellman'), { recursive: true });
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    // @bellman/* link into the copy; tools' caches stay out of the repository
    if (entry === '@bellman' || entry === '.cache') continue;
    symlinkSync(realpathSync(join(repoRoot, 'node_modules', entry)), join(modules, entry));
  }
  for (const name of readdirSync(join(root, 'packages'))) {
    symlinkSync(`../../packages/${name}`, join(modules, '@bellman', name));
    // a package's own node_modules holds the versions npm could not hoist (the CLI's commander)
    const own = join(repoRoot, 'packages', name, 'node_modules');
    if (existsSync(own)) symlinkSync(realpathSync(own), join(root, 'packages', name, 'node_modules'));
  }
  return root;
}

/** Every path under `root` (node_modules: its @bellman links only) with its size and mtime. */
function snapshot(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      const rel = path.slice(root.length + 1);
      if (rel === 'node_modules') {
        out.push(...readdirSync(join(path, '@bellman')).map((n) => `node_modules/@bellman/${n}`));
        continue;
      }
      const stat = lstatSync(path);
      out.push(`${rel} ${stat.size} ${stat.mtimeMs}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1', FORCE_COLOR: '0' };

/** Run a command in the copy; returns `{ status, stdout, stderr }` and fails the test with its output unless it exits 0 (or `expect`). */
function run(command, args, { cwd = copy, expect = 0 } = {}) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (expect !== null) {
    assert.equal(result.status, expect, `${command} ${args.join(' ')} in ${cwd} exited ${result.status}${result.error ? ` (${result.error.message})` : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

const newPackage = (...args) => run(process.execPath, ['tools/new-package/index.mjs', ...args], { expect: null });

before(() => {
  copy = copyRepository();
});

after(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

test('a bad request exits with code 2, says why and writes nothing', () => {
  const before = snapshot(copy);
  const cases = [
    [['Policy_Gradient'], /"Policy_Gradient" is not a valid package name: use lower-case letters, digits and single hyphens/],
    [['-x'], /unknown option -x/],
    [['2step'], /"2step" is not a valid package name/],
    [['core'], /packages\/core already exists/],
    [[NAME, '--deps', '@bellman/nope'], /unknown dependency "@bellman\/nope" \(workspace packages: @bellman\/classifier-reward, /],
    [[NAME, '--deps', 'cli'], /@bellman\/cli cannot be a dependency/],
    [[NAME, '--description'], /--description needs a value/],
    [[], /give the package name/],
  ];
  for (const [args, message] of cases) {
    const result = newPackage(...args);
    assert.equal(result.status, 2, `new-package ${args.join(' ')}: exit ${result.status}\n${result.stderr}`);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /usage: npm run new-package -- <name>/);
    assert.equal(result.stdout, '');
  }
  assert.deepEqual(snapshot(copy), before);
});

test('npm run new-package makes a package that builds, passes its tests, type-checks and lints', () => {
  const made = run('npm', ['run', '--silent', 'new-package', '--', NAME, '--description', DESCRIPTION, '--deps', DEPENDENCIES.map((d) => `@bellman/${d}`).join(',')]);
  assert.match(made.stdout, new RegExp(`created @bellman/${NAME} in packages/${NAME} \\(depends on @bellman/core, @bellman/datasets, @bellman/nn\\)`));
  const dir = join(copy, 'packages', NAME);
  assert.equal(realpathSync(join(copy, 'node_modules', '@bellman', NAME)), realpathSync(dir));

  run('npm', ['run', 'build'], { cwd: dir });
  for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) assert.ok(statSync(join(dir, 'dist', file)).size > 0, `dist/${file}`);
  assert.match(readFileSync(join(dir, 'dist', 'index.d.ts'), 'utf8'), /from '@bellman\/core'/);

  const tested = run('npm', ['test'], { cwd: dir });
  // jest prints its summary on stderr: the module's 3 tests, the README's 2 (it has a block; the block runs)
  assert.match(tested.stderr, /Tests:\s+5 passed, 5 total/);
  run('npm', ['run', 'typecheck'], { cwd: dir });
  run('npm', ['run', 'lint'], { cwd: dir });
  // `npm run typecheck` also compiles every README's runnable blocks, the new one's among them
  const examples = run(process.execPath, ['tools/readme-examples/typecheck.mjs']);
  assert.match(examples.stdout, /README examples: \d+ blocks from \d+ files type-check/);
  assert.ok(readFileSync(join(dir, 'README.md'), 'utf8').includes(`from '@bellman/${NAME}'`));
});

test('the package is listed in the README table, the docs, the workspace paths, the import rules and the lockfile', () => {
  const readme = readFileSync(join(copy, 'README.md'), 'utf8').split('\n');
  const row = readme.indexOf(`| [\`@bellman/${NAME}\`](packages/${NAME}) | Policy-gradient learners \\| for the table test |`);
  assert.ok(row > 0, 'README.md has the row');
  assert.match(readme[row + 1], /^\| \[`@bellman\/cli`\]/, 'the CLI row stays last');

  assert.equal(readFileSync(join(copy, 'docs', 'packages', `${NAME}.md`), 'utf8'), `<!--@include: ../../packages/${NAME}/README.md-->\n`);
  assert.match(readFileSync(join(copy, 'packages', NAME, 'README.md'), 'utf8'), new RegExp(`^# @bellman/${NAME}\n`));
  assert.match(readFileSync(join(copy, 'docs', 'README.md'), 'utf8'), new RegExp(`\\[${NAME}\\]\\(packages/${NAME}\\.md\\) ·\n\\s*\\[cli\\]\\(packages/cli\\.md\\)`));

  const paths = JSON.parse(readFileSync(join(copy, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths;
  assert.deepEqual(paths[`@bellman/${NAME}`], [`packages/${NAME}/src/index.ts`]);

  const lock = JSON.parse(readFileSync(join(copy, 'package-lock.json'), 'utf8')).packages;
  assert.deepEqual(lock[`node_modules/@bellman/${NAME}`], { resolved: `packages/${NAME}`, link: true });
  assert.deepEqual(Object.entries(lock[`packages/${NAME}`].dependencies), SORTED_DEPENDENCIES.map((d) => [`@bellman/${d}`, '0.1.0']));
  // npm, given the workspaces' package.json files, writes the very same lockfile (so `npm ci` accepts it)
  const manifests = mkdtempSync(join(tmpdir(), 'bellman-new-package-lock-'));
  try {
    for (const file of ['package.json', 'package-lock.json', ...readdirSync(join(copy, 'packages')).map((p) => `packages/${p}/package.json`)]) {
      mkdirSync(dirname(join(manifests, file)), { recursive: true });
      cpSync(join(copy, file), join(manifests, file));
    }
    run('npm', ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--cache', join(manifests, '.npm')], { cwd: manifests });
    assert.equal(readFileSync(join(manifests, 'package-lock.json'), 'utf8'), readFileSync(join(copy, 'package-lock.json'), 'utf8'));
  } finally {
    rmSync(manifests, { recursive: true, force: true });
  }

  // the import-graph check knows the package (no "no-rule") and finds nothing wrong with it
  const graph = run(process.execPath, ['tools/import-graph/index.mjs']);
  assert.match(graph.stdout, /every package imports only what the rule table allows/);
  const { ALLOWED_IMPORTS } = JSON.parse(
    run(process.execPath, ['--input-type=module', '-e', "import { ALLOWED_IMPORTS } from './tools/import-graph/index.mjs'; console.log(JSON.stringify({ ALLOWED_IMPORTS }));"]).stdout,
  );
  assert.deepEqual(ALLOWED_IMPORTS[NAME], SORTED_DEPENDENCIES);

  // nx finds the project (nx release takes its projects from packages/*)
  const projects = run(process.execPath, [join(copy, 'node_modules', 'nx', 'bin', 'nx.js'), 'show', 'projects', '--json']);
  assert.ok(JSON.parse(projects.stdout).includes(`@bellman/${NAME}`), projects.stdout);

  // a second run refuses: the name is taken now
  const again = newPackage(NAME);
  assert.equal(again.status, 2);
  assert.match(again.stderr, new RegExp(`packages/${NAME} already exists`));
});
