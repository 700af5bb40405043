import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spaceFromJSON, type Action, type Env, type LearnerSnapshot, type Space, type SpaceSpec } from '@bellman/core';
import { loadCheckpoint } from '@bellman/core/node';
import { loadEnv, make } from '@bellman/envs';
import { learnerFromSnapshot } from '@bellman/q-learning';
import { evaluatePolicy } from '@bellman/training';
import { parseBackend, parseInteger, resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError, fromUserInput } from '../errors.js';
import { fmtNumber, shortSpace } from '../table.js';
import { sameSpace } from '../training.js';

/** The learner inside a checkpoint: a trainer checkpoint ({learner, state}) or a bare learner snapshot. */
function snapshotOf(payload: unknown, path: string): LearnerSnapshot {
  const p = payload as { learner?: LearnerSnapshot; algo?: unknown };
  if (p && typeof p === 'object' && p.learner && typeof p.learner === 'object') return p.learner;
  if (p && typeof p === 'object' && typeof p.algo === 'string') return payload as LearnerSnapshot;
  throw new UsageError(`checkpoint ${path} holds no learner snapshot`);
}

/**
 * The checkpoint file named on the command line: a file, or a run directory written by
 * `bellman train`, whose checkpoint.json is used. `shown` is how messages name it.
 */
function checkpointFile(cwd: string, arg: string): { path: string; shown: string } {
  const path = resolvePath(cwd, arg);
  if (!existsSync(path)) throw new UsageError(`checkpoint ${arg} does not exist`);
  if (!statSync(path).isDirectory()) return { path, shown: arg };
  const file = join(path, 'checkpoint.json');
  if (existsSync(file) && statSync(file).isFile()) return { path: file, shown: join(arg, 'checkpoint.json') };
  const best = existsSync(join(path, 'best-checkpoint.json')) ? ` (it has best-checkpoint.json: pass ${join(arg, 'best-checkpoint.json')})` : '';
  throw new UsageError(`${arg} is a directory without checkpoint.json: pass a checkpoint file or a run directory written by \`bellman train\`${best}`);
}

/** A space the snapshot stores, rebuilt; a malformed one is a usage error naming the checkpoint. */
function snapshotSpace(spec: SpaceSpec | undefined, which: string, shown: string): Space<unknown> {
  if (!spec || typeof spec !== 'object' || typeof (spec as { kind?: unknown }).kind !== 'string') {
    throw new UsageError(`checkpoint ${shown} holds no ${which} space in its learner snapshot`);
  }
  return fromUserInput(() => spaceFromJSON(spec), `checkpoint ${shown}: ${which} space`);
}

/**
 * The learner was built on the spaces of the env it was trained on: the env it is evaluated in
 * must have the same ones, else the first observation fails deep inside the network.
 */
function checkEnvMatches(snapshot: LearnerSnapshot, shown: string, trainedOn: string | undefined, env: Env<Float32Array, Action>, envId: string, given: boolean): void {
  const observations = snapshotSpace(snapshot.observationSpace, 'observation', shown);
  const actions = snapshotSpace(snapshot.actionSpace, 'action', shown);
  if (sameSpace(observations, env.observationSpace) && sameSpace(actions, env.actionSpace)) return;
  const spaces = (o: Space<unknown>, a: Space<unknown>) => `observations ${shortSpace(o)}, actions ${shortSpace(a)}`;
  const source = trainedOn ? `was trained on ${trainedOn}` : 'was trained on an env it does not name';
  throw new UsageError(
    `checkpoint ${shown} ${source} (${spaces(observations, actions)}) but ${given ? '--env ' : ''}${envId} has ${spaces(env.observationSpace, env.actionSpace)}: ` +
      `the checkpoint's env and spaces do not match the env given`,
  );
}

/** The env a checkpoint was trained on: its meta, else the config.json beside it. */
function envOf(meta: Record<string, unknown>, path: string): string | undefined {
  if (typeof meta.env === 'string') return meta.env;
  const configPath = join(dirname(path), 'config.json');
  if (existsSync(configPath)) {
    try {
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { env?: unknown };
      if (typeof config.env === 'string') return config.env;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** `bellman eval <checkpoint> --episodes N [--seed S] [--json]`. */
export async function evalCommand(
  ctx: CommandContext,
  checkpoint: string,
  opts: { episodes?: string; seed?: string; env?: string; json?: boolean; backend?: string },
): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const episodes = parseInteger('--episodes', opts.episodes ?? '10', { min: 1 });
  const seed = parseInteger('--seed', opts.seed ?? '1000', { min: 0 });
  const backend = parseBackend(opts.backend);
  const { path, shown } = checkpointFile(ctx.io.cwd, checkpoint);
  const file = loadCheckpoint<unknown>(path);
  const snapshot = snapshotOf(file.payload, shown);
  const trainedOn = envOf(file.meta ?? {}, path);
  const envId = opts.env ?? trainedOn;
  if (!envId) throw new UsageError(`checkpoint ${shown} does not say which env it was trained on: pass --env <id>`);
  await loadEnv(envId);
  const env = make(envId);
  try {
    checkEnvMatches(snapshot, shown, trainedOn, env, envId, opts.env !== undefined);
  } catch (err) {
    env.close();
    throw err;
  }
  await ctx.backend(backend);
  const learner = fromUserInput(() => learnerFromSnapshot(snapshot), `checkpoint ${shown}`);
  await ctx.announceBackend();
  const started = Date.now();
  try {
    const result = evaluatePolicy(env, learner, { episodes, seed });
    const seconds = (Date.now() - started) / 1000;
    reporter.say(
      `${snapshot.algo} on ${envId}: return ${fmtNumber(result.mean)} ± ${fmtNumber(result.std)} over ${episodes} episodes ` +
        `(min ${fmtNumber(Math.min(...result.returns))}, max ${fmtNumber(Math.max(...result.returns))}, seeds ${seed}..${seed + episodes - 1}, ${seconds.toFixed(1)}s)`,
    );
    if (opts.json) {
      reporter.result({
        checkpoint: path,
        algo: snapshot.algo,
        env: envId,
        episodes,
        seed,
        returnMean: result.mean,
        returnStd: result.std,
        returns: result.returns,
        lengths: result.lengths,
        updates: snapshot.updates,
      });
    }
    return 0;
  } finally {
    learner.dispose();
    env.close();
  }
}
