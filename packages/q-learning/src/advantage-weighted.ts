/**
 * What the advantage-weighted learners on Box actions (IQL, CRR) share: a GaussianActor (mean
 * squash(mu(s)), a state-independent learned log-std, so dataset actions on the box edge have a
 * finite log pi) fitted by weighted regression onto the data's actions, Q critics on [s, a] with
 * Polyak targets, an Adam optimizer for each, and acting with the policy. Each subclass writes
 * its losses in `trainStep`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Action, Box } from '@bellman/core';
import { Adam, Mlp, variableFrom } from '@bellman/nn';
import { BaseLearner, type LearnerInit, type LearnerSpec } from './learner-base.js';
import { boxActionSpace } from './learner-utils.js';
import { GaussianActor } from './gaussian-policy.js';
import { Critics } from './twin-critic.js';

/** The config fields the shared part reads. */
export interface AdvantageWeightedConfig {
  hiddenSizes: number[];
  actorLearningRate: number;
  criticLearningRate: number;
}

export abstract class AdvantageWeightedLearner<C extends AdvantageWeightedConfig> extends BaseLearner<C> {
  /** The action space as a Box (the constructor rejects anything else). */
  protected readonly box: Box;
  readonly actor: GaussianActor;
  readonly critics: Critics;
  protected readonly actorOptimizer: Adam;
  protected readonly criticOptimizer: Adam;

  /** Registers, in this order, `actor`, `logStd`, `critic1`.. with their targets, and the optimizers `actor` and `critic`. */
  protected constructor(spec: LearnerSpec<C>, init: LearnerInit<C>, criticCount: number) {
    super(spec, init);
    this.box = boxActionSpace(this.algo, this.actionSpace);
    const { hiddenSizes, actorLearningRate, criticLearningRate } = this.config;
    const actorNet = this.addNetwork('actor', new Mlp({ inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim: this.actionDim }, this.rng));
    const logStd = this.addVariable('logStd', variableFrom(tf.zeros([this.actionDim]), true));
    this.actor = new GaussianActor(actorNet, logStd, this.box);
    this.critics = new Critics(
      { observationDim: this.observationDim, actionDim: this.actionDim, hiddenSizes, count: criticCount },
      this.rng,
      (name, net) => this.addNetwork(name, net),
    );
    this.actorOptimizer = this.addOptimizer('actor', new Adam([...actorNet.variables, logStd], { learningRate: actorLearningRate }));
    this.criticOptimizer = this.addOptimizer('critic', new Adam(this.critics.variables, { learningRate: criticLearningRate }));
  }

  /** The mean action when deterministic (the default); otherwise a Gaussian sample clipped into the box. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    this.checkObservation(observation);
    return this.actor.act(observation, options.deterministic ?? true, options.rng ?? this.rng);
  }
}
