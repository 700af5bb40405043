// Mean return of random, medium and expert controllers over 20 episodes per built-in env.
// Usage (from packages/envs): npm run measure-returns -- [seed] [episodes]
// Episode k is reset with seed + k; each policy's noise comes from new Rng(seed).
import { Rng } from '@bellman/core';
import type { Action, Env } from '@bellman/core';
import { make, controllerPolicy, controllerIds } from '../src/index.js';

const seed = Number(process.argv[2] ?? 0);
const episodes = Number(process.argv[3] ?? 20);

function runEpisodes(id: string, choose: (obs: Float32Array, env: Env<Float32Array, Action>) => Action): { mean: number; std: number } {
  const env = make(id);
  const returns: number[] = [];
  for (let k = 0; k < episodes; k++) {
    let { observation } = env.reset({ seed: seed + k });
    let total = 0;
    for (;;) {
      const r = env.step(choose(observation, env));
      total += r.reward;
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  return { mean, std };
}

const fmt = ({ mean, std }: { mean: number; std: number }) => `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
console.log(`seed ${seed}, ${episodes} episodes each`);
console.log('| env | random | medium | expert |');
console.log('| --- | ---: | ---: | ---: |');
for (const id of controllerIds()) {
  const randomRng = new Rng(seed);
  const random = runEpisodes(id, (_obs, env) => env.actionSpace.sample(randomRng));
  const medium = controllerPolicy(id, { level: 'medium', rng: new Rng(seed) });
  const expert = controllerPolicy(id, { level: 'expert', rng: new Rng(seed) });
  const m = runEpisodes(id, (obs) => medium.act(obs));
  const e = runEpisodes(id, (obs) => expert.act(obs));
  console.log(`| ${id} | ${fmt(random)} | ${fmt(m)} | ${fmt(e)} |`);
}
