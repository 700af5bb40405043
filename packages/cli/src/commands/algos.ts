import { listAlgorithms } from '@bellman/q-learning';
import type { CommandContext } from '../context.js';
import { formatTable } from '../table.js';

/**
 * `bellman algos`: the algorithms `bellman train` knows. Those that need more than spaces, a
 * config and a seed to be built (fqe and fqe-continuous evaluate a policy they are given) are
 * listed as API only: `bellman train` cannot build them.
 */
export async function algosCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const algos = listAlgorithms().map((a) => ({ ...a, apiOnly: a.requiredInit.length > 0 }));
  if (opts.json) {
    reporter.result(algos);
    return 0;
  }
  reporter.say(formatTable(['algo', 'actions', 'train', 'description'], algos.map((a) => [a.algo, a.actionKinds.join(', '), a.apiOnly ? 'API only' : 'yes', a.description])));
  // one note per set of missing init fields: "fqe and fqe-continuous need init.evaluationPolicy"
  const byNeeds = new Map<string, string[]>();
  for (const a of algos) {
    if (!a.apiOnly) continue;
    const needs = a.requiredInit.map((f) => `init.${f}`).join(' and ');
    byNeeds.set(needs, [...(byNeeds.get(needs) ?? []), a.algo]);
  }
  if (byNeeds.size > 0) reporter.say('');
  for (const [needs, names] of byNeeds) {
    const one = names.length === 1;
    reporter.say(`API only: ${names.join(' and ')} ${one ? 'needs' : 'need'} ${needs}, which \`bellman train\` cannot give; build ${one ? 'it' : 'them'} with createLearner from @bellman/q-learning.`);
  }
  return 0;
}
