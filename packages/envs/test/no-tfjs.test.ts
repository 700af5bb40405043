// @bellman/envs (and the @bellman/core it depends on) must work in a project that has no
// TensorFlow.js: this packs both packages as npm would publish them, installs the tarballs into a
// temporary project outside the repository (so the root node_modules, which has tfjs, is out of
// reach) and steps CartPole there from ESM and from CommonJS. Needs the built dist/ folders
// (`npm run build`; CI builds before it tests). Nor does it bring MuJoCo: the maze2d ids say which
// package to install.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKED = ['core', 'envs'];

// Without npm_* variables: `npm test` sets them, and npm would take them as its own config (the
// workspace root as prefix, say) in the commands below.
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
delete env.NODE_PATH;
delete env.NODE_OPTIONS;

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return result;
}

function mustRun(command: string, args: string[], cwd: string): string {
  const result = run(command, args, cwd);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const stepCartPole = (load: string) => `${load}
const env = make('CartPole-v1');
const observations = [env.reset({ seed: 0 }).observation];
for (let i = 0; i < 10; i++) observations.push(env.step(i % 2).observation);
env.close();
for (const [i, o] of observations.entries()) {
  if (o.length !== 4 || !Array.from(o).every(Number.isFinite)) throw new Error('observation ' + i + ' is not 4 finite numbers: ' + Array.from(o));
}
console.log(JSON.stringify(observations.map((o) => Array.from(o))));
`;

describe('@bellman/envs without TensorFlow.js', () => {
  let project = '';

  beforeAll(() => {
    for (const name of PACKED) {
      const dist = join(packagesDir, name, 'dist');
      if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first`);
    }
    project = mkdtempSync(join(tmpdir(), 'bellman-no-tfjs-'));
    const tarballs = join(project, 'tarballs');
    mkdirSync(tarballs);
    const packed = PACKED.map((name) => {
      const out = mustRun('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], join(packagesDir, name));
      return join(tarballs, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
    });
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'no-tfjs', private: true, version: '0.0.0' }, null, 2)}\n`);
    // Local tarballs only: nothing to fetch, and --offline makes any attempt to fetch an error.
    mustRun('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...packed], project);
  }, 240_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('installs no TensorFlow.js, and tfjs cannot be resolved from the project', () => {
    expect(existsSync(join(project, 'node_modules', '@tensorflow'))).toBe(false);
    const resolve = run(process.execPath, ['-e', "require.resolve('@tensorflow/tfjs')"], project);
    expect(resolve.status).not.toBe(0);
    expect(resolve.stderr).toMatch(/Cannot find module '@tensorflow\/tfjs'/);
  });

  it('ships JavaScript and declarations that name no @tensorflow module in an import or require', () => {
    const offending: string[] = [];
    for (const name of PACKED) {
      for (const file of filesUnder(join(project, 'node_modules', '@bellman', name))) {
        if (!/\.(c|m)?js$|\.d\.c?ts$/.test(file)) continue;
        const text = readFileSync(file, 'utf8');
        // Static and dynamic imports and requires, and type imports in the declarations: a
        // TypeScript project without tfjs must type-check with skipLibCheck off.
        if (/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]@tensorflow\//.test(text)) offending.push(file);
      }
    }
    expect(offending).toEqual([]);
  });

  it.each([
    ['ESM', 'step.mjs', "import { make } from '@bellman/envs';"],
    ['CommonJS', 'step.cjs', "const { make } = require('@bellman/envs');"],
  ])('makes CartPole-v1 and steps it from %s', (_kind, file, load) => {
    writeFileSync(join(project, file), stepCartPole(load));
    const result = run(process.execPath, [file], project);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const observations = JSON.parse(result.stdout) as number[][];
    expect(observations).toHaveLength(11);
    for (const o of observations) {
      expect(o).toHaveLength(4);
      for (const v of o) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('installs no MuJoCo, and makeAsync of a maze2d id names the package to install', () => {
    expect(existsSync(join(project, 'node_modules', '@mujoco'))).toBe(false);
    const script = "import('@bellman/envs').then((envs) => envs.makeAsync('maze2d-umaze-v1')).then(() => console.log('made'), (e) => console.log(e.name + ': ' + e.message));";
    const result = run(process.execPath, ['-e', script], project);
    expect(result.stdout.trim()).toBe('UsageError: Environment "maze2d-umaze-v1" (D4RL\'s maze2d on MuJoCo) needs the package @bellman/envs-mujoco, which is not installed: npm install @bellman/envs-mujoco');
  });
});
