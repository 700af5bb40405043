// The CartPole page: online DQN with RL Baselines3 Zoo's CartPole settings (the ones the
// q-learning README quotes), run by @bellman/training's OnlineTrainer in the page. Pause stops the
// trainer, which leaves a checkpoint in memory; Start again resumes from it, so a paused run
// continues exactly where it was.
import { make } from '@bellman/envs';
import { createLearner, type LearnerOf } from '@bellman/q-learning';
import { OnlineTrainer, type TrainerHooks } from '@bellman/training';
import type { Env, TransitionBatch } from '@bellman/core';
import { PausableTraining, StepTimer } from './runtime';

export interface CartPoleDqnSettings {
  seed: number;
  /** Environment steps to train for. */
  steps: number;
  learningRate: number;
  /** Updates between target-network copies. */
  targetUpdateInterval: number;
}

export const CARTPOLE_DQN_DEFAULTS: CartPoleDqnSettings = { seed: 0, steps: 20_000, learningRate: 2.3e-3, targetUpdateInterval: 128 };

export interface CartPoleDqnView {
  /** A finished training episode. */
  episode(index: number, envStep: number, episodeReturn: number): void;
  /** The latest state, to draw (called at most once per animation frame by the page). */
  frame(svg: string, envStep: number): void;
  /** A greedy evaluation: the mean return of 5 episodes. */
  evaluation(envStep: number, returnMean: number): void;
  /** Updates done, and the mean time one takes. */
  updates(count: number, msPerUpdate: number): void;
  /** The run ended (all steps done) or stopped (paused). */
  ended(reason: 'done' | 'paused', envStep: number): void;
}

/** Env steps between greedy evaluations (5 episodes each). */
const EVAL_EVERY = 2500;

/** Throws a RangeError naming the first setting that is out of range. */
export function checkCartPoleDqnSettings(settings: CartPoleDqnSettings): void {
  const { seed, steps, learningRate, targetUpdateInterval } = settings;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number >= 0, got ${seed}`);
  if (!Number.isInteger(steps) || steps < 1000) throw new RangeError(`steps must be a whole number >= 1000 (the warm-up), got ${steps}`);
  if (!(learningRate > 0 && learningRate < 1)) throw new RangeError(`learning rate must be in (0, 1), got ${learningRate}`);
  if (!Number.isInteger(targetUpdateInterval) || targetUpdateInterval < 1) {
    throw new RangeError(`target update interval must be a whole number >= 1, got ${targetUpdateInterval}`);
  }
}

export class CartPoleDqnSession {
  private readonly training = new PausableTraining('cartpole-dqn.json');
  private readonly display: Env = make('CartPole-v1');
  private readonly timer = new StepTimer();
  private learner: LearnerOf<'dqn'> | null = null;
  private episodes = 0;
  private latest: Float32Array | null = null;
  private latestStep = 0;

  constructor(
    private readonly settings: CartPoleDqnSettings,
    private readonly view: CartPoleDqnView,
  ) {
    checkCartPoleDqnSettings(settings);
  }

  /** Whether Start has run once (the settings are then those of the run). */
  get hasStarted(): boolean {
    return this.training.hasStarted;
  }

  /** Starts the run, or resumes it from the checkpoint Pause left. */
  async start(): Promise<void> {
    if (this.training.running) return;
    const { seed, steps, learningRate, targetUpdateInterval } = this.settings;
    this.learner?.dispose();
    this.learner = createLearner('dqn', {
      observationSpace: this.display.observationSpace,
      actionSpace: this.display.actionSpace,
      seed,
      config: { learningRate, targetUpdateInterval, epsilonEnd: 0.04, epsilonDecaySteps: 8000 },
    });
    const latestState: TrainerHooks<TransitionBatch> = {
      afterEnvStep: (transition, context) => {
        this.latest = transition.nextObservation;
        this.latestStep = context.step;
      },
    };
    const trainer = new OnlineTrainer({
      learner: this.learner,
      envFactory: () => make('CartPole-v1'),
      steps,
      seed,
      batchSize: 64,
      updateEvery: 256,
      gradientSteps: 128,
      warmupSteps: 1000,
      bufferCapacity: 100_000,
      evalEvery: EVAL_EVERY,
      evalEpisodes: 5,
      checkpointPath: this.training.checkpointPath,
      checkpointEvery: steps,
      checkpointStore: this.training.checkpointStore,
      hooks: [this.timer.hooks(), latestState],
      onProgress: (event) => {
        if (event.type === 'episode') this.view.episode(this.episodes++, event.step, event.episodeReturn);
        if (event.type === 'evaluation') this.view.evaluation(event.step, event.evaluation.returnMean);
        if (event.type === 'update' && this.timer.steps > 0) this.view.updates(this.timer.steps, this.timer.msPerStep);
      },
    });
    const summary = await this.training.train(trainer);
    this.draw();
    this.view.ended(summary.stopped ? 'paused' : 'done', summary.steps);
  }

  /** Stops after the current step; the run's checkpoint stays in memory for Start. */
  pause(): void {
    this.training.pause();
  }

  /** Draws the latest collected state; the page calls it once per animation frame. */
  draw(): void {
    if (!this.latest) return;
    const state = Array.from(this.latest);
    this.latest = null;
    this.display.reset({ options: { state } });
    this.view.frame(this.display.render(), this.latestStep);
  }

  dispose(): void {
    this.training.pause();
    this.learner?.dispose();
    this.display.close();
  }
}
