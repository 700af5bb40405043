import { base64ToFloat32, decodeBase64, encodeBase64, float32ToBase64, type Rng } from '@bellman/core';
import { checkCount, copyTransition, reuseTransitionBatch, type SampledTransitionBatch } from './batch.js';

export interface ReplayBufferOptions {
  /** Maximum number of transitions; the oldest are overwritten once it is full. */
  capacity: number;
  observationDim: number;
  /** Columns per action: 1 for a Discrete action (stored as its integer value). */
  actionDim: number;
  /**
   * Also keep, for each transition, the action taken at the next step of the same episode
   * (SARSA backups need it). It is linked when the following `add` continues the episode: the
   * previous transition did not end and its next observation equals the new observation.
   */
  storeNextActions?: boolean;
}

/** Rows to append with `addBatch`; row-major typed arrays or plain arrays. */
export interface TransitionRows {
  observations: ArrayLike<number>;
  actions: ArrayLike<number>;
  rewards: ArrayLike<number>;
  nextObservations: ArrayLike<number>;
  /** 1 (or true) where the MDP ended. */
  terminals: ArrayLike<number | boolean>;
  /** 1 (or true) where a time limit cut the episode; only matters for next-action links. */
  truncations?: ArrayLike<number | boolean>;
}

/**
 * Everything a ReplayBuffer holds, as plain JSON data (the rows in use, base64-encoded), so that
 * a checkpoint of an online run can carry its replay memory.
 */
export interface ReplayBufferState {
  capacity: number;
  observationDim: number;
  actionDim: number;
  storeNextActions: boolean;
  count: number;
  cursor: number;
  /** float32 rows [0, count), base64. */
  observations: string;
  actions: string;
  rewards: string;
  nextObservations: string;
  terminals: string;
  /** uint8 rows [0, count), base64. */
  ended: string;
  nextActions: string | null;
  nextActionMask: string | null;
}

/**
 * A fixed-capacity ring buffer of transitions on preallocated typed arrays. Sampling is uniform
 * with replacement, draws only from the given `Rng`, and writes into a reusable batch.
 */
export class ReplayBuffer {
  readonly capacity: number;
  readonly observationDim: number;
  readonly actionDim: number;
  readonly storeNextActions: boolean;
  private readonly observations: Float32Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly nextObservations: Float32Array;
  private readonly terminals: Float32Array;
  /** 1 where the episode ended at this transition (terminated or truncated). */
  private readonly ended: Uint8Array;
  private readonly nextActions: Float32Array | null;
  private readonly nextActionMask: Float32Array | null;
  private count = 0;
  /** Row the next `add` writes. */
  private cursor = 0;

  constructor(options: ReplayBufferOptions) {
    checkCount('ReplayBuffer: capacity', options.capacity, 1);
    checkCount('ReplayBuffer: observationDim', options.observationDim, 1);
    checkCount('ReplayBuffer: actionDim', options.actionDim, 1);
    this.capacity = options.capacity;
    this.observationDim = options.observationDim;
    this.actionDim = options.actionDim;
    this.storeNextActions = options.storeNextActions ?? false;
    const c = this.capacity;
    this.observations = new Float32Array(c * this.observationDim);
    this.actions = new Float32Array(c * this.actionDim);
    this.rewards = new Float32Array(c);
    this.nextObservations = new Float32Array(c * this.observationDim);
    this.terminals = new Float32Array(c);
    this.ended = new Uint8Array(c);
    this.nextActions = this.storeNextActions ? new Float32Array(c * this.actionDim) : null;
    this.nextActionMask = this.storeNextActions ? new Float32Array(c) : null;
  }

  /** Number of transitions held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Forget every transition (the arrays are kept). */
  clear(): void {
    this.count = 0;
    this.cursor = 0;
  }

  /**
   * The buffer's contents and position. Rows [0, count) are the ones in use: the ring fills from
   * row 0 and, once full, every row is.
   */
  getState(): ReplayBufferState {
    const n = this.count;
    const od = this.observationDim;
    const ad = this.actionDim;
    return {
      capacity: this.capacity,
      observationDim: od,
      actionDim: ad,
      storeNextActions: this.storeNextActions,
      count: n,
      cursor: this.cursor,
      observations: float32ToBase64(this.observations.subarray(0, n * od)),
      actions: float32ToBase64(this.actions.subarray(0, n * ad)),
      rewards: float32ToBase64(this.rewards.subarray(0, n)),
      nextObservations: float32ToBase64(this.nextObservations.subarray(0, n * od)),
      terminals: float32ToBase64(this.terminals.subarray(0, n)),
      ended: encodeBase64(this.ended.subarray(0, n)),
      nextActions: this.nextActions ? float32ToBase64(this.nextActions.subarray(0, n * ad)) : null,
      nextActionMask: this.nextActionMask ? float32ToBase64(this.nextActionMask.subarray(0, n)) : null,
    };
  }

  /** Take over a state from `getState()` of a buffer with the same capacity and dimensions. */
  setState(state: ReplayBufferState): void {
    for (const key of ['capacity', 'observationDim', 'actionDim', 'storeNextActions'] as const) {
      if (state[key] !== this[key]) throw new RangeError(`ReplayBuffer.setState: the state has ${key} ${String(state[key])}, this buffer ${String(this[key])}`);
    }
    const n = state.count;
    if (!Number.isInteger(n) || n < 0 || n > this.capacity) throw new RangeError(`ReplayBuffer.setState: count ${String(n)} is outside [0, ${this.capacity}]`);
    const expectedCursor = n < this.capacity ? n : state.cursor;
    if (!Number.isInteger(state.cursor) || state.cursor < 0 || state.cursor >= this.capacity || state.cursor !== expectedCursor) {
      throw new RangeError(`ReplayBuffer.setState: cursor ${String(state.cursor)} does not fit count ${n} and capacity ${this.capacity}`);
    }
    const od = this.observationDim;
    const ad = this.actionDim;
    const fill = (target: Float32Array, data: string, rows: number, name: string): void => {
      const values = base64ToFloat32(data, `ReplayBuffer.setState: ${name}`);
      if (values.length !== rows) throw new RangeError(`ReplayBuffer.setState: ${name} has ${values.length} values, ${n} rows need ${rows}`);
      target.set(values);
    };
    fill(this.observations, state.observations, n * od, 'observations');
    fill(this.actions, state.actions, n * ad, 'actions');
    fill(this.rewards, state.rewards, n, 'rewards');
    fill(this.nextObservations, state.nextObservations, n * od, 'nextObservations');
    fill(this.terminals, state.terminals, n, 'terminals');
    const ended = decodeBase64(state.ended);
    if (ended.length !== n) throw new RangeError(`ReplayBuffer.setState: ended has ${ended.length} values, ${n} rows need ${n}`);
    this.ended.set(ended);
    if (this.nextActions && this.nextActionMask) {
      if (state.nextActions === null || state.nextActionMask === null) throw new RangeError('ReplayBuffer.setState: the state has no next actions');
      fill(this.nextActions, state.nextActions, n * ad, 'nextActions');
      fill(this.nextActionMask, state.nextActionMask, n, 'nextActionMask');
    }
    this.count = n;
    this.cursor = state.cursor;
  }

  /** Append one transition, overwriting the oldest when full. */
  add(
    observation: ArrayLike<number>,
    action: number | ArrayLike<number>,
    reward: number,
    nextObservation: ArrayLike<number>,
    terminated: boolean,
    truncated = false,
  ): void {
    const od = this.observationDim;
    const ad = this.actionDim;
    if (observation.length !== od) throw new RangeError(`ReplayBuffer.add: observation has ${observation.length} values, observationDim is ${od}`);
    if (nextObservation.length !== od) {
      throw new RangeError(`ReplayBuffer.add: nextObservation has ${nextObservation.length} values, observationDim is ${od}`);
    }
    if (typeof action !== 'number' && action.length !== ad) {
      throw new RangeError(`ReplayBuffer.add: action has ${action.length} values, actionDim is ${ad}`);
    }
    if (typeof action === 'number' && ad !== 1) {
      throw new RangeError(`ReplayBuffer.add: got a scalar action but actionDim is ${ad}`);
    }
    this.write(observation, nextObservation, 0, action, 0, reward, terminated, truncated);
  }

  /** Append `count` rows (default: all rows of `rows.rewards`), in order, as consecutive `add` calls. */
  addBatch(rows: TransitionRows, count = rows.rewards.length): void {
    const od = this.observationDim;
    const ad = this.actionDim;
    const need: [string, ArrayLike<unknown> | undefined, number][] = [
      ['observations', rows.observations, count * od],
      ['actions', rows.actions, count * ad],
      ['rewards', rows.rewards, count],
      ['nextObservations', rows.nextObservations, count * od],
      ['terminals', rows.terminals, count],
      ['truncations', rows.truncations, count],
    ];
    for (const [name, arr, min] of need) {
      if (arr && arr.length < min) throw new RangeError(`ReplayBuffer.addBatch: ${name} has ${arr.length} values, ${count} rows need ${min}`);
    }
    for (let i = 0; i < count; i++) {
      const terminated = Boolean(rows.terminals[i]);
      const truncated = rows.truncations ? Boolean(rows.truncations[i]) : false;
      this.write(rows.observations, rows.nextObservations, i * od, rows.actions, i * ad, rows.rewards[i]!, terminated, truncated);
    }
  }

  /**
   * Draw `n` transitions uniformly with replacement. Pass `out` (from a previous call or
   * `createTransitionBatch`) to reuse its arrays; nothing else is allocated.
   */
  sampleTransitions(n: number, rng: Rng, out?: SampledTransitionBatch): SampledTransitionBatch {
    checkCount('ReplayBuffer.sampleTransitions: n', n, 0);
    if (this.count === 0) throw new RangeError('ReplayBuffer.sampleTransitions: the buffer is empty');
    const od = this.observationDim;
    const ad = this.actionDim;
    const batch = reuseTransitionBatch(out, n, od, ad, this.storeNextActions, 'ReplayBuffer.sampleTransitions');
    const { observations, actions, rewards, nextObservations, terminals } = this;
    const stored = { observations, actions, rewards, nextObservations, terminals };
    const bna = batch.nextActions;
    const nextActions = this.nextActions;
    for (let i = 0; i < n; i++) {
      const idx = rng.int(this.count);
      copyTransition(stored, idx, batch, i);
      if (nextActions && bna) {
        const linked = this.nextActionMask![idx]!;
        batch.nextActionMask![i] = linked;
        for (let j = 0; j < ad; j++) bna[i * ad + j] = linked ? nextActions[idx * ad + j]! : 0;
      }
    }
    return batch;
  }

  /** The transition at `index` (0 = oldest held), copied out; for inspection and tests. */
  get(index: number): {
    observation: Float32Array;
    action: Float32Array;
    reward: number;
    nextObservation: Float32Array;
    terminal: boolean;
    nextAction: Float32Array | null;
  } {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`ReplayBuffer.get: index ${index} is outside [0, ${this.count})`);
    }
    const row = (this.cursor - this.count + index + this.capacity) % this.capacity;
    const od = this.observationDim;
    const ad = this.actionDim;
    return {
      observation: this.observations.slice(row * od, row * od + od),
      action: this.actions.slice(row * ad, row * ad + ad),
      reward: this.rewards[row]!,
      nextObservation: this.nextObservations.slice(row * od, row * od + od),
      terminal: this.terminals[row] === 1,
      nextAction: this.nextActionMask?.[row] ? this.nextActions!.slice(row * ad, row * ad + ad) : null,
    };
  }

  /**
   * Write one transition at the cursor (linking it as the next action of the previous one when
   * asked to) and advance: observations at `obsOffset`, actions at `actOffset` of the given arrays.
   */
  private write(
    observations: ArrayLike<number>,
    nextObservations: ArrayLike<number>,
    obsOffset: number,
    action: number | ArrayLike<number>,
    actOffset: number,
    reward: number,
    terminated: boolean,
    truncated: boolean,
  ): void {
    const od = this.observationDim;
    const ad = this.actionDim;
    const row = this.cursor;
    if (this.storeNextActions) this.linkPrevious(observations, obsOffset, action, actOffset);
    for (let j = 0; j < od; j++) {
      this.observations[row * od + j] = observations[obsOffset + j]!;
      this.nextObservations[row * od + j] = nextObservations[obsOffset + j]!;
    }
    if (typeof action === 'number') this.actions[row * ad] = action;
    else for (let j = 0; j < ad; j++) this.actions[row * ad + j] = action[actOffset + j]!;
    this.rewards[row] = reward;
    this.terminals[row] = terminated ? 1 : 0;
    this.ended[row] = terminated || truncated ? 1 : 0;
    if (this.nextActionMask) this.nextActionMask[row] = 0;
    this.cursor = (this.cursor + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Record `action` as the next action of the previous transition if this one continues its episode. */
  private linkPrevious(
    observation: ArrayLike<number>,
    obsOffset: number,
    action: number | ArrayLike<number>,
    actOffset = 0,
  ): void {
    if (this.count === 0) return;
    const prev = (this.cursor - 1 + this.capacity) % this.capacity;
    if (this.ended[prev]) return;
    const od = this.observationDim;
    for (let j = 0; j < od; j++) {
      if (this.nextObservations[prev * od + j] !== Math.fround(observation[obsOffset + j]!)) return;
    }
    const ad = this.actionDim;
    if (typeof action === 'number') this.nextActions![prev * ad] = action;
    else for (let j = 0; j < ad; j++) this.nextActions![prev * ad + j] = action[actOffset + j]!;
    this.nextActionMask![prev] = 1;
  }
}
