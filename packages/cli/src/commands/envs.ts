import type { Action, Space } from '@bellman/core';
import { listEnvs, loadEnv, make } from '@bellman/envs';
import { registerEnvs } from '@bellman/envs-mujoco';
import type { CommandContext } from '../context.js';
import { formatTable, shortSpace } from '../table.js';

/** `bellman envs`: the registered environments. */
export async function envsCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  // the MuJoCo envs are listed too; the table builds each env, so their engine is loaded
  registerEnvs();
  const envs = listEnvs();
  const reporter = ctx.reporter(opts.json);
  if (opts.json) {
    reporter.result(envs);
    return 0;
  }
  for (const e of envs) await loadEnv(e.id);
  const rows = envs.map((e) => {
    const env = make(e.id) as { observationSpace: Space<Float32Array>; actionSpace: Space<Action>; close(): void };
    const row = [
      e.id,
      shortSpace(env.observationSpace),
      shortSpace(env.actionSpace),
      e.maxEpisodeSteps === undefined ? '-' : String(e.maxEpisodeSteps),
      e.rewardThreshold === undefined ? '-' : String(e.rewardThreshold),
    ];
    env.close();
    return row;
  });
  reporter.say(formatTable(['id', 'observations', 'actions', 'time limit', 'solved at'], rows));
  reporter.say('');
  reporter.say('`bellman envs --json` gives the full spaces (bounds) and a description of each task.');
  return 0;
}
