// The MURAL page: SAC explores a point maze with no reward but 150 example success states. The
// reward that drives it is learned, meta-NML's or VICE's (@bellman/classifier-reward); the other
// model trains on the same schedule and data beside it, so both heat maps show what each would pay
// for the same visited states. Small networks (2 x 64) and schedules, as `bellman experiment mural
// --quick` uses, so that a few thousand env steps run in a page.
import { Rng, type RewardModel, type TransitionBatch } from '@bellman/core';
import { ReplayBuffer } from '@bellman/datasets';
import { SPIRAL_MAZE, ZIGZAG_MAZE, heatMapCentres, insideAnyWall, make, mazeSuccessExamples, renderMaze, type MazeLayout, type PointMazeInfo } from '@bellman/envs';
import { createLearner, type LearnerOf } from '@bellman/q-learning';
import { RewardRelabelling, metaNml, vice } from '@bellman/classifier-reward';
import { OnlineTrainer, type TrainerHooks } from '@bellman/training';
import { PausableTraining, StepTimer } from './runtime';

export type MuralMazeName = 'zigzag' | 'spiral';
export type MuralRewardName = 'meta-nml' | 'vice';

export interface MuralSettings {
  maze: MuralMazeName;
  /** The learned reward SAC trains on. */
  driver: MuralRewardName;
  seed: number;
  steps: number;
}

export const MURAL_DEFAULTS: MuralSettings = { maze: 'zigzag', driver: 'meta-nml', seed: 0, steps: 4000 };

const MAZES: Record<MuralMazeName, { envId: string; layout: MazeLayout }> = {
  zigzag: { envId: 'ZigzagMaze-v0', layout: ZIGZAG_MAZE },
  spiral: { envId: 'SpiralMaze-v0', layout: SPIRAL_MAZE },
};
/** Env steps between reward-model rounds (and pictures). */
const ROUND = 250;
const HEATMAP_RESOLUTION = 24;

export interface MuralPictures {
  envStep: number;
  /** The maze with the visited states over each model's reward. */
  metaNml: string;
  vice: string;
}

export interface MuralView {
  pictures(pictures: MuralPictures): void;
  /** A greedy episode of the current policy: where it ended, around the walls from the goal. */
  evaluation(envStep: number, mazeDistance: number, success: boolean): void;
  progress(envStep: number, msPerEnvStep: number): void;
  ended(reason: 'done' | 'paused', envStep: number): void;
}

export function checkMuralSettings(settings: MuralSettings): void {
  if (!(settings.maze in MAZES)) throw new RangeError(`maze must be zigzag or spiral, got ${settings.maze}`);
  if (settings.driver !== 'meta-nml' && settings.driver !== 'vice') throw new RangeError(`reward must be meta-nml or vice, got ${settings.driver}`);
  if (!Number.isInteger(settings.seed) || settings.seed < 0) throw new RangeError(`seed must be a whole number >= 0, got ${settings.seed}`);
  if (!Number.isInteger(settings.steps) || settings.steps < 1000) throw new RangeError(`steps must be a whole number >= 1000, got ${settings.steps}`);
}

/** The reward each model gives at the heat map's cell centres (NaN inside walls). */
function rewardPicture(model: RewardModel, layout: MazeLayout, visited: Float32Array, title: string, scale: { min: number; max: number } | object): string {
  const centres = Float32Array.from(heatMapCentres(HEATMAP_RESOLUTION));
  const values = model.rewards({ size: centres.length / 2, observationDim: 2, observations: centres });
  for (let i = 0; i < values.length; i++) if (insideAnyWall(layout.walls, centres[2 * i]!, centres[2 * i + 1]!)) values[i] = Number.NaN;
  return renderMaze(layout, { heatMap: { values, resolution: HEATMAP_RESOLUTION, ...scale }, points: visited, size: 320, title });
}

export class MuralSession {
  private readonly maze: { envId: string; layout: MazeLayout };
  private readonly buffer: ReplayBuffer;
  private readonly learner: LearnerOf<'sac'>;
  private readonly models: Record<MuralRewardName, RewardModel>;
  private readonly relabel: Record<MuralRewardName, RewardRelabelling>;
  private readonly timer = new StepTimer();
  private readonly training = new PausableTraining('mural.json');
  private lastRound = -1;

  constructor(
    private readonly settings: MuralSettings,
    private readonly view: MuralView,
  ) {
    checkMuralSettings(settings);
    const { seed, steps } = settings;
    this.maze = MAZES[settings.maze];
    const probe = make(this.maze.envId);
    this.learner = createLearner('sac', {
      observationSpace: probe.observationSpace,
      actionSpace: probe.actionSpace,
      seed,
      config: { hiddenSizes: [64, 64], initialAlpha: 0.1 },
    });
    probe.close();
    this.buffer = new ReplayBuffer({ capacity: steps, observationDim: 2, actionDim: 2 });
    const examples = mazeSuccessExamples(this.maze.layout, 150, new Rng(seed));
    this.models = {
      'meta-nml': metaNml({ observationDim: 2, seed, config: { hiddenSizes: [64, 64], queriesPerEpoch: 64, outerPointsPerLabel: 127 } }),
      vice: vice({ observationDim: 2, seed, config: { hiddenSizes: [64, 64], learningRate: 1e-3 } }),
    };
    const schedules = {
      'meta-nml': { every: ROUND, firstUpdates: 10, updates: 2, positives: 256, negatives: 256 },
      vice: { every: ROUND, firstUpdates: 20, updates: 10 },
    };
    this.relabel = {
      'meta-nml': new RewardRelabelling({ model: this.models['meta-nml'], examples, buffer: this.buffer, schedule: schedules['meta-nml'], seed }),
      vice: new RewardRelabelling({ model: this.models.vice, examples, buffer: this.buffer, schedule: schedules.vice, seed }),
    };
  }

  get hasStarted(): boolean {
    return this.training.hasStarted;
  }

  async start(): Promise<void> {
    if (this.training.running) return;
    const driver = this.relabel[this.settings.driver];
    const watcher = this.relabel[this.settings.driver === 'meta-nml' ? 'vice' : 'meta-nml'];
    // The other model trains at the same rounds on the same data; its rewards are only drawn.
    const sideModel: TrainerHooks<TransitionBatch> = {
      transformBatch: (batch, context) => {
        const round = Math.floor(context.step / ROUND);
        if (round > this.lastRound) {
          watcher.transformBatch(batch, context);
          this.lastRound = round;
          this.draw(context.step);
        }
        return batch;
      },
    };
    const trainer = new OnlineTrainer({
      learner: this.learner,
      steps: this.settings.steps,
      envFactory: () => make(this.maze.envId),
      buffer: this.buffer,
      batchSize: 128,
      warmupSteps: 500,
      evalEvery: 0,
      evalEpisodes: 1,
      seed: this.settings.seed,
      hooks: [driver, sideModel, this.timer.hooks()],
      // Pause stops the run with a checkpoint in memory (SAC, the replay buffer, both reward
      // models); Start resumes it from there.
      extras: { [this.settings.driver]: driver, watcher },
      checkpointPath: this.training.checkpointPath,
      checkpointEvery: this.settings.steps,
      checkpointStore: this.training.checkpointStore,
      onProgress: (event) => {
        if (event.type !== 'update') return;
        if (event.step % 500 === 0) this.evaluate(event.step);
        if (event.step % 50 === 0) this.view.progress(event.step, this.timer.msPerStep);
      },
    });
    const summary = await this.training.train(trainer);
    if (!summary.stopped) this.draw(summary.steps);
    this.view.ended(summary.stopped ? 'paused' : 'done', summary.steps);
  }

  pause(): void {
    this.training.pause();
  }

  private draw(envStep: number): void {
    const n = Math.min(1500, this.buffer.size);
    const visited = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) visited.set(this.buffer.get(Math.floor((i * this.buffer.size) / n)).nextObservation, 2 * i);
    const { layout } = this.maze;
    this.view.pictures({
      envStep,
      metaNml: rewardPicture(this.models['meta-nml'], layout, visited, `meta-NML reward, step ${envStep}`, { min: 0, max: 1 }),
      vice: rewardPicture(this.models.vice, layout, visited, `VICE reward (logit), step ${envStep}`, {}),
    });
  }

  private evaluate(envStep: number): void {
    const env = make(this.maze.envId);
    let observation = env.reset({ seed: 0 }).observation;
    let info: PointMazeInfo | undefined;
    for (let done = false; !done; ) {
      const result = env.step(this.learner.act(observation, { deterministic: true }));
      observation = result.observation;
      info = result.info as PointMazeInfo;
      done = result.terminated || result.truncated;
    }
    env.close();
    this.view.evaluation(envStep, info!.mazeDistance, info!.isSuccess);
  }

  dispose(): void {
    this.training.pause();
    this.learner.dispose();
    this.models['meta-nml'].dispose();
    this.models.vice.dispose();
  }
}
