import { listEnvs, registeredSpaces } from '@bellman/envs';
import { registerEnvs } from '@bellman/envs-mujoco';
import type { CommandContext } from '../context.js';
import { formatTable, shortSpace } from '../table.js';

/** `bellman envs`: the registered environments. */
export async function envsCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  // the MuJoCo envs are listed too (their spaces are known without loading the engine)
  registerEnvs();
  const envs = listEnvs();
  const reporter = ctx.reporter(opts.json);
  if (opts.json) {
    reporter.result(envs);
    return 0;
  }
  const rows = envs.map((e) => {
    const spaces = registeredSpaces(e.id);
    return [
      e.id,
      shortSpace(spaces.observation),
      shortSpace(spaces.action),
      e.maxEpisodeSteps === undefined ? '-' : String(e.maxEpisodeSteps),
      e.rewardThreshold === undefined ? '-' : String(e.rewardThreshold),
    ];
  });
  reporter.say(formatTable(['id', 'observations', 'actions', 'time limit', 'solved at'], rows));
  reporter.say('');
  reporter.say('`bellman envs --json` gives the full spaces (bounds) and a description of each task.');
  return 0;
}
