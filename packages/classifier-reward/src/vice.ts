/**
 * VICE (Fu et al. 2018), as MURAL's baseline: a success classifier f(s), the examples labelled 1
 * and visited states 0, whose logit is the reward.
 *
 *   loss    J = mean_i [ y_i softplus(-f(x_i)) + (1 - y_i) softplus(f(x_i)) ]   (binary cross-entropy)
 *   L2      every gradient gets + weightDecay * theta (PyTorch Adam's weight_decay)
 *   reward  r(s) = f(s) ('logit'), log sigmoid(f(s)) ('log-p') or sigmoid(f(s)) ('p')
 * Policy-aware (with `policy`): the classifier is a softmax over [log pi(a|s), f(s)], i.e. logit
 * f(s) - log pi(a|s); positives take actions a ~ pi(.|s) at the examples, negatives their own.
 * mixup (`mixupAlpha` > 0) blends rows and labels with lambda ~ Beta(alpha, alpha).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, UsageError, type ConfigSchema, type Metrics, type RewardBatch, type RewardInputs, type Rng } from '@bellman/core';
import { binaryCrossEntropy } from './classifier.js';
import { LabelledSet } from './labelled-set.js';
import { mixup } from './mixup.js';
import { ClassifierRewardModel, type RewardModelInit } from './reward-model-base.js';

export type ViceRewardForm = 'logit' | 'log-p' | 'p';

export interface ViceConfig {
  hiddenSizes: number[];
  learningRate: number;
  /** L2 penalty as a gradient term weightDecay * theta on every weight and bias. */
  weightDecay: number;
  /** What the reward is: the classifier's logit, log p(success) or p(success). */
  reward: ViceRewardForm;
  /** Beta(alpha, alpha) of mixup; 0 turns mixup off. */
  mixupAlpha: number;
}

/** MURAL's VICE baseline. */
export const VICE_DEFAULTS: Readonly<ViceConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  learningRate: 1e-4,
  weightDecay: 5e-3,
  reward: 'logit',
  mixupAlpha: 0,
});

export const VICE_SCHEMA: ConfigSchema<ViceConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  weightDecay: { type: 'number', min: 0 },
  reward: { type: 'enum', values: ['logit', 'log-p', 'p'] },
  mixupAlpha: { type: 'number', min: 0 },
};

/** The policy a policy-aware VICE classifier compares against: its log-density and a sampler. */
export interface PolicyDensity {
  readonly actionDim: number;
  /** log pi(a|s) per row of observations [n, observationDim] and actions [n, actionDim]. */
  logProb(observations: Float32Array, actions: Float32Array, n: number): Float32Array;
  /** a ~ pi(.|s) per row, [n, actionDim]. */
  sample(observations: Float32Array, n: number, rng: Rng): Float32Array;
}

export interface ViceInit extends RewardModelInit<ViceConfig> {
  /** Makes the classifier policy-aware (Fu et al.'s form); its rewards then read actions too. */
  policy?: PolicyDensity;
}

export class ViceRewardModel extends ClassifierRewardModel<ViceConfig> {
  readonly kind = 'vice';
  override readonly inputs: RewardInputs;
  private readonly policy: PolicyDensity | null;

  constructor(init: ViceInit) {
    super('vice', init, VICE_SCHEMA, VICE_DEFAULTS, (c) => ({ hiddenSizes: c.hiddenSizes, outputs: 1 }), (c) => c.learningRate);
    this.policy = init.policy ?? null;
    this.inputs = this.policy ? 'observation-action' : 'observation';
    if (this.policy && this.config.mixupAlpha > 0) throw new ConfigError('vice', 'mixupAlpha', 'mixup does not apply to the policy-aware classifier: set mixupAlpha to 0 or drop the policy');
  }

  /** The classifier's logit per row: f(s), or f(s) - log pi(a|s) when policy-aware. */
  private logits(observations: tf.Tensor2D, logPolicy: Float32Array | null): tf.Tensor1D {
    return tf.tidy(() => {
      const f = tf.squeeze(this.classifier.logits(observations), [1]) as tf.Tensor1D;
      return logPolicy ? (tf.sub(f, tf.tensor1d(logPolicy)) as tf.Tensor1D) : f;
    });
  }

  private logPolicyOf(batch: RewardBatch, actions: Float32Array | undefined): Float32Array | null {
    if (!this.policy) return null;
    if (!actions || batch.actionDim !== this.policy.actionDim) {
      throw new UsageError(`vice: the policy-aware classifier needs actions of ${this.policy.actionDim} dimensions with each batch`, { owner: 'vice' });
    }
    return this.policy.logProb(batch.observations, actions, batch.size);
  }

  update(positives: RewardBatch, negatives: RewardBatch): Metrics {
    const labelled = LabelledSet.fromBatches(positives, negatives, this.kind);
    let logPolicy: Float32Array | null = null;
    if (this.policy) {
      const exampleActions = this.policy.sample(positives.observations, positives.size, this.rng);
      const negativeLog = this.logPolicyOf(negatives, negatives.actions);
      const positiveLog = this.policy.logProb(positives.observations, exampleActions, positives.size);
      logPolicy = new Float32Array(labelled.size);
      logPolicy.set(positiveLog);
      logPolicy.set(negativeLog!, positives.size);
    }
    const { points, labels } = this.config.mixupAlpha > 0 ? mixup(labelled.points, labelled.labels, labelled.dim, this.config.mixupAlpha, this.rng) : labelled;
    const variables = this.classifier.variables();
    const { loss, accuracy } = tf.tidy(() => {
      const x = tf.tensor2d(points, [labelled.size, labelled.dim]);
      const y = tf.tensor1d(labels);
      const { value, grads } = tf.variableGrads(() => binaryCrossEntropy(this.logits(x, logPolicy), y), variables);
      const decayed = variables.map((v) => tf.add(grads[v.name]!, tf.mul(v, this.config.weightDecay)));
      this.optimizer.applyGradients(decayed);
      const correct = tf.mean(tf.cast(tf.equal(tf.greater(this.logits(x, logPolicy), 0), tf.greater(y, 0.5)), 'float32'));
      return { loss: value.dataSync()[0]!, accuracy: correct.dataSync()[0]! };
    });
    this.updates += 1;
    return { classifier_loss: loss, classifier_accuracy: accuracy };
  }

  rewards(batch: RewardBatch): Float32Array {
    const logPolicy = this.logPolicyOf(batch, batch.actions);
    const observations = this.observationsOf(batch);
    const out = tf.tidy(() => {
      const logit = this.logits(observations, logPolicy);
      if (this.config.reward === 'p') return tf.sigmoid(logit);
      if (this.config.reward === 'log-p') return tf.neg(tf.softplus(tf.neg(logit)));
      return logit;
    });
    observations.dispose();
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return Float32Array.from(values);
  }
}

/** A VICE reward model (see the file note); `config` overrides VICE_DEFAULTS. */
export function vice(init: ViceInit): ViceRewardModel {
  return new ViceRewardModel(init);
}
