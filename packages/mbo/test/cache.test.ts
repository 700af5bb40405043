import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { designTaskOracle, makeControllerTask, makeDesignTask } from '../src/index.js';
import { designTaskCachePath, loadDesignTaskCached } from '../src/node.js';

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('loadDesignTaskCached', () => {
  it('generates and writes a built-in task on the first load, then reads the same task from the file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bellman-mbo-cache-'));
    const path = designTaskCachePath('toy-continuous-v0', { seed: 3, dataDir });
    expect(path).toBe(join(dataDir, 'design-tasks', 'toy-continuous-v0-seed3-v1.h5'));
    const first = await loadDesignTaskCached('toy-continuous-v0', { seed: 3, dataDir });
    expect([first.cached, first.path, existsSync(path)]).toEqual([false, path, true]);
    const written = statSync(path).mtimeMs;
    const second = await loadDesignTaskCached('toy-continuous-v0', { seed: 3, dataDir });
    expect(second.cached).toBe(true);
    expect(statSync(path).mtimeMs).toBe(written);
    const reference = makeDesignTask('toy-continuous-v0', { seed: 3 });
    expect(bytes(second.task.full.x).equals(bytes(reference.full.x))).toBe(true);
    expect(bytes(second.task.train.y).equals(bytes(reference.train.y))).toBe(true);
    expect([second.task.split, second.task.yMin, second.task.yMax, second.task.seed]).toEqual([reference.split, reference.yMin, reference.yMax, 3]);
    const rows = reference.full.x.subarray(0, 16);
    expect(Array.from(second.task.oracle(rows))).toEqual(Array.from(reference.oracle(rows)));
    // another seed is another file
    expect((await loadDesignTaskCached('toy-continuous-v0', { seed: 4, dataDir })).cached).toBe(false);
  });

  it("gives a controller task's oracle without generating its dataset", () => {
    const { space, oracle } = designTaskOracle('pendulum-controller-v0');
    expect(space).toEqual({ kind: 'continuous', dim: 41 });
    const small = makeControllerTask('pendulum-controller-v0', { evaluations: 24, restarts: 2 });
    const rows = small.full.x.subarray(0, 2 * 41);
    // the dataset stores scores as float32
    expect(Array.from(oracle(rows), Math.fround)).toEqual(Array.from(small.full.y.subarray(0, 2)));
  });
});
