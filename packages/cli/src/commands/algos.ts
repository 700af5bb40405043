import { listAlgorithms } from '@bellman/q-learning';
import type { CommandContext } from '../context.js';
import { formatTable } from '../table.js';

/** `bellman algos`: the algorithms `bellman train` knows. */
export async function algosCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const algos = listAlgorithms();
  if (opts.json) {
    reporter.result(algos);
    return 0;
  }
  reporter.say(formatTable(['algo', 'actions', 'description'], algos.map((a) => [a.algo, a.actionKinds.join(', '), a.description])));
  return 0;
}
