/**
 * n-step transitions for online training. A learner that backs up n-step returns exposes `nStep`
 * and `gamma`; the OnlineTrainer then stores, for each step t, the transition
 *   (s_t, a_t, R = r_t + gamma r_{t+1} + ... + gamma^(k-1) r_{t+k-1}, s_{t+k}, terminal)
 * with k = n, so that the learner's target is R + gamma^n (1 - terminal) Q(s_{t+n}, .).
 *
 * Episode ends:
 * - terminated at step t + k - 1 with k <= n: the k-step return is stored with terminal 1 (no
 *   bootstrap, so the shorter discount does not matter), for every pending step.
 * - truncated (a time limit): the window that completes at the cut is stored with terminal 0
 *   (it bootstraps from the last observation). The pending windows shorter than n are dropped:
 *   they would need gamma^k with k < n, which a batch with one discount cannot express, and
 *   storing them with gamma^n would bias their targets.
 */
/** A learner whose batches hold n-step returns. */
export interface NStepLearner {
  readonly nStep: number;
  readonly gamma: number;
}

/** The learner's n (1 for learners that do not declare one). */
export function nStepOf(learner: unknown): number {
  const n = (learner as Partial<NStepLearner>).nStep;
  if (n === undefined) return 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`learner.nStep must be a positive integer, got ${n}`);
  return n;
}

/** Where aggregated transitions go (a replay buffer's `add`). */
export interface TransitionSink {
  add(
    observation: ArrayLike<number>,
    action: number | ArrayLike<number>,
    reward: number,
    nextObservation: ArrayLike<number>,
    terminated: boolean,
    truncated?: boolean,
  ): void;
}

/** One pending step of an NStepAccumulator, as JSON data. */
export interface NStepPendingState {
  observation: number[];
  action: number | number[];
  reward: number;
}

interface Pending {
  observation: Float32Array;
  action: number | Float32Array;
  reward: number;
}

/** Turns a stream of one-step transitions of consecutive episodes into n-step transitions. */
export class NStepAccumulator implements TransitionSink {
  private pending: Pending[] = [];

  constructor(
    readonly nStep: number,
    readonly gamma: number,
    private readonly sink: TransitionSink,
  ) {
    if (!Number.isInteger(nStep) || nStep < 1) throw new RangeError(`NStepAccumulator: nStep must be a positive integer, got ${nStep}`);
    if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`NStepAccumulator: gamma must be in [0, 1], got ${gamma}`);
  }

  /** Transitions waiting for later rewards. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** One environment step, in order; an episode ends with `terminated` or `truncated`. */
  add(
    observation: ArrayLike<number>,
    action: number | ArrayLike<number>,
    reward: number,
    nextObservation: ArrayLike<number>,
    terminated: boolean,
    truncated = false,
  ): void {
    this.pending.push({
      observation: Float32Array.from(observation),
      action: typeof action === 'number' ? action : Float32Array.from(action as ArrayLike<number>),
      reward,
    });
    if (terminated) {
      while (this.pending.length > 0) this.emitOldest(nextObservation, true, true);
      return;
    }
    if (this.pending.length === this.nStep) this.emitOldest(nextObservation, false, truncated);
    if (truncated) this.pending = [];
  }

  /** The pending steps as JSON data (an online checkpoint taken mid-episode keeps them). */
  getState(): NStepPendingState[] {
    return this.pending.map((p) => ({ observation: Array.from(p.observation), action: typeof p.action === 'number' ? p.action : Array.from(p.action), reward: p.reward }));
  }

  setState(state: readonly NStepPendingState[]): void {
    if (state.length >= this.nStep) throw new RangeError(`NStepAccumulator.setState: ${state.length} pending steps, at most ${this.nStep - 1} can wait`);
    this.pending = state.map((p) => ({
      observation: Float32Array.from(p.observation),
      action: typeof p.action === 'number' ? p.action : Float32Array.from(p.action),
      reward: p.reward,
    }));
  }

  /** Forget pending steps (a new episode starts without the previous one ending). */
  reset(): void {
    this.pending = [];
  }

  private emitOldest(nextObservation: ArrayLike<number>, terminated: boolean, ended: boolean): void {
    let total = 0;
    for (let k = this.pending.length - 1; k >= 0; k--) total = this.pending[k]!.reward + this.gamma * total;
    const first = this.pending.shift()!;
    this.sink.add(first.observation, first.action, total, nextObservation, terminated, ended);
  }
}
