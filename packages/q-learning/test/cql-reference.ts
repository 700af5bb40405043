/** float64 reference of continuous CQL's critic terms, shared by the CQL tests. */
import { Rng } from '@bellman/core';
import type { CQL } from '../src/index.js';
import { logSumExp, mean, q64, rows, setFixedWeights, tanhGaussian64, tinyBatch, type Net64 } from './continuous-helpers.js';

export interface CqlSetup {
  cql: CQL;
  actor: Net64;
  critics: Net64[];
  targets: Net64[];
}

/** Fixed weights for a CQL learner on obs Box(-5, 5, [2]), actions Box(-2, 2, [1]), initialAlpha 0.5. */
export function fixCqlWeights(cql: CQL): CqlSetup {
  const actor = setFixedWeights(cql.actor.net, 1);
  const critics = cql.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
  const targets = cql.critics.targets.map((t, j) => setFixedWeights(t, 20 + j));
  return { cql, actor, critics, targets };
}

/** The TD terms and conservative gaps of both critics in float64, replaying the learner's noise stream (returned where the critic step leaves it). */
export function expectedTerms(setup: CqlSetup, n: number, backupEntropy = true) {
  const { cql, actor, critics, targets } = setup;
  const batch = tinyBatch();
  const data = rows(batch);
  const rng = new Rng(cql.save().rng);
  const ys = data.map(({ r, sNext, d }) => {
    const { a, logp } = tanhGaussian64(actor, sNext, rng.normal());
    const qNext = Math.min(q64(targets[0]!, sNext, [a]), q64(targets[1]!, sNext, [a]));
    return r + 0.99 * (1 - d) * (qNext - (backupEntropy ? 0.5 * logp : 0));
  });
  const uniform = data.flatMap(() => Array.from({ length: n }, () => rng.uniformRange(-2, 2)));
  const noiseAtS = uniform.map(() => rng.normal());
  const noiseAtNext = uniform.map(() => rng.normal());
  const logUniform = -Math.log(4); // density 1 / volume of [-2, 2]
  const tdLoss = [0, 1].map((j) => mean(data.map(({ s, a }, i) => (q64(critics[j]!, s, a) - ys[i]!) ** 2)));
  const gaps = [0, 1].map((j) => {
    const lse = data.map(({ s, sNext }, b) => {
      const terms: number[] = [];
      for (let k = 0; k < n; k++) {
        const row = b * n + k;
        terms.push(q64(critics[j]!, s, [uniform[row]!]) - logUniform);
        const atS = tanhGaussian64(actor, s, noiseAtS[row]!);
        terms.push(q64(critics[j]!, s, [atS.a]) - atS.logp);
        const atNext = tanhGaussian64(actor, sNext, noiseAtNext[row]!);
        terms.push(q64(critics[j]!, s, [atNext.a]) - atNext.logp);
      }
      return logSumExp(terms);
    });
    return mean(lse) - mean(data.map(({ s, a }) => q64(critics[j]!, s, a)));
  });
  // rng: the stream after the critic step's draws, where the actor step's noise comes next
  return { batch, tdLoss, gaps, rng };
}
