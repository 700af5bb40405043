/**
 * Bad input (issue #9): one clear line naming what is wrong and where, exit code 2, nothing written.
 *
 * Unwritable paths: the tests run as root, for whom chmod does not make a directory unwritable.
 * They use two other ways: a real path under /proc/sys (the kernel refuses writes there, access(2)
 * answers EACCES even to root; the test is skipped where that is not so), and a mock of
 * fs.accessSync (paths.ts calls it through the default `node:fs` import, which jest.spyOn can
 * replace) answering EACCES or EROFS for one temporary directory.
 */
import { jest } from '@jest/globals';
import fs, { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../src/errors.js';
import { checkOutputDirectory, checkOutputFile } from '../src/paths.js';
import { lines, runCli, tempDir } from './helpers.js';

/** Whether access(2) refuses writes to `dir` for this process (true for /proc/sys on Linux, root or not). */
function refusesWrites(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return false;
  } catch {
    return existsSync(dir);
  }
}
const procSysRefuses = refusesWrites('/proc/sys');
const itProcSys = procSysRefuses ? it : it.skip;

/** Make fs.accessSync answer `code` for `dir` (and only for it) during `fn`. */
function denyWrites<T>(dir: string, code: 'EACCES' | 'EROFS', fn: () => T): T {
  const real = fs.accessSync;
  const spy = jest.spyOn(fs, 'accessSync').mockImplementation((path, mode) => {
    if (String(path) === dir) throw Object.assign(new Error(`${code}: simulated, access '${dir}'`), { code });
    real(path, mode);
  });
  try {
    return fn();
  } finally {
    spy.mockRestore();
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('checkOutputFile', () => {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'runs', 'x'), { recursive: true });
  writeFileSync(join(cwd, 'a'), 'not a directory');

  it('accepts a new file in a new directory and returns its absolute path', () => {
    expect(checkOutputFile('new/deeper/data.hdf5', '--out', { cwd })).toBe(join(cwd, 'new', 'deeper', 'data.hdf5'));
    expect(checkOutputFile(join(cwd, 'a'), '--out')).toBe(join(cwd, 'a'));
    expect(existsSync(join(cwd, 'new'))).toBe(false);
  });

  it('rejects a directory, a path under a file and a trailing separator', () => {
    expect(messageOf(() => checkOutputFile('runs/x', '--out', { cwd }))).toBe('--out runs/x is a directory, not a file');
    expect(messageOf(() => checkOutputFile('a/b', '--out', { cwd }))).toBe('--out a/b: a is a file');
    expect(messageOf(() => checkOutputFile('a/b/c.h5', '--out', { cwd }))).toBe('--out a/b/c.h5: a is a file');
    expect(messageOf(() => checkOutputFile(join(cwd, 'a', 'b'), '--out'))).toBe(`--out ${join(cwd, 'a', 'b')}: ${join(cwd, 'a')} is a file`);
    expect(messageOf(() => checkOutputFile('fresh/', '--out', { cwd }))).toMatch(/^--out fresh\/ ends with \/: give a file name/);
    expect(messageOf(() => checkOutputFile('', '--out', { cwd }))).toBe('--out must not be empty');
  });

  it('rejects a place it cannot write (simulated EACCES and EROFS)', () => {
    const ro = join(cwd, 'ro');
    mkdirSync(ro);
    expect(denyWrites(ro, 'EACCES', () => messageOf(() => checkOutputFile(join(ro, 'sub', 'x.h5'), '--out')))).toBe(
      `--out ${join(ro, 'sub', 'x.h5')}: permission denied (cannot write to ${ro})`,
    );
    expect(denyWrites(ro, 'EROFS', () => messageOf(() => checkOutputFile('ro/x.h5', '--out', { cwd })))).toBe('--out ro/x.h5: read-only file system (cannot write to ro)');
  });

  itProcSys('rejects a path under /proc/sys (a real EACCES, even as root)', () => {
    expect(messageOf(() => checkOutputFile('/proc/sys/bellman/x.hdf5', '--out'))).toBe('--out /proc/sys/bellman/x.hdf5: permission denied (cannot write to /proc/sys)');
  });
});

describe('checkOutputDirectory', () => {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'runs'), { recursive: true });
  writeFileSync(join(cwd, 'runs', 'x'), 'a file');
  writeFileSync(join(cwd, 'a'), 'a file');

  it('accepts an existing or a creatable directory', () => {
    expect(checkOutputDirectory('runs', '--out', { cwd })).toBe(join(cwd, 'runs'));
    expect(checkOutputDirectory('runs/new/deeper', '--out', { cwd })).toBe(join(cwd, 'runs', 'new', 'deeper'));
    expect(existsSync(join(cwd, 'runs', 'new'))).toBe(false);
  });

  it('rejects a file and a path under a file', () => {
    expect(messageOf(() => checkOutputDirectory('runs/x', '--out', { cwd }))).toBe('--out runs/x is a file, not a directory');
    expect(messageOf(() => checkOutputDirectory('a/b', '--out', { cwd }))).toBe('--out a/b: a is a file');
    expect(messageOf(() => checkOutputDirectory('runs/x/y/z', '--out', { cwd }))).toBe('--out runs/x/y/z: runs/x is a file');
  });

  it('rejects an unwritable directory, existing or not (simulated EACCES)', () => {
    const ro = join(cwd, 'ro');
    mkdirSync(ro);
    expect(denyWrites(ro, 'EACCES', () => messageOf(() => checkOutputDirectory(ro, '--out')))).toBe(`--out ${ro}: permission denied (cannot write to ${ro})`);
    expect(denyWrites(ro, 'EACCES', () => messageOf(() => checkOutputDirectory('ro/run', '--out', { cwd })))).toBe('--out ro/run: permission denied (cannot write to ro)');
  });

  itProcSys('rejects a directory under /proc/sys (a real EACCES, even as root)', () => {
    expect(messageOf(() => checkOutputDirectory('/proc/sys/bellman-run', '--out'))).toBe('--out /proc/sys/bellman-run: permission denied (cannot write to /proc/sys)');
  });
});

/** The CLI's answer to bad input: exit 2, one line on stderr, nothing on stdout. */
function expectUsageError(res: { code: number; stdout: string; stderr: string }, message: string | RegExp): void {
  expect({ code: res.code, stdout: res.stdout, stderrLines: lines(res.stderr).length }).toEqual({ code: 2, stdout: '', stderrLines: 1 });
  const line = lines(res.stderr)[0]!;
  if (typeof message === 'string') expect(line).toBe(`bellman: error: ${message}`);
  else expect(line).toMatch(message);
}

describe('bellman dataset make: --out is checked before generating', () => {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'runs', 'x'), { recursive: true });
  writeFileSync(join(cwd, 'a'), 'a file');
  const before = () => JSON.stringify([readdirSync(cwd).sort(), readdirSync(join(cwd, 'runs', 'x'))]);
  const listing = before();

  it('a directory', async () => {
    expectUsageError(await runCli(['dataset', 'make', 'cartpole-random-v0', '--out', 'runs/x'], { cwd }), '--out runs/x is a directory, not a file');
    expect(before()).toBe(listing);
  });

  it('a path under a file', async () => {
    expectUsageError(await runCli(['dataset', 'make', 'cartpole-random-v0', '--out', 'a/data.hdf5', '--json'], { cwd }), '--out a/data.hdf5: a is a file');
    expect(before()).toBe(listing);
  });

  itProcSys('an unwritable path (under /proc/sys)', async () => {
    expectUsageError(await runCli(['dataset', 'make', 'cartpole-random-v0', '--out', '/proc/sys/bellman/data.hdf5'], { cwd }), '--out /proc/sys/bellman/data.hdf5: permission denied (cannot write to /proc/sys)');
  });

  it('an unwritable path (simulated EACCES)', async () => {
    const ro = join(cwd, 'ro');
    mkdirSync(ro, { recursive: true });
    const res = await (async () => {
      const real = fs.accessSync;
      const spy = jest.spyOn(fs, 'accessSync').mockImplementation((path, mode) => {
        if (String(path) === ro) throw Object.assign(new Error('EACCES: simulated'), { code: 'EACCES' });
        real(path, mode);
      });
      try {
        return await runCli(['dataset', 'make', 'cartpole-random-v0', '--out', 'ro/data.hdf5'], { cwd });
      } finally {
        spy.mockRestore();
      }
    })();
    expectUsageError(res, '--out ro/data.hdf5: permission denied (cannot write to ro)');
    expect(readdirSync(ro)).toEqual([]);
  });

  it('a --data-dir that is a file', async () => {
    expectUsageError(await runCli(['dataset', 'make', 'cartpole-random-v0', '--data-dir', 'a'], { cwd }), '--data-dir a is a file, not a directory');
  });
});

describe('bellman eval: the checkpoint and the env it is given', () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = tempDir();
    const { makeRecipe } = await import('@bellman/datasets');
    const { writeMinari } = await import('@bellman/datasets/node');
    await writeMinari(join(cwd, 'small.h5'), makeRecipe('cartpole-mixed-v0', { minTransitions: 600 }), { datasetId: 'small', envId: 'CartPole-v1' });
    const res = await runCli(
      ['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'small.h5', '--steps', '5', '--eval-episodes', '1', '--batch-size', '16', '--config', '{"hiddenSizes":[8]}', '--backend', 'cpu', '--out', 'run'],
      { cwd },
    );
    expect(res.code).toBe(0);
    mkdirSync(join(cwd, 'empty-run'));
    writeFileSync(join(cwd, 'other.json'), JSON.stringify({ hello: 'world' }));
    writeFileSync(join(cwd, 'not-json.json'), 'checkpoint? no');
    writeFileSync(join(cwd, 'no-learner.json'), JSON.stringify({ format: 'bellman-checkpoint', version: 1, meta: {}, payload: { state: {} } }));
  });

  it('a CartPole checkpoint in Pendulum-v1 names both envs and both spaces', async () => {
    expectUsageError(
      await runCli(['eval', 'run/checkpoint.json', '--env', 'Pendulum-v1', '--episodes', '1', '--backend', 'cpu'], { cwd }),
      "checkpoint run/checkpoint.json was trained on CartPole-v1 (observations Box[4], actions Discrete(2)) but --env Pendulum-v1 has observations Box[3], actions Box[1] in [-2, 2]: the checkpoint's env and spaces do not match the env given",
    );
  });

  it('a run directory: its checkpoint.json is evaluated', async () => {
    const res = await runCli(['eval', 'run', '--episodes', '1', '--backend', 'cpu', '--json'], { cwd });
    expect(res.code).toBe(0);
    const out = JSON.parse(lines(res.stdout).at(-1)!) as Record<string, unknown>;
    expect(out).toMatchObject({ algo: 'bc', env: 'CartPole-v1', episodes: 1, checkpoint: join(cwd, 'run', 'checkpoint.json') });
  });

  it('a directory without checkpoint.json', async () => {
    expectUsageError(await runCli(['eval', 'empty-run', '--backend', 'cpu'], { cwd }), /^bellman: error: empty-run is a directory without checkpoint\.json: pass a checkpoint file or a run directory/);
  });

  it('a missing file', async () => {
    expectUsageError(await runCli(['eval', 'nope/checkpoint.json', '--backend', 'cpu'], { cwd }), 'checkpoint nope/checkpoint.json does not exist');
  });

  it('a JSON file that is not a checkpoint, a file that is not JSON, a checkpoint without a learner', async () => {
    expectUsageError(await runCli(['eval', 'other.json', '--backend', 'cpu'], { cwd }), /^bellman: error: \S*other\.json is not a Bellman checkpoint/);
    expectUsageError(await runCli(['eval', 'not-json.json', '--backend', 'cpu'], { cwd }), /^bellman: error: checkpoint \S*not-json\.json is not valid JSON/);
    expectUsageError(await runCli(['eval', 'no-learner.json', '--backend', 'cpu'], { cwd }), 'checkpoint no-learner.json holds no learner snapshot');
  });
});
