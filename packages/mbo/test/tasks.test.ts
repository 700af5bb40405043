import { createHash } from 'node:crypto';
import { DatasetError, UsageError } from '@bellman/core';
import { DESIGN_TASK_IDS, createDesignTask, makeDesignTask, makeToyContinuous, makeToyDiscrete, percentile } from '../src/index.js';

const sha = (...arrays: ArrayBufferView[]) => {
  const hash = createHash('sha256');
  for (const a of arrays) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('hex');
};

describe('percentile', () => {
  it("interpolates between ranks as NumPy's default does", () => {
    expect(percentile([4, 1, 3, 2], 40)).toBeCloseTo(2.2, 12); // rank 1.2 of [1, 2, 3, 4]
    expect(percentile([5], 40)).toBe(5);
    expect(percentile([1, 2, 3], 100)).toBe(3);
    expect(() => percentile([], 40)).toThrow(UsageError);
    expect(() => percentile([1], 140)).toThrow('p must be in [0, 100], got 140');
  });
});

describe('toy-discrete-v0', () => {
  const task = makeToyDiscrete();

  it('scores every sequence of 8 classes in 0..3 with -sum x^2, and normalises with the full min and max', () => {
    expect(task.full.count).toBe(65536);
    expect(Array.from(task.oracle(Int32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2, 3, 0, 0, 0, 0, 1)))).toEqual([0, -72, -15]);
    expect([task.yMin, task.yMax]).toEqual([-72, 0]);
    expect(task.normalize(-36)).toBe(0.5);
  });

  it('trains on the designs at or below the 40th percentile, counted independently from (1 + t + t^4 + t^9)^8', () => {
    // coefficients: how many sequences have each sum of squares s
    let counts = [1];
    for (let d = 0; d < 8; d++) {
      const next = new Array(counts.length + 9).fill(0);
      counts.forEach((c, s) => [0, 1, 4, 9].forEach((sq) => (next[s + sq] += c)));
      counts = next;
    }
    // ascending y is descending s; NumPy's rank (n - 1) * 0.4 = 26214 is an integer here
    let seen = 0;
    let threshold = NaN;
    for (let s = counts.length - 1; s >= 0; s--) {
      seen += counts[s]!;
      if (seen > 26214) {
        threshold = -s;
        break;
      }
    }
    const kept = counts.reduce((a, c, s) => a + (-s <= threshold ? c : 0), 0);
    expect(task.split.threshold).toBe(threshold);
    expect(task.train.count).toBe(kept);
    expect(Math.max(...task.train.y)).toBe(threshold);
    expect(task.normalize(Math.max(...task.train.y))).toBeLessThan(1);
    // rows are copied whole: each training row scores what its y says
    expect(Array.from(task.oracle(task.train.x))).toEqual(Array.from(task.train.y));
  });
});

describe('toy-continuous-v0', () => {
  const task = makeToyContinuous(0);

  it('puts one point in each of the 4^8 cells of [0, 1]^8 and scores it with -sum (x - 0.5)^2', () => {
    const { x } = task.full;
    for (const row of [0, 1, 4, 65535]) {
      const levels = Array.from(x.subarray(row * 8, row * 8 + 8), (v) => Math.floor(v * 4));
      const expected = Array.from({ length: 8 }, (_, d) => Math.floor(row / 4 ** (7 - d)) % 4);
      expect(levels).toEqual(expected);
    }
    expect(Array.from(task.oracle(Float32Array.of(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0)))).toEqual([0, -2]);
    expect(task.yMax).toBeLessThan(0);
    expect(task.yMax).toBeGreaterThan(-8 * 0.25 ** 2);
    expect(task.yMin).toBeGreaterThan(-2);
    // continuous scores have no ties: the 40th percentile keeps ranks 0..26214
    expect(task.train.count).toBe(26215);
    expect(task.train.y.every((v) => v <= task.split.threshold)).toBe(true);
  });

  it('is the same bytes for the same seed and different for another', () => {
    const again = makeToyContinuous(0);
    expect(sha(again.full.x, again.full.y, again.train.x)).toBe(sha(task.full.x, task.full.y, task.train.x));
    expect(sha(makeToyContinuous(1).full.x)).not.toBe(sha(task.full.x));
  });
});

describe('makeDesignTask and createDesignTask', () => {
  it('makes the built-in tasks by id and names an unknown one', () => {
    expect(DESIGN_TASK_IDS).toEqual(['toy-continuous-v0', 'toy-discrete-v0', 'pendulum-controller-v0', 'pendulum-controller-stochastic-v0', 'mountaincar-controller-v0', 'mountaincar-controller-stochastic-v0']);
    expect(makeDesignTask('toy-discrete-v0').space).toEqual({ kind: 'discrete', length: 8, classes: 4 });
    expect(() => makeDesignTask('toy-continous-v0')).toThrow('unknown design task "toy-continous-v0"; known: toy-continuous-v0, toy-discrete-v0');
  });

  it('refuses arrays that do not fit the space, and a class out of range, naming the row', () => {
    const oracle = (x: Int32Array) => new Float64Array(x.length / 2);
    const space = { kind: 'discrete', length: 2, classes: 3 } as const;
    expect(() => createDesignTask({ id: 't', space, x: new Int32Array(5), y: new Float32Array(3), oracle, maxPercentile: 40 })).toThrow(DatasetError);
    expect(() => createDesignTask({ id: 't', space, x: Int32Array.of(0, 1, 2, 3), y: new Float32Array(2), oracle, maxPercentile: 40 })).toThrow('t: design 1 has class 3 at position 1; classes are 0..2');
    expect(() => createDesignTask({ id: 't', space, x: Int32Array.of(0, 1), y: Float32Array.of(NaN), oracle, maxPercentile: 40 })).toThrow('t: score 0 is NaN');
    const task = createDesignTask({ id: 't', space, x: Int32Array.of(0, 1), y: Float32Array.of(1), oracle, maxPercentile: 40 });
    expect(() => task.oracle(Int32Array.of(1, 2, 0))).toThrow('t: 3 values are not whole designs of 2');
  });
});
