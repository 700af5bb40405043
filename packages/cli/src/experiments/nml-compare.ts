/**
 * meta-NML against exact CNML on one fixed labelled set: visited states of the zigzag maze
 * (a replay snapshot of an exploring agent) as negatives and the maze's success examples as
 * positives. Both methods score the same grid of query states; the comparison reports their
 * correlation, mean absolute difference and time per query, each timed in this one run.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '@bellman/core';
import { cnml, metaNml, type CnmlConfig, type MetaNmlConfig } from '@bellman/classifier-reward';
import { ZIGZAG_MAZE, heatMapCentres, insideAnyWall, make, mazeSuccessExamples, renderMaze } from '@bellman/envs';

export interface NmlCompareConfig {
  /** Uniform-random episodes from the start whose visited states are the negatives. */
  episodes: number;
  /** Negatives and positives (examples, with replacement) in the labelled set. */
  negatives: number;
  positives: number;
  examples: number;
  /** Query grid cells per side over [-4, 4]^2 (cells inside walls are skipped). */
  resolution: number;
  metaNml: Partial<MetaNmlConfig>;
  metaEpochs: number;
  cnml: Partial<CnmlConfig>;
  /** Adam steps of CNML's classifier on the labelled set before it is refitted per query. */
  cnmlFitSteps: number;
  seed: number;
}

/** Both classifiers 2 x 256 (the public 2 x 2048 would take CNML about a second per query here). */
export const NML_COMPARE_FULL: Readonly<NmlCompareConfig> = Object.freeze<NmlCompareConfig>({
  episodes: 20,
  negatives: 1024,
  positives: 1024,
  examples: 150,
  resolution: 40,
  metaNml: { hiddenSizes: [256, 256], queriesPerEpoch: 64, outerPointsPerLabel: 511 },
  metaEpochs: 10,
  cnml: { hiddenSizes: [256, 256] },
  cnmlFitSteps: 300,
  seed: 0,
});

export const NML_COMPARE_QUICK: Readonly<NmlCompareConfig> = Object.freeze<NmlCompareConfig>({
  ...NML_COMPARE_FULL,
  episodes: 5,
  negatives: 128,
  positives: 128,
  resolution: 10,
  metaNml: { hiddenSizes: [32, 32], queriesPerEpoch: 16, outerPointsPerLabel: 63 },
  metaEpochs: 3,
  cnml: { hiddenSizes: [32, 32] },
  cnmlFitSteps: 50,
});

export interface NmlCompareResult {
  config: NmlCompareConfig;
  queries: number;
  /** Pearson correlation and mean absolute difference of the two rewards over the query grid. */
  correlation: number;
  meanAbsoluteDifference: number;
  /** Milliseconds per query: meta-NML scoring the grid in batches, CNML refitting per query. */
  msPerQuery: { metaNml: number; cnml: number };
  /** cnml / metaNml time per query. */
  speedup: number;
  /** Seconds of meta-training and of CNML's own fit (not in the per-query times). */
  trainingSeconds: { metaNml: number; cnml: number };
  /** The two reward maps side by side (one SVG), the labelled negatives as dots. */
  heatmap: string;
}

/** The heat map's cell centres outside the walls, [x0, y0, ...], and which cell each is. */
function freeCentres(resolution: number): { points: Float32Array; cells: number[] } {
  const centres = heatMapCentres(resolution);
  const points: number[] = [];
  const cells: number[] = [];
  for (let cell = 0; cell < resolution * resolution; cell++) {
    const [x, y] = [centres[2 * cell]!, centres[2 * cell + 1]!];
    if (insideAnyWall(ZIGZAG_MAZE.walls, x, y)) continue;
    points.push(x, y);
    cells.push(cell);
  }
  return { points: Float32Array.from(points), cells };
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The visited states of uniform-random episodes of ZigzagMaze-v0 from its start. */
function randomVisits(episodes: number, rng: Rng): Float32Array {
  const env = make('ZigzagMaze-v0');
  const states: number[] = [];
  for (let e = 0; e < episodes; e++) {
    env.reset();
    let done = false;
    while (!done) {
      const result = env.step(env.actionSpace.sample(rng));
      states.push(result.observation[0]!, result.observation[1]!);
      done = result.truncated || result.terminated;
    }
  }
  env.close();
  return Float32Array.from(states);
}

export async function runNmlCompare(config: NmlCompareConfig, onStage: (text: string) => void = () => {}): Promise<NmlCompareResult> {
  const rng = new Rng(config.seed);
  const visits = randomVisits(config.episodes, rng.split());
  const examples = mazeSuccessExamples(ZIGZAG_MAZE, config.examples, rng.split());
  const sample = (source: Float32Array, n: number, pick: Rng) => {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const row = pick.int(source.length / 2);
      out[2 * i] = source[2 * row]!;
      out[2 * i + 1] = source[2 * row + 1]!;
    }
    return out;
  };
  const picker = rng.split();
  const positives = { size: config.positives, observationDim: 2, observations: sample(examples, config.positives, picker) };
  const negatives = { size: config.negatives, observationDim: 2, observations: sample(visits, config.negatives, picker) };
  const { points, cells } = freeCentres(config.resolution);
  const queries = { size: points.length / 2, observationDim: 2, observations: points };

  onStage(`meta-NML: ${config.metaEpochs} meta-epochs on ${config.positives} + ${config.negatives} labelled states`);
  const meta = metaNml({ observationDim: 2, seed: config.seed, config: config.metaNml });
  let t0 = performance.now();
  for (let e = 0; e < config.metaEpochs; e++) meta.update(positives, negatives);
  const metaTrainSeconds = (performance.now() - t0) / 1000;
  onStage(`meta-NML: scoring ${queries.size} queries`);
  t0 = performance.now();
  const metaRewards = new Float32Array(queries.size);
  for (let start = 0; start < queries.size; start += 256) {
    const size = Math.min(256, queries.size - start);
    metaRewards.set(meta.rewards({ size, observationDim: 2, observations: points.subarray(2 * start, 2 * (start + size)) }), start);
  }
  const metaMs = (performance.now() - t0) / queries.size;

  onStage(`CNML: ${config.cnmlFitSteps} Adam steps, then two refits per query`);
  const exact = cnml({ observationDim: 2, seed: config.seed, config: config.cnml });
  t0 = performance.now();
  for (let s = 0; s < config.cnmlFitSteps; s++) exact.update(positives, negatives);
  const cnmlTrainSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const cnmlRewards = exact.rewards(queries);
  const cnmlMs = (performance.now() - t0) / queries.size;
  meta.dispose();
  exact.dispose();

  let mad = 0;
  for (let i = 0; i < queries.size; i++) mad += Math.abs(metaRewards[i]! - cnmlRewards[i]!) / queries.size;
  const heatmap = (values: Float32Array, title: string) => {
    // cells inside the walls were not queried and stay blank
    const onGrid = new Float32Array(config.resolution * config.resolution).fill(Number.NaN);
    cells.forEach((cell, i) => (onGrid[cell] = values[i]!));
    return renderMaze(ZIGZAG_MAZE, { heatMap: { values: onGrid, resolution: config.resolution, min: 0, max: 1 }, points: negatives.observations, title });
  };
  return {
    config,
    queries: queries.size,
    correlation: pearson(metaRewards, cnmlRewards),
    meanAbsoluteDifference: mad,
    msPerQuery: { metaNml: metaMs, cnml: cnmlMs },
    speedup: cnmlMs / metaMs,
    trainingSeconds: { metaNml: metaTrainSeconds, cnml: cnmlTrainSeconds },
    heatmap: sideBySide(heatmap(metaRewards, 'meta-NML reward'), heatmap(cnmlRewards, 'exact CNML reward')),
  };
}

/** Two square SVG pictures of the same size in one, left and right. */
function sideBySide(left: string, right: string): string {
  const size = Number(/width="(\d+)"/.exec(left)?.[1] ?? 400);
  const place = (svg: string, x: number) => svg.replace('<svg ', `<svg x="${x}" y="0" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * size}" height="${size}" viewBox="0 0 ${2 * size} ${size}">${place(left, 0)}${place(right, size)}</svg>`;
}
