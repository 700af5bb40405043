import { Box, Discrete, Rng } from '@bellman/core';

export interface CheckEnvResult {
  /** True when no problem was found. */
  ok: boolean;
  /** One plain sentence per problem found. */
  problems: string[];
}

export interface CheckEnvOptions {
  /** Seed of the resets and of the sampled actions (default 0). */
  seed?: number;
  /** Number of random steps to check (default 50). */
  steps?: number;
}

/** The parts of an env the checker touches; everything is optional so broken envs can be checked. */
interface LooseEnv {
  observationSpace?: unknown;
  actionSpace?: unknown;
  reset?: (opts?: unknown) => unknown;
  step?: (action: unknown) => unknown;
  getState?: () => unknown;
  render?: () => unknown;
}

const MAX_SHOWN = 6;

function show(x: unknown): string {
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  if (typeof x === 'string') return JSON.stringify(x);
  if (ArrayBuffer.isView(x) || Array.isArray(x)) {
    const items = Array.from(x as ArrayLike<number>).slice(0, MAX_SHOWN).map((v) => (typeof v === 'number' ? +v.toPrecision(6) : String(v)));
    const more = (x as ArrayLike<number>).length > MAX_SHOWN ? ', ...' : '';
    return `${kindOf(x)} [${items.join(', ')}${more}]`;
  }
  return kindOf(x);
}

function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a plain Array';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object without prototype';
  return `a ${typeof x}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sameValues(a: ArrayLike<number> | number, b: ArrayLike<number> | number): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/**
 * Checks a custom env against the Env contract and reports what it gets wrong in plain words:
 * spaces that are not Space instances, reset/step results of the wrong shape or types,
 * observations outside the observation space or of the wrong length/dtype, non-finite rewards,
 * resets with a seed that are not reproducible, and getState / reset({options: {state}}) that do
 * not round-trip. Never throws for a broken env: exceptions become problems.
 */
export function checkEnv(env: unknown, options: CheckEnvOptions = {}): CheckEnvResult {
  const problems: string[] = [];
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 50;
  if (env === null || typeof env !== 'object') {
    return { ok: false, problems: [`the env is ${kindOf(env)}, not an object with reset() and step()`] };
  }
  const e = env as LooseEnv;
  const obsSpace = e.observationSpace;
  const actSpace = e.actionSpace;
  const obsOk = obsSpace instanceof Box || obsSpace instanceof Discrete;
  const actOk = actSpace instanceof Box || actSpace instanceof Discrete;
  if (!obsOk) problems.push(`observationSpace is ${kindOf(obsSpace)}, not a Space (a Box or Discrete instance from @bellman/core)`);
  if (!actOk) problems.push(`actionSpace is ${kindOf(actSpace)}, not a Space (a Box or Discrete instance from @bellman/core)`);
  for (const name of ['reset', 'step', 'getState', 'render', 'close'] as const) {
    if (typeof (e as Record<string, unknown>)[name] !== 'function') problems.push(`${name}() is missing (it is ${kindOf((e as Record<string, unknown>)[name])})`);
  }
  if (typeof e.reset !== 'function' || typeof e.step !== 'function') return { ok: false, problems };

  const checkObservation = (obs: unknown, where: string): boolean => {
    if (!obsOk) return true;
    if (obsSpace instanceof Discrete) {
      if (!obsSpace.contains(obs)) {
        problems.push(`the observation from ${where} is ${show(obs)}, not an integer in ${obsSpace.toString()}`);
        return false;
      }
      return true;
    }
    const box = obsSpace as Box;
    if (!(obs instanceof Float32Array)) {
      problems.push(`the observation from ${where} is ${show(obs)}, expected a Float32Array (observations are float32)`);
      if (!ArrayBuffer.isView(obs) && !Array.isArray(obs)) return false;
    }
    const arr = obs as ArrayLike<number>;
    if (arr.length !== box.size) {
      problems.push(`the observation from ${where} has length ${arr.length}, the observation space ${box.toString()} has ${box.size}`);
      return false;
    }
    for (let i = 0; i < box.size; i++) {
      const v = arr[i]!;
      if (typeof v !== 'number' || Number.isNaN(v) || v < box.low[i]! || v > box.high[i]!) {
        problems.push(`the observation from ${where} is outside the observation space: element ${i} is ${v}, bounds [${box.low[i]}, ${box.high[i]}]`);
        return false;
      }
    }
    return true;
  };

  const callReset = (opts: unknown, where: string): { observation: unknown; info: unknown } | undefined => {
    let result: unknown;
    try {
      result = e.reset!.call(env, opts);
    } catch (err) {
      problems.push(`${where} threw: ${message(err)}`);
      return undefined;
    }
    if (!isPlainObject(result) || !('observation' in result) || !('info' in result)) {
      problems.push(`${where} returned ${show(result)}; it must return {observation, info}`);
      return undefined;
    }
    if (!isPlainObject(result.info)) problems.push(`${where} returned info = ${show(result.info)}; info must be a plain object`);
    return { observation: result.observation, info: result.info };
  };

  interface Stepped {
    observation: unknown;
    reward: number;
    terminated: boolean;
    truncated: boolean;
  }
  const reported = new Set<string>();
  const once = (key: string, text: string) => {
    if (!reported.has(key)) {
      reported.add(key);
      problems.push(text);
    }
  };
  const callStep = (action: unknown, where: string): Stepped | undefined => {
    let result: unknown;
    try {
      result = e.step!.call(env, action);
    } catch (err) {
      once(`throw:${where}`, `${where} with action ${show(action)} threw: ${message(err)}`);
      return undefined;
    }
    if (!isPlainObject(result)) {
      once('shape', `step() returned ${show(result)}; it must return {observation, reward, terminated, truncated, info}`);
      return undefined;
    }
    const missing = ['observation', 'reward', 'terminated', 'truncated', 'info'].filter((k) => !(k in result));
    if (missing.length > 0) {
      once('missing', `step() result lacks ${missing.join(', ')}; it must return {observation, reward, terminated, truncated, info}`);
    }
    if (typeof result.reward !== 'number') once('rewardType', `step() returned reward = ${show(result.reward)}; the reward must be a number`);
    else if (!Number.isFinite(result.reward)) once('rewardFinite', `step() returned a reward that is not finite (${result.reward}) for action ${show(action)}`);
    if (typeof result.terminated !== 'boolean') once('terminated', `step() returned terminated = ${show(result.terminated)}; it must be true or false`);
    if (typeof result.truncated !== 'boolean') once('truncated', `step() returned truncated = ${show(result.truncated)}; it must be true or false`);
    if ('info' in result && !isPlainObject(result.info)) once('info', `step() returned info = ${show(result.info)}; info must be a plain object`);
    if ('observation' in result && !reported.has('stepObs')) {
      const before = problems.length;
      checkObservation(result.observation, 'step()');
      if (problems.length > before) reported.add('stepObs');
    }
    return {
      observation: result.observation,
      reward: result.reward as number,
      terminated: result.terminated === true,
      truncated: result.truncated === true,
    };
  };

  // 1. Reset and a random rollout.
  const first = callReset({ seed }, `reset({seed: ${seed}})`);
  if (!first) return { ok: false, problems };
  checkObservation(first.observation, `reset({seed: ${seed}})`);
  if (!actOk) return { ok: problems.length === 0, problems };
  const space = actSpace as Box | Discrete;
  const rng = new Rng(seed);
  for (let t = 0; t < steps; t++) {
    const action = space.sample(rng);
    const r = callStep(action, 'step()');
    if (!r) break;
    if (r.terminated || r.truncated) {
      if (!callReset(undefined, 'reset() after the episode ended')) break;
    }
  }

  // 2. Determinism: the same seed and actions must give the same rollout.
  const rollout = (where: string): { observations: unknown[]; rewards: number[] } | undefined => {
    const start = callReset({ seed: seed + 1 }, where);
    if (!start) return undefined;
    const actionRng = new Rng(seed + 1);
    const observations: unknown[] = [copyOf(start.observation)];
    const rewards: number[] = [];
    for (let t = 0; t < 5; t++) {
      const r = callStep(space.sample(actionRng), 'step()');
      if (!r) return undefined;
      observations.push(copyOf(r.observation));
      rewards.push(r.reward);
      if (r.terminated || r.truncated) break;
    }
    return { observations, rewards };
  };
  const runA = rollout(`reset({seed: ${seed + 1}})`);
  const runB = rollout(`reset({seed: ${seed + 1}}) again`);
  if (runA && runB) {
    if (!sameValues(runA.observations[0] as ArrayLike<number>, runB.observations[0] as ArrayLike<number>)) {
      problems.push(
        `reset({seed: ${seed + 1}}) twice gave different observations (${show(runA.observations[0])} then ${show(runB.observations[0])}); a seed must make the reset reproducible`,
      );
    } else {
      const n = Math.min(runA.observations.length, runB.observations.length);
      for (let t = 1; t < n; t++) {
        if (!sameValues(runA.observations[t] as ArrayLike<number>, runB.observations[t] as ArrayLike<number>) || !Object.is(runA.rewards[t - 1], runB.rewards[t - 1])) {
          problems.push(`the same seed and the same actions gave different results at step ${t}: step() must depend only on the state and the action`);
          break;
        }
      }
    }
  }

  // 3. getState / reset({options: {state}}) round-trip.
  if (typeof e.getState === 'function') checkStateRoundTrip(e, env, space, seed, problems, callReset, callStep);

  // 4. Rendering.
  if (typeof e.render === 'function') {
    try {
      const svg = e.render.call(env);
      if (typeof svg !== 'string' || !svg.includes('<svg')) problems.push(`render() returned ${show(svg)}; it must return an SVG string`);
    } catch (err) {
      problems.push(`render() threw: ${message(err)}`);
    }
  }
  return { ok: problems.length === 0, problems };
}

function copyOf(x: unknown): unknown {
  if (ArrayBuffer.isView(x) || Array.isArray(x)) return Array.from(x as ArrayLike<number>);
  return x;
}

function checkStateRoundTrip(
  e: LooseEnv,
  env: object,
  space: Box | Discrete,
  seed: number,
  problems: string[],
  callReset: (opts: unknown, where: string) => { observation: unknown } | undefined,
  callStep: (action: unknown, where: string) => { observation: unknown; reward: number } | undefined,
): void {
  const start = callReset({ seed: seed + 2 }, `reset({seed: ${seed + 2}})`);
  if (!start) return;
  const rng = new Rng(seed + 2);
  if (!callStep(space.sample(rng), 'step()')) return;
  let state: unknown;
  try {
    state = e.getState!.call(env);
  } catch (err) {
    problems.push(`getState() threw: ${message(err)}`);
    return;
  }
  if (!(state instanceof Float64Array)) {
    problems.push(`getState() returned ${show(state)}; it must return a Float64Array with the physical state`);
    if (!ArrayBuffer.isView(state) && !Array.isArray(state)) return;
  }
  const saved = Array.from(state as ArrayLike<number>);
  // The returned array must be a copy: changing it must not change the env.
  (state as number[])[0] = Number.NaN;
  let again: unknown;
  try {
    again = e.getState!.call(env);
  } catch (err) {
    problems.push(`getState() threw: ${message(err)}`);
    return;
  }
  if (!sameValues(Array.from(again as ArrayLike<number>), saved)) {
    problems.push('getState() returns the env\'s own array, not a copy: changing what it returned changed the env');
    return;
  }
  const action = space.sample(rng);
  const original = callStep(action, 'step()');
  if (!original) return;
  const originalObs = copyOf(original.observation);
  const restored = callReset({ options: { state: Float64Array.from(saved) } }, 'reset({options: {state}})');
  if (!restored) return;
  let restoredState: unknown;
  try {
    restoredState = e.getState!.call(env);
  } catch (err) {
    problems.push(`getState() after reset({options: {state}}) threw: ${message(err)}`);
    return;
  }
  if (!sameValues(Array.from(restoredState as ArrayLike<number>), saved)) {
    problems.push(
      `reset({options: {state}}) does not restore the state: getState() gave ${show(restoredState)} after starting from ${show(saved)}`,
    );
    return;
  }
  const replay = callStep(action, 'step()');
  if (!replay) return;
  if (!sameValues(copyOf(replay.observation) as number[], originalObs as number[]) || !Object.is(replay.reward, original.reward)) {
    problems.push('stepping from a state restored with reset({options: {state}}) gave a different observation or reward than stepping from the original state');
  }
}
