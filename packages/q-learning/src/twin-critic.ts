/**
 * Q(s, a) critics for Box action spaces: one or more Mlps on [s, a] with a scalar output, each
 * with a target copy updated by Polyak averaging. Twin critics (two members, the minimum taken in
 * targets) counter overestimation in SAC, CQL, TD3+BC and IQL.
 *
 * Feature regularizers and probes read the first member's penultimate features phi(s, a).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema, Metrics, Rng } from '@bellman/core';
import { Mlp, type Activation } from '@bellman/nn';
import type { CriticLoss } from './learner-base.js';

export interface CriticOptions {
  observationDim: number;
  actionDim: number;
  hiddenSizes: number[];
  activation?: Activation;
  /** How many members (2 for twin critics). */
  count: number;
}

/** How a learner registers networks for checkpoints (BaseLearner.addNetwork). */
export type RegisterNetwork = (name: string, net: Mlp) => Mlp;

export class Critics {
  /** The trained members, registered as `critic1`, `critic2`, ... */
  readonly members: Mlp[] = [];
  /** Their target copies, registered as `critic1Target`, ... */
  readonly targets: Mlp[] = [];

  constructor(options: CriticOptions, rng: Rng, register: RegisterNetwork) {
    const config = {
      inputDim: options.observationDim + options.actionDim,
      hiddenSizes: [...options.hiddenSizes],
      outputDim: 1,
      activation: options.activation ?? 'relu',
    };
    for (let i = 1; i <= options.count; i++) {
      const member = register(`critic${i}`, new Mlp(config, rng));
      const target = register(`critic${i}Target`, new Mlp(config, rng));
      target.copyFrom(member);
      this.members.push(member);
      this.targets.push(target);
    }
  }

  /** Trainable variables of every member (for the critic optimizer). */
  get variables(): tf.Variable[] {
    return this.members.flatMap((m) => m.variables);
  }

  /** Q_i(s, a) of every member, each [B]. */
  values(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D[] {
    return this.valuesOfInput(stateAction(observations, actions));
  }

  /** Q_1(s, a) of the first member only, [B]. */
  firstValue(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(this.members[0]!.forward(stateAction(observations, actions)), [-1]) as tf.Tensor1D;
  }

  /** Q_i(s, a) of every member and phi(s, a) of the first, for regularizers. */
  valuesWithFeatures(observations: tf.Tensor2D, actions: tf.Tensor2D): { values: tf.Tensor1D[]; phi: tf.Tensor2D } {
    return this.valuesWithFeaturesOfInput(stateAction(observations, actions));
  }

  /**
   * Q_i of every member on rows already in critic-input form [rows, obsDim + actDim] (`stateAction`),
   * each [rows]. Learners that score many actions per state stack them into one such input, so that
   * each member runs one forward and one backward pass instead of one per group of rows.
   */
  valuesOfInput(input: tf.Tensor2D): tf.Tensor1D[] {
    return this.members.map((m) => tf.reshape(m.forward(input), [-1]) as tf.Tensor1D);
  }

  /** `valuesOfInput` and phi of the first member on the same rows. */
  valuesWithFeaturesOfInput(input: tf.Tensor2D): { values: tf.Tensor1D[]; phi: tf.Tensor2D } {
    const first = this.members[0]!.forwardWithFeatures(input);
    const values = [tf.reshape(first.output, [-1]) as tf.Tensor1D];
    for (const m of this.members.slice(1)) values.push(tf.reshape(m.forward(input), [-1]) as tf.Tensor1D);
    return { values, phi: first.features };
  }

  /** phi(s, a) of the first member (at the next state-action of the backup, say). */
  features(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    return this.members[0]!.features(stateAction(observations, actions));
  }

  /** min_i Q_i(s, a) of the trained members, [B]. */
  min(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return elementwiseMin(this.values(observations, actions));
  }

  /** min_i Qtarget_i(s, a), [B]. */
  targetMin(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    const input = stateAction(observations, actions);
    return elementwiseMin(this.targets.map((t) => tf.reshape(t.forward(input), [-1]) as tf.Tensor1D));
  }

  /** Polyak step of every target: theta' <- tau * theta + (1 - tau) * theta'. */
  updateTargets(tau: number): void {
    this.targets.forEach((t, i) => t.softUpdateFrom(this.members[i]!, tau));
  }
}

/** A schema field for a number above zero (learning rates, temperatures, clips, scales). */
export const POSITIVE_NUMBER = { type: 'number', min: 0, exclusiveMin: true } as const;

/** The fields actor-critic schemas on Box actions start with: network widths, discount and Polyak rate. */
export const ACTOR_CRITIC_SCHEMA: ConfigSchema<{ hiddenSizes: number[]; gamma: number; tau: number }> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  gamma: { type: 'number', min: 0, max: 1 },
  tau: { type: 'number', min: 0, max: 1, exclusiveMin: true },
};

/** The critic input [s, a], [B, obsDim + actDim]. */
export function stateAction(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
  return tf.concat([observations, actions], 1);
}

function elementwiseMin(values: tf.Tensor1D[]): tf.Tensor1D {
  return values.reduce((a, b) => tf.minimum(a, b) as tf.Tensor1D);
}

/** Mean squared error of a [B] prediction to a [B] target. */
export function mse(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(prediction, target))) as tf.Scalar;
}

/** Repeat each row of [B, D] n times in place: rows b*n .. b*n+n-1 are copies of row b. */
export function repeatRows(x: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, d] = x.shape;
    return tf.reshape(tf.tile(tf.reshape(x, [b, 1, d]), [1, n, 1]), [b * n, d]) as tf.Tensor2D;
  });
}

/**
 * The TD loss of every member, J_Q = sum_j mean (Q_j(s,a) - y)^2, reporting qMean (of Q_1) and
 * targetMean; phi(s, a) and phi(s', a') come from the first member, a' being `nextActions`.
 */
export function criticTDLoss(critics: Critics, observations: tf.Tensor2D, actions: tf.Tensor2D, y: tf.Tensor1D, nextObservations: tf.Tensor2D, nextActions: tf.Tensor2D): CriticLoss {
  const { values, phi } = critics.valuesWithFeatures(observations, actions);
  const q1 = values[0]!;
  const total = values.map((q) => mse(q, y)).reduce((sum, term) => tf.add(sum, term) as tf.Scalar);
  return {
    total,
    report: { qMean: tf.mean(q1), targetMean: tf.mean(y) },
    features: { phi, q: q1, phiNext: () => critics.features(nextObservations, nextActions) },
  };
}

/** An optimizer's metrics with `loss` renamed (e.g. to criticLoss), merged into `into`. */
export function renameLoss(metrics: Metrics, lossName: string, into: Metrics): Metrics {
  for (const [k, v] of Object.entries(metrics)) into[k === 'loss' ? lossName : k] = v;
  return into;
}
