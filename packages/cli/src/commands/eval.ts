import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LearnerSnapshot } from '@bellman/core';
import { loadCheckpoint } from '@bellman/core/node';
import { evaluatePolicy, learnerFromSnapshot } from '@bellman/q-learning';
import { parseBackend, parseInteger, resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError, fromUserInput } from '../errors.js';
import { fmtNumber } from '../table.js';
import { makeEnv } from '../training.js';

/** The learner inside a checkpoint: a trainer checkpoint ({learner, state}) or a bare learner snapshot. */
function snapshotOf(payload: unknown, path: string): LearnerSnapshot {
  const p = payload as { learner?: LearnerSnapshot; algo?: unknown };
  if (p && typeof p === 'object' && p.learner && typeof p.learner === 'object') return p.learner;
  if (p && typeof p === 'object' && typeof p.algo === 'string') return payload as LearnerSnapshot;
  throw new UsageError(`checkpoint ${path} holds no learner snapshot`);
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
  const path = resolvePath(ctx.io.cwd, checkpoint);
  if (!existsSync(path)) throw new UsageError(`checkpoint ${checkpoint} does not exist`);
  const file = fromUserInput(() => loadCheckpoint<unknown>(path));
  const envId = opts.env ?? envOf(file.meta, path);
  if (!envId) throw new UsageError(`checkpoint ${checkpoint} does not say which env it was trained on: pass --env <id>`);
  const env = makeEnv(envId);
  await ctx.backend(backend);
  const snapshot = snapshotOf(file.payload, checkpoint);
  const learner = fromUserInput(() => learnerFromSnapshot(snapshot), `checkpoint ${checkpoint}`);
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
