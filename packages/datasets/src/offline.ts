import { Box, DatasetError, Discrete, flatSize } from '@bellman/core';
import type { AnySpace, Dataset, DatasetStatistics, Rng, WindowBatch } from '@bellman/core';
import { checkCount, copyTransition, createWindowBatch, reuseTransitionBatch, type SampledTransitionBatch } from './batch.js';
import { describeValue, firstNonFiniteRow, firstNonFlagRow } from './validate.js';

/** The spaces of a dataset: a Box of observations and a Box or Discrete of actions. */
export interface DatasetSpaces {
  observationSpace: Box;
  actionSpace: AnySpace;
}

/** Where a dataset came from; written to and read from HDF5 attributes. */
export interface DatasetMetadata {
  datasetId?: string;
  envId?: string;
  recipe?: string;
  /** Generation version of a recipe (see RECIPE_VERSION). */
  recipeVersion?: number;
  seed?: number;
  /** "d4rl" or "minari" when read from a file. */
  format?: string;
  source?: string;
}

/** One episode as a collector records it (Minari's layout). */
export interface EpisodeData {
  /** T + 1 rows, row-major: every observation including the one after the last step. */
  observations: ArrayLike<number>;
  /** T rows (one column holding the integer for a Discrete action space). */
  actions: ArrayLike<number>;
  rewards: ArrayLike<number>;
  /** The MDP ended after the last step. Otherwise the episode was cut off (a timeout). */
  terminated: boolean;
  /** The reset seed of the episode, if known. */
  seed?: number;
}

/** One row per transition, row-major (D4RL's layout). */
export interface FlatArrays {
  observations: ArrayLike<number>;
  actions: ArrayLike<number>;
  rewards: ArrayLike<number>;
  terminals: ArrayLike<number | boolean>;
  timeouts: ArrayLike<number | boolean>;
  nextObservations?: ArrayLike<number>;
}

export interface OfflineDatasetOptions {
  /** Discount of the returns-to-go that `sampleWindows` reports. Default 1 (undiscounted). */
  discount?: number;
  metadata?: DatasetMetadata;
  /** Per-episode reset seeds, when known (`fromArrays` only; episodes carry their own). */
  episodeSeeds?: readonly (number | undefined)[];
  /** Names errors use for the source and its keys (a file path and its HDF5 keys). */
  errorContext?: { source?: string; keys?: Partial<Record<keyof FlatArrays, string>> };
}

/** An episode of a dataset. The arrays are views into the dataset: copy before changing them. */
export interface EpisodeView {
  index: number;
  /** Index of the first transition of the episode in the dataset. */
  start: number;
  length: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  terminated: boolean;
  truncated: boolean;
  /**
   * The observation after the last step, or null when the data did not include it (a flat
   * dataset without next observations whose episode ended in a timeout).
   */
  finalObservation: Float32Array | null;
  seed?: number;
}

/** What `normalized()` applied: o' = (o - observationMean) / observationScale, r' = (r - rewardShift) * rewardScale. */
export interface Normalization {
  observationMean: Float32Array;
  observationScale: Float32Array;
  rewardShift: number;
  rewardScale: number;
}

export interface NormalizationStats {
  observationMean: Float32Array;
  observationStd: Float32Array;
  rewardMean: number;
  rewardStd: number;
}

export interface NormalizeOptions {
  /** true: standardise with the dataset's mean and std + 1e-3; or give the statistics. Default true. */
  observations?: boolean | { mean: ArrayLike<number>; std: ArrayLike<number> };
  /** false (default), 'standardize', or an explicit r' = (r - shift) * scale. */
  rewards?: false | 'standardize' | { scale: number; shift?: number };
}

/** Added to standard deviations before dividing, so constant features do not blow up. */
export const NORMALIZATION_EPSILON = 1e-3;

/** The flat per-transition arrays a dataset holds, row-major (terminals and timeouts as 0/1). */
export interface DatasetArrays {
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminals: Uint8Array;
  timeouts: Uint8Array;
  nextObservations: Float32Array;
  /** 1 where the next observation came from the data; 0 for a placeholder (never sampled). */
  nextObservationKnown: Uint8Array;
}

interface Parts extends DatasetArrays {
  observationSpace: Box;
  actionSpace: AnySpace;
  episodeSeeds: (number | undefined)[];
  discount: number;
  metadata: DatasetMetadata;
  normalization?: Normalization;
}

/**
 * An offline dataset: transitions grouped into episodes, terminals (MDP ends) and timeouts
 * (time limits) kept apart. An episode ends at either flag; bootstrapping uses terminals only.
 */
export class OfflineDataset implements Dataset {
  readonly observationSpace: Box;
  readonly actionSpace: AnySpace;
  readonly observationDim: number;
  readonly actionDim: number;
  readonly size: number;
  readonly numEpisodes: number;
  readonly hasNextActions: boolean;
  /** Discount of the returns-to-go in window batches. */
  readonly discount: number;
  readonly metadata: DatasetMetadata;
  /** Set on datasets made by `normalized()`: what to apply to env observations at evaluation time. */
  readonly normalization?: Normalization;
  private readonly observations: Float32Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminals: Uint8Array;
  private readonly timeouts: Uint8Array;
  private readonly nextObservations: Float32Array;
  private readonly nextObservationKnown: Uint8Array;
  /** Episode e covers transitions [episodeStarts[e], episodeStarts[e + 1]). */
  private readonly episodeStarts: Int32Array;
  /** For each transition, the (exclusive) end of its episode. */
  private readonly episodeEnds: Int32Array;
  /** 1 where the next transition continues the same episode, so its action is the next action. */
  private readonly nextActionMask: Uint8Array;
  /** Transitions that may be sampled, or null when all may. */
  private readonly sampleable: Int32Array | null;
  private readonly episodeSeeds: (number | undefined)[];
  private readonly returnsToGoCache = new Map<number, Float32Array>();
  private readonly fullWindowStartsCache = new Map<number, Int32Array>();
  private statisticsCache: (DatasetStatistics & { lengthMax: number }) | null = null;

  private constructor(parts: Parts) {
    this.observationSpace = parts.observationSpace;
    this.actionSpace = parts.actionSpace;
    this.observationDim = flatSize(parts.observationSpace);
    this.actionDim = flatSize(parts.actionSpace);
    this.observations = parts.observations;
    this.actions = parts.actions;
    this.rewards = parts.rewards;
    this.terminals = parts.terminals;
    this.timeouts = parts.timeouts;
    this.nextObservations = parts.nextObservations;
    this.nextObservationKnown = parts.nextObservationKnown;
    this.discount = parts.discount;
    this.metadata = { ...parts.metadata };
    if (parts.normalization) this.normalization = parts.normalization;
    const n = parts.rewards.length;
    this.size = n;

    const starts: number[] = [0];
    for (let i = 0; i < n; i++) if (this.terminals[i] || this.timeouts[i]) starts.push(i + 1);
    if (starts[starts.length - 1] !== n) throw new Error('OfflineDataset: the last transition must end an episode');
    this.episodeStarts = Int32Array.from(n === 0 ? [0] : starts);
    this.numEpisodes = this.episodeStarts.length - 1;
    this.episodeSeeds = parts.episodeSeeds.slice(0, this.numEpisodes);
    this.episodeEnds = new Int32Array(n);
    for (let e = 0; e < this.numEpisodes; e++) this.episodeEnds.fill(this.episodeStarts[e + 1]!, this.episodeStarts[e]!, this.episodeStarts[e + 1]!);

    // A next action exists where the episode goes on and the data is in step order (the next
    // observation of this row is the observation of the following row).
    const od = this.observationDim;
    this.nextActionMask = new Uint8Array(n);
    let anyNext = false;
    for (let i = 0; i + 1 < n; i++) {
      if (this.episodeEnds[i] === i + 1) continue;
      let continuous = true;
      for (let j = 0; j < od; j++) {
        if (!Object.is(this.nextObservations[i * od + j], this.observations[(i + 1) * od + j])) {
          continuous = false;
          break;
        }
      }
      if (continuous) {
        this.nextActionMask[i] = 1;
        anyNext = true;
      }
    }
    this.hasNextActions = anyNext;

    let unknown = 0;
    for (let i = 0; i < n; i++) if (!this.nextObservationKnown[i]) unknown++;
    if (unknown === 0) this.sampleable = null;
    else {
      this.sampleable = new Int32Array(n - unknown);
      let k = 0;
      for (let i = 0; i < n; i++) if (this.nextObservationKnown[i]) this.sampleable[k++] = i;
    }
  }

  /** Build a dataset from episodes in Minari's layout (T + 1 observations each). */
  static fromEpisodes(episodes: readonly EpisodeData[], spaces: DatasetSpaces, options: OfflineDatasetOptions = {}): OfflineDataset {
    const { od, ad } = checkSpaces(spaces);
    const source = options.errorContext?.source ?? 'OfflineDataset.fromEpisodes';
    let total = 0;
    episodes.forEach((ep, e) => {
      const steps = ep.rewards.length;
      if (steps === 0) throw new DatasetError(`${source}: episode ${e} has no steps`, { source, episode: e });
      if (ep.observations.length !== (steps + 1) * od) {
        throw new DatasetError(
          `${source}: episode ${e} has ${steps} rewards, so its observations need ${steps + 1} rows of ${od} (${(steps + 1) * od} values), got ${ep.observations.length} values`,
          { source, episode: e, key: 'observations', expected: (steps + 1) * od, got: ep.observations.length },
        );
      }
      if (ep.actions.length !== steps * ad) {
        throw new DatasetError(`${source}: episode ${e} has ${steps} rewards, so its actions need ${steps * ad} values, got ${ep.actions.length}`, {
          source,
          episode: e,
          key: 'actions',
          expected: steps * ad,
          got: ep.actions.length,
        });
      }
      total += steps;
    });
    const observations = new Float32Array(total * od);
    const nextObservations = new Float32Array(total * od);
    const actions = new Float32Array(total * ad);
    const rewards = new Float32Array(total);
    const terminals = new Uint8Array(total);
    const timeouts = new Uint8Array(total);
    let at = 0;
    for (const ep of episodes) {
      const steps = ep.rewards.length;
      for (let t = 0; t < steps; t++) {
        for (let j = 0; j < od; j++) {
          observations[(at + t) * od + j] = ep.observations[t * od + j]!;
          nextObservations[(at + t) * od + j] = ep.observations[(t + 1) * od + j]!;
        }
        for (let j = 0; j < ad; j++) actions[(at + t) * ad + j] = ep.actions[t * ad + j]!;
        rewards[at + t] = ep.rewards[t]!;
      }
      if (ep.terminated) terminals[at + steps - 1] = 1;
      else timeouts[at + steps - 1] = 1;
      at += steps;
    }
    checkValues(source, spaces, { observations, actions, rewards, nextObservations }, {});
    const nextObservationKnown = new Uint8Array(total).fill(1);
    const arrays = { observations, actions, rewards, terminals, timeouts, nextObservations, nextObservationKnown };
    return OfflineDataset.assemble(spaces, arrays, episodes.map((ep) => ep.seed), options);
  }

  /**
   * Build a dataset from flat per-transition arrays (D4RL's layout). Without next observations
   * they are taken from the following row of the same episode; at an episode's last step there
   * is none: after a terminal a copy of the observation stands in (bootstrapping ignores it),
   * after a timeout the transition stays in episodes, statistics and windows but is never drawn
   * by `sampleTransitions`. The last row ends an episode even if neither flag is set (a timeout).
   */
  static fromArrays(arrays: FlatArrays, spaces: DatasetSpaces, options: OfflineDatasetOptions = {}): OfflineDataset {
    const { od, ad } = checkSpaces(spaces);
    const source = options.errorContext?.source ?? 'OfflineDataset.fromArrays';
    const keys = options.errorContext?.keys ?? {};
    const key = (k: keyof FlatArrays) => `"${keys[k] ?? k}"`;
    if (arrays.observations.length % od !== 0) {
      throw new DatasetError(`${source}: ${key('observations')} has ${arrays.observations.length} values, not a multiple of the observation size ${od}`, {
        source,
        key: keys.observations ?? 'observations',
        got: arrays.observations.length,
        expected: `a multiple of ${od}`,
      });
    }
    const n = arrays.observations.length / od;
    const expect: [keyof FlatArrays, number, number][] = [
      ['actions', arrays.actions.length, ad],
      ['rewards', arrays.rewards.length, 1],
      ['terminals', arrays.terminals.length, 1],
      ['timeouts', arrays.timeouts.length, 1],
    ];
    if (arrays.nextObservations) expect.push(['nextObservations', arrays.nextObservations.length, od]);
    for (const [k, len, width] of expect) {
      if (len !== n * width) {
        throw new DatasetError(`${source}: ${key(k)} has ${len / width} rows, ${key('observations')} has ${n}: every key needs one row per transition`, {
          source,
          key: keys[k] ?? k,
          expected: n,
          got: len / width,
        });
      }
    }
    for (const k of ['terminals', 'timeouts'] as const) {
      const bad = firstNonFlagRow(arrays[k]);
      if (bad >= 0) {
        throw new DatasetError(`${source}: ${key(k)} row ${bad} is ${describeValue(arrays[k][bad])}, expected 0 or 1`, { source, key: keys[k] ?? k, row: bad, expected: '0 or 1' });
      }
    }
    const observations = Float32Array.from(arrays.observations);
    const actions = Float32Array.from(arrays.actions);
    const rewards = Float32Array.from(arrays.rewards);
    const terminals = Uint8Array.from(arrays.terminals, Number);
    const timeouts = Uint8Array.from(arrays.timeouts, Number);
    if (n > 0 && !terminals[n - 1] && !timeouts[n - 1]) timeouts[n - 1] = 1;
    const given = arrays.nextObservations ? Float32Array.from(arrays.nextObservations) : null;
    checkValues(source, spaces, { observations, actions, rewards, nextObservations: given ?? undefined }, keys);

    const nextObservationKnown = new Uint8Array(n).fill(1);
    let nextObservations = given;
    if (!nextObservations) {
      nextObservations = new Float32Array(n * od);
      for (let i = 0; i < n; i++) {
        const ends = terminals[i] || timeouts[i];
        const from = ends ? i : i + 1;
        nextObservations.set(observations.subarray(from * od, from * od + od), i * od);
        if (ends && !terminals[i]) nextObservationKnown[i] = 0;
      }
    }
    const built = { observations, actions, rewards, terminals, timeouts, nextObservations, nextObservationKnown };
    return OfflineDataset.assemble(spaces, built, [...(options.episodeSeeds ?? [])], options);
  }

  /** The dataset of checked arrays, with the discount and metadata of `options`. */
  private static assemble(
    spaces: DatasetSpaces,
    arrays: DatasetArrays,
    episodeSeeds: (number | undefined)[],
    options: OfflineDatasetOptions,
  ): OfflineDataset {
    return new OfflineDataset({ ...spaces, ...arrays, episodeSeeds, discount: checkDiscount(options.discount), metadata: options.metadata ?? {} });
  }

  /** Transitions that `sampleTransitions` may draw (all but timeouts without a known next observation). */
  get sampleableSize(): number {
    return this.sampleable ? this.sampleable.length : this.size;
  }

  /**
   * Draw `n` transitions uniformly with replacement. Includes `nextActions` and `nextActionMask`
   * when the dataset has next actions. Pass `out` to reuse a batch's arrays.
   */
  sampleTransitions(n: number, rng: Rng, out?: SampledTransitionBatch): SampledTransitionBatch {
    checkCount('OfflineDataset.sampleTransitions: n', n, 0);
    const pool = this.sampleableSize;
    if (pool === 0) throw new RangeError('OfflineDataset.sampleTransitions: the dataset has no transition to sample');
    const od = this.observationDim;
    const ad = this.actionDim;
    const batch = reuseTransitionBatch(out, n, od, ad, this.hasNextActions, 'OfflineDataset.sampleTransitions');
    const { observations, nextObservations, actions, rewards, terminals, sampleable, nextActionMask } = this;
    const stored = { observations, actions, rewards, nextObservations, terminals };
    for (let i = 0; i < n; i++) {
      const draw = rng.int(pool);
      const idx = sampleable ? sampleable[draw]! : draw;
      copyTransition(stored, idx, batch, i);
      if (this.hasNextActions) {
        // The next action is the action of the following row of the same episode.
        const linked = nextActionMask[idx]!;
        batch.nextActionMask![i] = linked;
        for (let j = 0; j < ad; j++) batch.nextActions![i * ad + j] = linked ? actions[(idx + 1) * ad + j]! : 0;
      }
    }
    return batch;
  }

  /**
   * Draw `n` windows of `horizon` consecutive steps. Each starts at a transition drawn uniformly;
   * steps past the end of its episode are zero with mask 0. With `{ padding: false }` the start is
   * drawn uniformly among those whose window lies wholly inside its episode (episodes shorter
   * than `horizon` give none), so every mask is 1. `returnsToGo` uses `this.discount`.
   */
  sampleWindows(horizon: number, n: number, rng: Rng, out?: WindowBatch, options: { padding?: boolean } = {}): WindowBatch {
    checkCount('OfflineDataset.sampleWindows: horizon', horizon, 1);
    const starts = options.padding === false ? this.fullWindowStarts(horizon) : null;
    checkCount('OfflineDataset.sampleWindows: n', n, 0);
    if (this.size === 0) throw new RangeError('OfflineDataset.sampleWindows: the dataset is empty');
    const od = this.observationDim;
    const ad = this.actionDim;
    let batch = out;
    if (!batch) batch = createWindowBatch(n, horizon, od, ad);
    else if (batch.size !== n || batch.horizon !== horizon || batch.observationDim !== od || batch.actionDim !== ad) {
      throw new RangeError(
        `OfflineDataset.sampleWindows: the batch passed as out is [${batch.size}, ${batch.horizon}] with dims ${batch.observationDim}/${batch.actionDim}; ` +
          `this call needs [${n}, ${horizon}] with dims ${od}/${ad}`,
      );
    }
    const rtg = this.returnsToGo();
    for (let i = 0; i < n; i++) {
      const start = starts ? starts[rng.int(starts.length)]! : rng.int(this.size);
      const end = this.episodeEnds[start]!;
      const inside = Math.min(horizon, end - start);
      const row = i * horizon;
      batch.observations.set(this.observations.subarray(start * od, (start + inside) * od), row * od);
      batch.observations.fill(0, (row + inside) * od, (row + horizon) * od);
      batch.actions.set(this.actions.subarray(start * ad, (start + inside) * ad), row * ad);
      batch.actions.fill(0, (row + inside) * ad, (row + horizon) * ad);
      batch.rewards.set(this.rewards.subarray(start, start + inside), row);
      batch.rewards.fill(0, row + inside, row + horizon);
      batch.returnsToGo.set(rtg.subarray(start, start + inside), row);
      batch.returnsToGo.fill(0, row + inside, row + horizon);
      for (let k = 0; k < horizon; k++) {
        batch.terminals[row + k] = k < inside ? this.terminals[start + k]! : 0;
        batch.mask[row + k] = k < inside ? 1 : 0;
      }
    }
    return batch;
  }

  /** The transitions a window of `horizon` steps can start at without running past its episode's end. */
  private fullWindowStarts(horizon: number): Int32Array {
    const cached = this.fullWindowStartsCache.get(horizon);
    if (cached) return cached;
    let count = 0;
    for (let e = 0; e < this.numEpisodes; e++) count += Math.max(0, this.episodeStarts[e + 1]! - this.episodeStarts[e]! - horizon + 1);
    if (count === 0) {
      throw new RangeError(`OfflineDataset.sampleWindows: no episode has ${horizon} steps, so no window without padding fits (the longest has ${this.statistics().lengthMax})`);
    }
    const starts = new Int32Array(count);
    let k = 0;
    for (let e = 0; e < this.numEpisodes; e++) {
      for (let s = this.episodeStarts[e]!; s + horizon <= this.episodeStarts[e + 1]!; s++) starts[k++] = s;
    }
    this.fullWindowStartsCache.set(horizon, starts);
    return starts;
  }

  /** Discounted sum of the rewards from each transition to the end of its episode. */
  returnsToGo(discount = this.discount): Float32Array {
    checkDiscount(discount);
    const cached = this.returnsToGoCache.get(discount);
    if (cached) return cached;
    const out = new Float32Array(this.size);
    for (let e = 0; e < this.numEpisodes; e++) {
      let acc = 0;
      for (let i = this.episodeStarts[e + 1]! - 1; i >= this.episodeStarts[e]!; i--) {
        acc = this.rewards[i]! + discount * acc;
        out[i] = acc;
      }
    }
    this.returnsToGoCache.set(discount, out);
    return out;
  }

  /** Undiscounted return of each episode, in order. */
  episodeReturns(): Float64Array {
    const out = new Float64Array(this.numEpisodes);
    for (let e = 0; e < this.numEpisodes; e++) {
      let sum = 0;
      for (let i = this.episodeStarts[e]!; i < this.episodeStarts[e + 1]!; i++) sum += this.rewards[i]!;
      out[e] = sum;
    }
    return out;
  }

  /** Length (number of transitions) of each episode, in order. */
  episodeLengths(): Int32Array {
    const out = new Int32Array(this.numEpisodes);
    for (let e = 0; e < this.numEpisodes; e++) out[e] = this.episodeStarts[e + 1]! - this.episodeStarts[e]!;
    return out;
  }

  /** The episode at `index`, as views into the dataset. */
  episode(index: number): EpisodeView {
    if (!Number.isInteger(index) || index < 0 || index >= this.numEpisodes) {
      throw new RangeError(`OfflineDataset.episode: index ${index} is outside [0, ${this.numEpisodes})`);
    }
    const od = this.observationDim;
    const ad = this.actionDim;
    const start = this.episodeStarts[index]!;
    const end = this.episodeStarts[index + 1]!;
    const last = end - 1;
    const view: EpisodeView = {
      index,
      start,
      length: end - start,
      observations: this.observations.subarray(start * od, end * od),
      actions: this.actions.subarray(start * ad, end * ad),
      rewards: this.rewards.subarray(start, end),
      nextObservations: this.nextObservations.subarray(start * od, end * od),
      terminated: this.terminals[last] === 1,
      truncated: this.terminals[last] !== 1,
      finalObservation: this.nextObservationKnown[last] ? this.nextObservations.subarray(last * od, end * od) : null,
    };
    const seed = this.episodeSeeds[index];
    if (seed !== undefined) view.seed = seed;
    return view;
  }

  /** Iterate over the episodes in order. */
  *episodes(): Generator<EpisodeView, void, undefined> {
    for (let e = 0; e < this.numEpisodes; e++) yield this.episode(e);
  }

  /** Views of the flat per-transition arrays (terminals and timeouts as 0/1). Do not modify them. */
  toArrays(): DatasetArrays & { nextActionMask: Uint8Array } {
    return {
      observations: this.observations,
      actions: this.actions,
      rewards: this.rewards,
      terminals: this.terminals,
      timeouts: this.timeouts,
      nextObservations: this.nextObservations,
      nextObservationKnown: this.nextObservationKnown,
      nextActionMask: this.nextActionMask,
    };
  }

  /**
   * Counts, episode returns, rewards and observation moments; `lengthMax` is the longest
   * episode's length in transitions (0 without episodes), which IQL's `rewardScale: 'auto'` reads.
   */
  statistics(): DatasetStatistics & { lengthMax: number } {
    if (this.statisticsCache) return this.statisticsCache;
    const returns = this.episodeReturns();
    const ret = meanStd(returns);
    const rew = meanStd(this.rewards);
    const { mean, std } = this.observationMoments();
    let terminals = 0;
    let timeouts = 0;
    for (let i = 0; i < this.size; i++) {
      terminals += this.terminals[i]!;
      timeouts += this.timeouts[i]!;
    }
    let rewardSum = 0;
    for (let i = 0; i < this.size; i++) rewardSum += this.rewards[i]!;
    this.statisticsCache = {
      transitions: this.size,
      episodes: this.numEpisodes,
      returnMean: ret.mean,
      returnStd: ret.std,
      returnMin: returns.length ? returns.reduce((a, b) => Math.min(a, b), Infinity) : 0,
      returnMax: returns.length ? returns.reduce((a, b) => Math.max(a, b), -Infinity) : 0,
      lengthMax: this.episodeLengths().reduce((a, b) => Math.max(a, b), 0),
      rewardSum,
      rewardMean: rew.mean,
      rewardStd: rew.std,
      terminals,
      timeouts,
      observationMean: mean,
      observationStd: std,
    };
    return this.statisticsCache;
  }

  /** Mean and standard deviation of observations (per dimension) and rewards. */
  normalizationStats(): NormalizationStats {
    const s = this.statistics();
    return { observationMean: s.observationMean, observationStd: s.observationStd, rewardMean: s.rewardMean, rewardStd: s.rewardStd };
  }

  /**
   * A new dataset with normalised observations (and rewards if asked); the episode structure is
   * unchanged. Observations: o' = (o - mean) / (std + 1e-3). Its `normalization` says what was
   * applied, so a policy trained on it can normalise env observations the same way.
   */
  normalized(options: NormalizeOptions = {}): OfflineDataset {
    const od = this.observationDim;
    const stats = this.normalizationStats();
    const obsOpt = options.observations ?? true;
    const observationMean = new Float32Array(od);
    const observationScale = new Float32Array(od).fill(1);
    if (obsOpt !== false) {
      const mean = obsOpt === true ? stats.observationMean : obsOpt.mean;
      const std = obsOpt === true ? stats.observationStd : obsOpt.std;
      if (mean.length !== od || std.length !== od) {
        throw new RangeError(`OfflineDataset.normalized: observations mean/std have ${mean.length}/${std.length} values, observationDim is ${od}`);
      }
      for (let j = 0; j < od; j++) {
        observationMean[j] = mean[j]!;
        observationScale[j] = std[j]! + NORMALIZATION_EPSILON;
      }
    }
    let rewardShift = 0;
    let rewardScale = 1;
    const rOpt = options.rewards ?? false;
    if (rOpt === 'standardize') {
      rewardShift = stats.rewardMean;
      rewardScale = 1 / (stats.rewardStd + NORMALIZATION_EPSILON);
    } else if (rOpt !== false) {
      if (!Number.isFinite(rOpt.scale) || rOpt.scale === 0) throw new RangeError(`OfflineDataset.normalized: rewards.scale must be finite and non-zero, got ${rOpt.scale}`);
      rewardScale = rOpt.scale;
      rewardShift = rOpt.shift ?? 0;
    }
    const normalization: Normalization = { observationMean, observationScale, rewardShift, rewardScale };
    const observations = normalizeObservations(this.observations, normalization);
    const nextObservations = normalizeObservations(this.nextObservations, normalization);
    const rewards = this.rewards.map((r) => (r - rewardShift) * rewardScale);
    const low = normalizeObservations(this.observationSpace.low, normalization);
    const high = normalizeObservations(this.observationSpace.high, normalization);
    return new OfflineDataset({
      observationSpace: new Box(low, high, this.observationSpace.shape),
      actionSpace: this.actionSpace,
      observations,
      actions: this.actions,
      rewards,
      terminals: this.terminals,
      timeouts: this.timeouts,
      nextObservations,
      nextObservationKnown: this.nextObservationKnown,
      episodeSeeds: this.episodeSeeds,
      discount: this.discount,
      metadata: this.metadata,
      normalization,
    });
  }

  private observationMoments(): { mean: Float32Array; std: Float32Array } {
    const od = this.observationDim;
    const sum = new Float64Array(od);
    const sq = new Float64Array(od);
    for (let i = 0; i < this.size; i++) {
      for (let j = 0; j < od; j++) sum[j] = sum[j]! + this.observations[i * od + j]!;
    }
    const mean = new Float32Array(od);
    for (let j = 0; j < od; j++) mean[j] = this.size ? sum[j]! / this.size : 0;
    for (let i = 0; i < this.size; i++) {
      for (let j = 0; j < od; j++) {
        const d = this.observations[i * od + j]! - sum[j]! / this.size;
        sq[j] = sq[j]! + d * d;
      }
    }
    const std = new Float32Array(od);
    for (let j = 0; j < od; j++) std[j] = this.size ? Math.sqrt(sq[j]! / this.size) : 0;
    return { mean, std };
  }
}

/** Apply a `Normalization` to rows of observations (e.g. an env observation at evaluation time). */
export function normalizeObservations(observations: ArrayLike<number>, normalization: Normalization, out?: Float32Array): Float32Array {
  const od = normalization.observationMean.length;
  const result = out ?? new Float32Array(observations.length);
  for (let i = 0; i < observations.length; i++) {
    const j = i % od;
    result[i] = (observations[i]! - normalization.observationMean[j]!) / normalization.observationScale[j]!;
  }
  return result;
}

function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, std: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n) };
}

function checkSpaces(spaces: DatasetSpaces): { od: number; ad: number } {
  if (!(spaces?.observationSpace instanceof Box)) throw new TypeError('OfflineDataset: observationSpace must be a Box');
  if (!(spaces.actionSpace instanceof Box) && !(spaces.actionSpace instanceof Discrete)) {
    throw new TypeError('OfflineDataset: actionSpace must be a Box or a Discrete');
  }
  return { od: flatSize(spaces.observationSpace), ad: flatSize(spaces.actionSpace) };
}

function checkDiscount(discount: number | undefined): number {
  const d = discount ?? 1;
  if (!(d >= 0 && d <= 1)) throw new RangeError(`OfflineDataset: discount must lie in [0, 1], got ${d}`);
  return d;
}

function checkValues(
  source: string,
  spaces: DatasetSpaces,
  arrays: { observations: Float32Array; actions: Float32Array; rewards: Float32Array; nextObservations: Float32Array | undefined },
  keys: Partial<Record<keyof FlatArrays, string>>,
): void {
  const od = flatSize(spaces.observationSpace);
  const ad = flatSize(spaces.actionSpace);
  const checks: [keyof FlatArrays, Float32Array | undefined, number][] = [
    ['observations', arrays.observations, od],
    ['actions', arrays.actions, ad],
    ['rewards', arrays.rewards, 1],
    ['nextObservations', arrays.nextObservations, od],
  ];
  for (const [k, values, width] of checks) {
    if (!values) continue;
    const bad = firstNonFiniteRow(values, width);
    if (bad >= 0) {
      const row = Array.from(values.subarray(bad * width, bad * width + width), describeValue).join(', ');
      throw new DatasetError(`${source}: "${keys[k] ?? k}" row ${bad} holds a NaN or infinite value ([${row}])`, { source, key: keys[k] ?? k, row: bad, expected: 'finite values' });
    }
  }
  const space = spaces.actionSpace;
  if (space instanceof Discrete) {
    for (let i = 0; i < arrays.actions.length; i++) {
      const a = arrays.actions[i]!;
      if (!Number.isInteger(a) || a < space.start || a >= space.start + space.n) {
        throw new DatasetError(`${source}: "${keys.actions ?? 'actions'}" row ${i} is ${a}, not an action of ${String(space)}`, {
          source,
          key: keys.actions ?? 'actions',
          row: i,
          expected: String(space),
        });
      }
    }
  }
}
