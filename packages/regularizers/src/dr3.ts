import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig } from '@bellman/core';
import type { ConfigSchema } from '@bellman/core';
import type { Regularizer, RegularizerContext } from '@bellman/nn';

export interface Dr3Config {
  /** c0: the weight of the feature dot product in the critic loss (0.03 for CQL on Atari, 0.1 for offline DQN). */
  coefficient: number;
}

export const DR3_DEFAULTS: Readonly<Dr3Config> = Object.freeze({ coefficient: 0.03 });

const dr3Schema: ConfigSchema<Dr3Config> = {
  coefficient: { type: 'number', min: 0 },
};

/**
 * DR3 (Kumar et al. 2021): the explicit counterpart of TD learning's implicit regularizer,
 * c0 * (1/B) * sum_i phi(s_i, a_i) . phi(s'_i, a'_i), with gradients through both feature sets.
 * Pure tensor ops, so learners call it inside their loss closure.
 */
export class Dr3Regularizer implements Regularizer {
  readonly name = 'dr3';
  readonly config: Readonly<Dr3Config>;

  constructor(config: Partial<Dr3Config> = {}) {
    this.config = Object.freeze(resolveConfig('dr3', dr3Schema, { ...DR3_DEFAULTS }, config));
  }

  get coefficient(): number {
    return this.config.coefficient;
  }

  penalty(ctx: RegularizerContext): tf.Scalar {
    const { phi, phiNext } = ctx;
    if (phi.rank !== 2 || phiNext.rank !== 2 || phi.shape[0] !== phiNext.shape[0] || phi.shape[1] !== phiNext.shape[1]) {
      throw new RangeError(
        `dr3.penalty: ctx.phi has shape [${phi.shape}] and ctx.phiNext has shape [${phiNext.shape}]; both must be the same [batch, featureDim]`,
      );
    }
    if (phi.shape[0] === 0) throw new RangeError('dr3.penalty: the batch is empty (ctx.phi has 0 rows)');
    return tf.tidy(() => {
      const rowDots = tf.sum(tf.mul(phi, phiNext), 1);
      return tf.mul(tf.mean(rowDots), tf.scalar(this.config.coefficient)) as tf.Scalar;
    });
  }
}

/** A DR3 regularizer; `coefficient` defaults to 0.03 and must be finite and >= 0. */
export function dr3(config: Partial<Dr3Config> = {}): Dr3Regularizer {
  return new Dr3Regularizer(config);
}
