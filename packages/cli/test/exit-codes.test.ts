import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BellmanError, CheckpointError, ConfigError, DatasetError, UsageError } from '@bellman/core';
import { DatasetFileError } from '@bellman/datasets/node';
import { DivergenceError } from '@bellman/training';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeFor, fromUserInput } from '../src/errors.js';
import { tempDir } from './helpers.js';

describe('exitCodeFor', () => {
  it('maps the error types about the user\'s input to 2, by type and not by message', () => {
    const userInput = [
      new ConfigError('BC', 'learningRate', '"learningRate" must be greater than 0, got -1'),
      new DatasetError('data.h5: episode 0 has no steps', { source: 'data.h5', episode: 0 }),
      new DatasetFileError('data.h5', 'is missing', 'rewards'),
      new CheckpointError('ckpt.json has no payload', { file: 'ckpt.json' }),
      new UsageError('Unknown environment id "X"', { envId: 'X' }),
    ];
    for (const err of userInput) expect([err.name, exitCodeFor(err)]).toEqual([err.name, EXIT_USAGE]);
  });

  it('maps anything else to 1, whatever its message says', () => {
    const others: unknown[] = [
      new BellmanError('checkpoint ckpt.json is not valid JSON'),
      new Error('Unknown environment id "X"'),
      Object.assign(new Error('ConfigError'), { name: 'ConfigError' }),
      new TypeError('x is not a function'),
      new DivergenceError('dqn', 3, 'loss', Number.NaN),
      'a string',
    ];
    for (const err of others) expect(exitCodeFor(err)).toBe(EXIT_FAILURE);
  });
});

describe('fromUserInput', () => {
  it('turns any error into a UsageError with the prefix, keeping the cause and a BellmanError\'s context', () => {
    const cause = new DatasetError('data.h5: key "rewards": is missing', { file: 'data.h5', key: 'rewards' });
    let err: unknown;
    try {
      fromUserInput(() => {
        throw cause;
      }, 'dataset data.h5');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('dataset data.h5: data.h5: key "rewards": is missing');
    expect((err as UsageError).context).toEqual({ file: 'data.h5', key: 'rewards' });
    expect((err as UsageError).cause).toBe(cause);
    expect(() => fromUserInput(() => JSON.parse('{oops') as unknown, '--config')).toThrow(UsageError);
  });
});

// The built CLI resolves @bellman/core once for every package, so the types match across packages there too.
const binFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'bellman.js');
const built = existsSync(join(dirname(binFile), '..', 'dist', 'bin.js'));

(built ? describe : describe.skip)('the built CLI', () => {
  it('exits 2 with one line for an unknown env id, which @bellman/envs throws as a UsageError', () => {
    const res = spawnSync(process.execPath, [binFile, 'train', 'bc', '--env', 'CartPole-v0', '--dataset', 'cartpole-random-v0', '--steps', '5'], {
      cwd: tempDir(),
      encoding: 'utf8',
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^bellman: error: Unknown environment id "CartPole-v0"; did you mean "CartPole-v1"\? Known ids: [^\n]*\n$/);
  });

  it('exits 2 with one line for a file that is not a checkpoint, which @bellman/core throws as a CheckpointError', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'not-json.json'), 'checkpoint? no');
    const res = spawnSync(process.execPath, [binFile, 'eval', 'not-json.json', '--backend', 'cpu'], { cwd, encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^bellman: error: checkpoint \S*not-json\.json is not valid JSON \(truncated or not a Bellman checkpoint\)\n$/);
  });
});
