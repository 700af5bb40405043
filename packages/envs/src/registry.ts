import { UsageError, closestMatches } from '@bellman/core';
import type { Action, Env, EnvSpec, ErrorContext, Space } from '@bellman/core';
import { AcrobotEnv } from './classic/acrobot.js';
import { CartPoleEnv } from './classic/cartpole.js';
import { MountainCarContinuousEnv, MountainCarEnv } from './classic/mountain-car.js';
import { PendulumEnv } from './classic/pendulum.js';
import { ClassicControlEnv } from './base.js';
import { PointMazeEnv } from './maze/env.js';
import type { MazeRewardMode } from './maze/env.js';
import { OPEN_POINT_GOAL, SPIRAL_MAZE, ZIGZAG_MAZE } from './maze/layouts.js';
import { TimeLimit, Wrapper } from './wrappers.js';

/** What `register()` takes. */
export interface EnvRegistrationSpec {
  id: string;
  /** Builds a fresh, unwrapped env from the env-specific `make()` options named in `options`. */
  entryPoint: (options: EnvOptions) => Env<Float32Array, Action>;
  /** The env-specific options `make()` accepts and passes on to `entryPoint` (beside maxEpisodeSteps). */
  options?: readonly (keyof EnvOptions)[];
  /** Default time limit: `make()` wraps the env in TimeLimit with it. */
  maxEpisodeSteps?: number;
  /** Mean return above which the task counts as solved. */
  rewardThreshold?: number;
  /** One line on the task. */
  description?: string;
  /**
   * Loads what `entryPoint` needs before it can run (a physics engine): `makeAsync` awaits it;
   * `make` works once it has resolved.
   */
  load?: () => Promise<unknown>;
  /** The env's spaces, for `listEnvs()` to describe without building one (an env that needs `load`). */
  spaces?: { observation: Space<unknown>; action: Space<unknown> };
}

/** One row of `listEnvs()`. */
export interface EnvRegistration {
  id: string;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
  /** The observation space, e.g. `Box(..., [4])`. */
  observationSpace: string;
  /** The action space, e.g. `Discrete(2)`. */
  actionSpace: string;
  description: string;
}

/** Options some envs take (each registration lists the ones it accepts). */
export interface EnvOptions {
  /** Point mazes: 'none' (default), 'sparse' or 'dense'. */
  reward?: MazeRewardMode;
}

export interface MakeOptions extends EnvOptions {
  /** Overrides the registered time limit. */
  maxEpisodeSteps?: number;
}

const registry = new Map<string, EnvRegistrationSpec>();

function describeSpace(space: Space<unknown>): string {
  const text = (space as { toString(): string }).toString();
  return text === '[object Object]' ? JSON.stringify(space.toJSON()) : text;
}

/** Add an env to the registry. Registering an id twice is an error. */
export function register(spec: EnvRegistrationSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`register: expected a spec object, got ${String(spec)}`);
  if (typeof spec.id !== 'string' || spec.id.length === 0) throw new TypeError(`register: spec.id must be a non-empty string, got ${JSON.stringify(spec.id)}`);
  if (typeof spec.entryPoint !== 'function') throw new TypeError(`register("${spec.id}"): spec.entryPoint must be a function that returns an env`);
  if (spec.maxEpisodeSteps !== undefined && (!Number.isInteger(spec.maxEpisodeSteps) || spec.maxEpisodeSteps <= 0)) {
    throw new RangeError(`register("${spec.id}"): maxEpisodeSteps must be a positive integer, got ${String(spec.maxEpisodeSteps)}`);
  }
  if (spec.rewardThreshold !== undefined && !Number.isFinite(spec.rewardThreshold)) {
    throw new RangeError(`register("${spec.id}"): rewardThreshold must be a finite number, got ${String(spec.rewardThreshold)}`);
  }
  if (registry.has(spec.id)) throw new Error(`register: environment id "${spec.id}" is already registered`);
  registry.set(spec.id, { ...spec });
}

/** Every registered env with its limits and spaces. */
export function listEnvs(): EnvRegistration[] {
  return [...registry.values()].map((spec) => {
    const spaces = spacesOf(spec);
    const row: EnvRegistration = {
      id: spec.id,
      observationSpace: describeSpace(spaces.observation),
      actionSpace: describeSpace(spaces.action),
      description: spec.description ?? '',
    };
    if (spec.maxEpisodeSteps !== undefined) row.maxEpisodeSteps = spec.maxEpisodeSteps;
    if (spec.rewardThreshold !== undefined) row.rewardThreshold = spec.rewardThreshold;
    return row;
  });
}

/** A registration's spaces: the ones it declares, else those of an env built (and closed) for the purpose. */
function spacesOf(spec: EnvRegistrationSpec): { observation: Space<unknown>; action: Space<unknown> } {
  if (spec.spaces) return spec.spaces;
  const env = spec.entryPoint({});
  const spaces = { observation: env.observationSpace, action: env.actionSpace };
  env.close();
  return spaces;
}

/**
 * The observation and action spaces of a registered id, without loading what its env needs (an
 * engine): what `listEnvs()` describes, as Space objects. An unknown id throws as `make` does.
 */
export function registeredSpaces(id: string): { observation: Space<unknown>; action: Space<unknown> } {
  return spacesOf(registeredSpec(id));
}

/** Whether an id is in the registry. */
export function isRegistered(id: string): boolean {
  return registry.has(id);
}

/**
 * Packages that add envs to the registry, by the ids they provide: `makeAsync` imports the package
 * on first use of such an id and calls its `registerEnvs`. They are optional installs, so that
 * `@bellman/envs` alone downloads no physics engine.
 */
export const ENV_PROVIDERS: readonly { idPattern: RegExp; packageName: string; provides: string }[] = [
  { idPattern: /^maze2d-/, packageName: '@bellman/envs-mujoco', provides: "D4RL's maze2d on MuJoCo" },
];

/** What a provider package's `registerEnvs` is given: this registry. */
export interface EnvRegistryTarget {
  register: typeof register;
  isRegistered: typeof isRegistered;
}

/**
 * Imports an optional Bellman package by name at run time (a computed specifier, so bundlers and
 * the import graph do not pull it in); a `UsageError` saying how to install it when it is missing.
 * `needer` says what needs it, e.g. `Environment "maze2d-umaze-v1" (D4RL's maze2d on MuJoCo)`.
 */
export async function importOptionalPackage<M>(packageName: string, needer: string, context: ErrorContext = {}): Promise<M> {
  try {
    return (await import(packageName)) as M;
  } catch (cause) {
    const code = (cause as { code?: string } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError(`${needer} needs the package ${packageName}, which is not installed: npm install ${packageName}`, { ...context, packageName }, { cause });
    }
    throw cause;
  }
}

async function importProvider(id: string): Promise<void> {
  const provider = ENV_PROVIDERS.find((p) => p.idPattern.test(id));
  if (!provider) return;
  const module = await importOptionalPackage<{ registerEnvs?: (target: EnvRegistryTarget) => void }>(provider.packageName, `Environment "${id}" (${provider.provides})`, { envId: id });
  if (typeof module.registerEnvs !== 'function') throw new UsageError(`${provider.packageName} does not export registerEnvs(); is it a Bellman env package of the same version?`, { envId: id, packageName: provider.packageName });
  module.registerEnvs({ register, isRegistered });
}

/**
 * `make` for every id, whatever engine its env needs: imports the package that provides the id
 * when it is not registered yet (maze2d ids: `@bellman/envs-mujoco`), awaits the registration's
 * `load` (MuJoCo's WebAssembly module), then makes the env.
 */
export async function makeAsync(id: string, options: MakeOptions = {}): Promise<Env<Float32Array, Action>> {
  await loadEnv(id);
  return make(id, options);
}

/**
 * Gets an id ready for the synchronous `make`: imports the package that provides it when it is not
 * registered yet, then awaits the registration's `load`. Unknown ids are left for `make` to report.
 */
export async function loadEnv(id: string): Promise<void> {
  if (!registry.has(id)) await importProvider(String(id));
  await registry.get(id)?.load?.();
}

/**
 * The registration of `id`. A `UsageError` otherwise: for an id of an optional package whose envs
 * are not registered yet, how to load them; for any other id (a misspelt one of a loaded package
 * included), the closest known ids.
 */
function registeredSpec(id: string): EnvRegistrationSpec {
  const spec = registry.get(id);
  if (spec) return spec;
  const provider = ENV_PROVIDERS.find((p) => p.idPattern.test(String(id)) && ![...registry.keys()].some((known) => p.idPattern.test(known)));
  if (provider) {
    throw new UsageError(`Environment "${String(id)}" (${provider.provides}) comes from ${provider.packageName}, which is not loaded: use \`await makeAsync("${String(id)}")\`, or call registerEnvs() from ${provider.packageName}`, { envId: String(id), packageName: provider.packageName });
  }
  const known = [...registry.keys()];
  const hints = closestMatches(String(id), known);
  const hint = hints.length > 0 ? `; did you mean ${hints.map((h) => `"${h}"`).join(' or ')}?` : '.';
  throw new UsageError(`Unknown environment id "${String(id)}"${hint} Known ids: ${known.join(', ')}`, { envId: String(id), suggestions: hints, known });
}

/**
 * A fresh env by id, wrapped in TimeLimit when the registration (or `options.maxEpisodeSteps`)
 * gives a limit. Its `spec` carries the id, limit and reward threshold. An unknown id throws a
 * `UsageError` whose context holds `envId`, the closest `suggestions` and the `known` ids.
 */
export function make(id: string, options: MakeOptions = {}): Env<Float32Array, Action> {
  const spec = registeredSpec(id);
  if (options === null || typeof options !== 'object') throw new TypeError(`make("${id}"): options must be an object, got ${String(options)}`);
  const accepted: readonly string[] = spec.options ?? [];
  const envOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (accepted.includes(key)) envOptions[key] = value;
    else if (key !== 'maxEpisodeSteps') throw new TypeError(`make("${id}"): unknown option "${key}"; known options: ${['maxEpisodeSteps', ...accepted].join(', ')}`);
  }
  const limit = options.maxEpisodeSteps ?? spec.maxEpisodeSteps;
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) {
    throw new RangeError(`make("${id}"): maxEpisodeSteps must be a positive integer, got ${String(limit)}`);
  }
  const envSpec: EnvSpec = { id };
  if (limit !== undefined) envSpec.maxEpisodeSteps = limit;
  if (spec.rewardThreshold !== undefined) envSpec.rewardThreshold = spec.rewardThreshold;
  const env = spec.entryPoint(envOptions as EnvOptions);
  if (env instanceof ClassicControlEnv || env instanceof PointMazeEnv) env.spec = { ...envSpec };
  if (limit !== undefined) return new TimeLimit(env, limit, envSpec);
  return env instanceof ClassicControlEnv || env instanceof PointMazeEnv ? env : new WithSpec(env, envSpec);
}

/** Gives an env without a time limit the spec of its registration. */
class WithSpec extends Wrapper<Float32Array, Action> {
  constructor(
    env: Env<Float32Array, Action>,
    private readonly ownSpec: EnvSpec,
  ) {
    super(env);
  }

  override get spec(): EnvSpec {
    return this.ownSpec;
  }
}

register({
  id: 'CartPole-v1',
  entryPoint: () => new CartPoleEnv(),
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
  description: 'Balance a pole on a cart by pushing it left or right; +1 per step.',
});
register({
  id: 'MountainCar-v0',
  entryPoint: () => new MountainCarEnv(),
  maxEpisodeSteps: 200,
  rewardThreshold: -110,
  description: 'Drive an underpowered car up the right hill by rocking it; -1 per step.',
});
register({
  id: 'MountainCarContinuous-v0',
  entryPoint: () => new MountainCarContinuousEnv(),
  maxEpisodeSteps: 999,
  rewardThreshold: 90,
  description: 'Mountain car with a continuous force; +100 at the goal, -0.1 a^2 per step.',
});
register({
  id: 'Pendulum-v1',
  entryPoint: () => new PendulumEnv(),
  maxEpisodeSteps: 200,
  description: 'Swing a pendulum up and keep it upright with a bounded torque.',
});
register({
  id: 'Acrobot-v1',
  entryPoint: () => new AcrobotEnv(),
  maxEpisodeSteps: 500,
  rewardThreshold: -100,
  description: 'Swing the tip of a two-link arm above the bar with a torque on the middle joint; -1 per step.',
});
register({
  id: 'ZigzagMaze-v0',
  entryPoint: (options) => new PointMazeEnv('ZigzagMaze-v0', ZIGZAG_MAZE, options),
  options: ['reward'],
  maxEpisodeSteps: 100,
  description: 'Steer a point from (-3, -3) to (3, 3) around two staggered walls; reward none, sparse or dense.',
});
register({
  id: 'SpiralMaze-v0',
  entryPoint: (options) => new PointMazeEnv('SpiralMaze-v0', SPIRAL_MAZE, options),
  options: ['reward'],
  maxEpisodeSteps: 100,
  description: 'Steer a point from (-3, -3) along a spiral of five walls to (-0.5, 1.25); reward none, sparse or dense.',
});
register({
  id: 'PointGoal-v0',
  entryPoint: (options) => new PointMazeEnv('PointGoal-v0', OPEN_POINT_GOAL, options),
  options: ['reward'],
  maxEpisodeSteps: 100,
  description: 'Steer a point from (-3, -3) to (3, 3) in the open square; reward none, sparse or dense.',
});
