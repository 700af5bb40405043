import { join } from 'node:path';
import { createDesignTask, makeDesignTask, type DesignTask, type Designs } from '@bellman/mbo';
import { writeDesignDataset } from '@bellman/mbo/node';
import { lines, runCli, tempDir } from './helpers.js';

let dir: string;
let toy: DesignTask;

/** A design task that is not built in: 10 designs of 2 reals. */
function customTask(threshold?: number): DesignTask {
  const x = Float32Array.from({ length: 20 }, (_, i) => i / 20);
  const y = Float32Array.from({ length: 10 }, (_, i) => i - 4.5);
  const task = createDesignTask<Designs>({ id: 'my-design-task-v0', space: { kind: 'continuous', dim: 2 }, x, y, oracle: () => new Float64Array(0), maxPercentile: 50 });
  return threshold === undefined ? task : { ...task, split: { ...task.split, threshold } };
}

beforeAll(async () => {
  dir = tempDir();
  toy = makeDesignTask('toy-discrete-v0');
  await writeDesignDataset(join(dir, 'toy.h5'), toy);
  await writeDesignDataset(join(dir, 'custom.h5'), customTask());
});

function onlyJson(stdout: string): Record<string, unknown> {
  const all = lines(stdout);
  expect(all).toHaveLength(1);
  return JSON.parse(all[0]!) as Record<string, unknown>;
}

describe('dataset info on a design-task file', () => {
  it('--json prints the task, space, designs, the split and the scores', async () => {
    const res = await runCli(['dataset', 'info', 'toy.h5', '--json'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(onlyJson(res.stdout)).toEqual({
      source: join(dir, 'toy.h5'),
      format: 'design-task',
      task: 'toy-discrete-v0',
      space: { kind: 'discrete', length: 8, classes: 4 },
      designs: 65536,
      trainingDesigns: 27740,
      maxPercentile: 40,
      threshold: -30,
      yMin: -72,
      yMax: 0,
      // E[sum of 8 squares of a uniform class in 0..3] = 8 * (0 + 1 + 4 + 9) / 4
      yMean: -28,
      oracle: true,
    });
  });

  it('prints a readable summary without --json', async () => {
    const res = await runCli(['dataset', 'info', 'toy.h5'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^format\s+design-task$/m);
    expect(res.stdout).toMatch(/^task\s+toy-discrete-v0$/m);
    expect(res.stdout).toMatch(/^space\s+discrete, 8 positions of 4 classes$/m);
    expect(res.stdout).toMatch(/^designs\s+65536$/m);
    expect(res.stdout).toMatch(/^training designs\s+27740 \(y at or below the 40th percentile\)$/m);
    expect(res.stdout).toMatch(/^threshold\s+-30$/m);
    expect(res.stdout).toMatch(/^y\s+mean -28\.0000 \(min -72, max 0\)$/m);
    expect(res.stdout).toMatch(/^oracle\s+built in$/m);
  });

  it('describes a task that is not built in, with its seed when it has one, and says it has no oracle', async () => {
    const res = await runCli(['dataset', 'info', 'custom.h5', '--json'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(onlyJson(res.stdout)).toMatchObject({ task: 'my-design-task-v0', space: { kind: 'continuous', dim: 2 }, designs: 10, trainingDesigns: 5, threshold: 0, yMean: 0, oracle: false });
    const seeded = join(dir, 'seeded.h5');
    await writeDesignDataset(seeded, makeDesignTask('toy-continuous-v0', { seed: 4 }));
    const info = onlyJson((await runCli(['dataset', 'info', seeded, '--json'], { cwd: dir })).stdout);
    expect(info).toMatchObject({ task: 'toy-continuous-v0', seed: 4, space: { kind: 'continuous', dim: 8 } });
    const text = await runCli(['dataset', 'info', 'custom.h5'], { cwd: dir });
    expect(text.stdout).toMatch(/^oracle\s+none \("my-design-task-v0" is not a built-in design task\)$/m);
  });

  it('an edited file is a usage error on one line naming the file and the attribute', async () => {
    // written by hand: writeDesignDataset refuses a threshold the scores do not give
    const { default: h5 } = await import('h5wasm/node');
    await h5.ready;
    const path = join(dir, 'edited.h5');
    await writeDesignDataset(path, customTask());
    const file = new h5.File(path, 'a');
    file.delete_attribute('threshold');
    file.create_attribute('threshold', 3.5, [], '<d');
    file.close();
    const res = await runCli(['dataset', 'info', 'edited.h5'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(lines(res.stderr)).toHaveLength(1);
    expect(res.stderr).toMatch(/^bellman: error: dataset edited\.h5: .*edited\.h5: attribute "threshold": is 3\.5, but the 50th percentile of "y" is 0: the file was edited/);
  });

  it('train --dataset on a design-task file says what the file is', async () => {
    const res = await runCli(['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'toy.h5', '--steps', '5', '--backend', 'cpu'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr).filter((l) => l.startsWith('bellman: error:'))).toEqual([
      'bellman: error: dataset toy.h5 is a design-task file (designs and scores for offline model-based optimisation), not a dataset of transitions; `bellman dataset info toy.h5` describes it',
    ]);
  });
});
