import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BellmanError, CheckpointError, ConfigError, DatasetError, UsageError, resolveConfig, type ConfigSchema } from '../src/index.js';
import { CHECKPOINT_FORMAT, loadCheckpoint } from '../src/node.js';

/** The error `fn` throws; fails the test when it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('the error hierarchy', () => {
  it('gives each type its name, its message, its context and the BellmanError base', () => {
    const cause = new Error('disk');
    const cases = [
      [new DatasetError('d.h5: key "rewards": is missing', { file: 'd.h5', key: 'rewards' }, { cause }), DatasetError, 'DatasetError'],
      [new CheckpointError('ckpt.json has no payload', { file: 'ckpt.json', field: 'payload' }), CheckpointError, 'CheckpointError'],
      [new UsageError('Unknown environment id "X"', { envId: 'X', known: ['A', 'B'] }), UsageError, 'UsageError'],
    ] as const;
    for (const [err, type, name] of cases) {
      expect(err).toBeInstanceOf(type);
      expect(err).toBeInstanceOf(BellmanError);
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe(name);
      expect(String(err)).toBe(`${name}: ${err.message}`);
    }
    expect(cases[0][0].context).toEqual({ file: 'd.h5', key: 'rewards' });
    expect(cases[0][0].cause).toBe(cause);
    expect(cases[1][0].context).toEqual({ file: 'ckpt.json', field: 'payload' });
    expect(cases[2][0].context).toEqual({ envId: 'X', known: ['A', 'B'] });
    // the types are distinct: a DatasetError is not a CheckpointError
    expect(cases[0][0]).not.toBeInstanceOf(CheckpointError);
    expect(cases[2][0]).not.toBeInstanceOf(ConfigError);
  });

  it('keeps the context apart from the caller\'s object and read-only', () => {
    const context = { file: 'a.h5', row: 3 };
    const err = new DatasetError('bad row', context);
    context.row = 4;
    expect(err.context.row).toBe(3);
    expect(Object.isFrozen(err.context)).toBe(true);
    expect(new BellmanError('plain').context).toEqual({});
  });

  it('makes resolveConfig throw a ConfigError carrying the config and the field', () => {
    interface Cfg {
      gamma: number;
    }
    const schema: ConfigSchema<Cfg> = { gamma: { type: 'number', min: 0, max: 1 } };
    const err = thrown(() => resolveConfig('DQN', schema, { gamma: 0.99 }, { gamma: 2 })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(BellmanError);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toBe('DQN config: "gamma" must be at most 1, got 2');
    expect(err.context).toEqual({ config: 'DQN', field: 'gamma' });
    expect([err.configName, err.field]).toEqual(['DQN', 'gamma']);
  });
});

describe('loadCheckpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bellman-errors-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const checkpointError = (path: string) => {
    const err = thrown(() => loadCheckpoint(path)) as CheckpointError;
    expect(err).toBeInstanceOf(CheckpointError);
    return err;
  };

  it('throws a CheckpointError naming the file and what was expected', () => {
    const missing = join(dir, 'missing.json');
    const notFound = checkpointError(missing);
    expect(notFound.message).toBe(`cannot read checkpoint ${missing}: ENOENT`);
    expect(notFound.context).toEqual({ file: missing, reason: 'ENOENT' });

    const notJson = file('not-json.json', '{"format": ');
    expect(checkpointError(notJson).message).toBe(`checkpoint ${notJson} is not valid JSON (truncated or not a Bellman checkpoint)`);
    expect(checkpointError(notJson).context).toEqual({ file: notJson, expected: 'JSON' });

    const other = file('other.json', '{"hello": 1}');
    expect(checkpointError(other).message).toBe(`${other} is not a Bellman checkpoint (missing format "bellman-checkpoint")`);
    expect(checkpointError(other).context).toEqual({ file: other, field: 'format', expected: CHECKPOINT_FORMAT });

    const future = file('future.json', JSON.stringify({ format: CHECKPOINT_FORMAT, version: 7, payload: {} }));
    expect(checkpointError(future).message).toBe(`checkpoint ${future} has version 7; this Bellman reads version 1`);
    expect(checkpointError(future).context).toEqual({ file: future, field: 'version', expected: 1, got: 7 });

    const empty = file('empty.json', JSON.stringify({ format: CHECKPOINT_FORMAT, version: 1 }));
    expect(checkpointError(empty).context).toEqual({ file: empty, field: 'payload' });
  });
});
