// The Diffuser page: a small Diffuser trained on maze2d-umaze (the model file that
// `bellman experiment diffuser --site-model` writes, shipped with the site) plans in the page from
// the ball's start to the goal; the page shows the sample after every denoising step, then the
// ball in MuJoCo (@mujoco/mujoco's WebAssembly build, through @bellman/envs-mujoco) following the
// plan with Diffuser's maze2d controller.
import { make } from '@bellman/envs';
import { loadMujoco, maze2dNormalizedScore, registerEnvs, type Maze2dEnv } from '@bellman/envs-mujoco';
import { Diffuser, GoalPlanner, type DiffuserModelFile, type Sampler } from '@bellman/diffusion';

export interface DiffuserModelMeta {
  envId: string;
  goal: [number, number];
  sampler: Sampler;
  trainSteps: number;
  command: string;
}

export interface DiffuserEpisodeView {
  /** A picture of the maze: the ball, the current plan, the path so far. */
  frame(svg: string): void;
  /** The plan is sampled: how long it took and in how many denoising steps. */
  planned(planMs: number, steps: number): void;
  /** One env step done. */
  step(envStep: number, episodeReturn: number): void;
}

export interface DiffuserEpisode {
  envSteps: number;
  episodeReturn: number;
  normalizedScore: number;
  planMs: number;
  denoisingSteps: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The x, y of the first plan of a [batch, H, 4] sample. */
function positions(observations: Float32Array, horizon: number): number[] {
  const path: number[] = [];
  for (let t = 0; t < horizon; t++) path.push(observations[4 * t]!, observations[4 * t + 1]!);
  return path;
}

export class DiffuserExample {
  private stopRequested = false;

  private constructor(
    private readonly diffuser: Diffuser,
    readonly meta: DiffuserModelMeta,
    private readonly env: Maze2dEnv,
  ) {}

  /** Fetches the model file, loads MuJoCo and makes the maze. */
  static async load(modelUrl: string): Promise<DiffuserExample> {
    const response = await fetch(modelUrl);
    if (!response.ok) throw new Error(`the model file ${modelUrl} could not be fetched (HTTP ${response.status})`);
    const file = (await response.json()) as DiffuserModelFile;
    const diffuser = Diffuser.fromModel(file);
    const meta = file.meta as unknown as DiffuserModelMeta;
    await loadMujoco();
    registerEnvs();
    const env = make(meta.envId) as unknown as Maze2dEnv;
    return new DiffuserExample(diffuser, meta, env);
  }

  get horizon(): number {
    return this.diffuser.layout.horizon;
  }

  /** The maze at a reset of `seed`, before any plan. */
  preview(seed: number): string {
    this.env.reset({ seed });
    return this.env.render({ title: `${this.meta.envId}, reset seed ${seed}` });
  }

  /**
   * One episode from the reset of `seed`: plan (showing each denoising step for `frameMs`), then
   * follow the plan to the end of the episode (one picture every `drawEvery` env steps).
   */
  async runEpisode(seed: number, view: DiffuserEpisodeView, options: { frameMs?: number; drawEvery?: number } = {}): Promise<DiffuserEpisode> {
    this.stopRequested = false;
    const frameMs = options.frameMs ?? 120;
    const drawEvery = options.drawEvery ?? 2;
    const horizon = this.horizon;
    const denoising: number[][] = [];
    const planner = new GoalPlanner({
      diffuser: this.diffuser,
      goal: this.meta.goal,
      sampler: this.meta.sampler,
      seed,
      onDenoisingStep: (step) => denoising.push(positions(step.observations, horizon)),
    });
    let observation = this.env.reset({ seed }).observation;
    planner.reset();
    const started = performance.now();
    let action = planner.act(observation);
    const planMs = performance.now() - started;
    view.planned(planMs, denoising.length);
    for (let i = 0; i < denoising.length && !this.stopRequested; i++) {
      view.frame(this.env.render({ plan: denoising[i]!, title: `denoising step ${i + 1} of ${denoising.length}` }));
      await wait(frameMs);
    }
    const plan = positions(planner.plan!.observations, horizon);
    const path: number[] = [observation[0]!, observation[1]!];
    let episodeReturn = 0;
    let envSteps = 0;
    for (let done = false; !done && !this.stopRequested; ) {
      const result = this.env.step(action);
      observation = result.observation;
      episodeReturn += result.reward;
      envSteps += 1;
      path.push(observation[0]!, observation[1]!);
      done = result.terminated || result.truncated;
      if (envSteps % drawEvery === 0 || done) {
        view.frame(this.env.render({ plan, points: path, title: `env step ${envSteps}, return ${episodeReturn}` }));
        view.step(envSteps, episodeReturn);
        await wait(0);
      }
      if (!done) action = planner.act(observation);
    }
    return { envSteps, episodeReturn, normalizedScore: maze2dNormalizedScore(this.meta.envId, episodeReturn), planMs, denoisingSteps: denoising.length };
  }

  stop(): void {
    this.stopRequested = true;
  }

  dispose(): void {
    this.env.close();
    this.diffuser.dispose();
  }
}
