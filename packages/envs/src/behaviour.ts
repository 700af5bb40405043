/**
 * The behaviour policies of the controller-generated dataset recipes, written as distributions so
 * that a TD evaluator (FQE in sample mode) can draw a' afresh from the same distribution the data
 * came from. They read the controllers and MEDIUM_NOISE of controllers.ts, so a change there
 * changes them too.
 *
 * `controllerPolicy(id, {level: 'medium'})` acts as follows:
 * - Discrete tasks: with probability eps = MEDIUM_NOISE[id] a uniformly random action, else the
 *   expert's action. So pi(expert | s) = 1 - eps + eps / n and pi(other | s) = eps / n.
 * - Box tasks (one dimension): expert(s) + N(0, sigma^2), sigma = MEDIUM_NOISE[id], clipped to the
 *   action bounds (a clipped Gaussian: point masses on the bounds).
 * The expert is deterministic, so the expert-level controller gives its action at any observation
 * (a Box action as float32: the Gaussian is centred on that value).
 * The random recipes draw each action from the action space's `sample`: uniform over the actions
 * of a Discrete space, uniform in the bounds of a Box.
 */
import { Rng, type Action, type Box, type ContinuousActionSampler, type DiscreteActionProbabilities, type Policy } from '@bellman/core';
import { MEDIUM_NOISE, controllerPolicy } from './controllers.js';

export type { ContinuousActionSampler, DiscreteActionProbabilities };

function expertOf(envId: string): Policy<Float32Array, Action> {
  // The expert level draws nothing from its rng.
  return controllerPolicy(envId, { level: 'expert', rng: new Rng(0) });
}

function noiseOf(envId: string): number {
  const noise = MEDIUM_NOISE[envId];
  if (noise === undefined) throw new Error(`no medium controller noise for "${envId}" (MEDIUM_NOISE has ${Object.keys(MEDIUM_NOISE).join(', ')})`);
  return noise;
}

/** pi(.|s) of the medium controller of a Discrete task with `numActions` actions starting at `start`. */
export function mediumActionProbabilities(envId: string, observationDim: number, numActions: number, start = 0): DiscreteActionProbabilities {
  const expert = expertOf(envId);
  const eps = noiseOf(envId);
  return {
    policyProbabilities(observations: Float32Array, count: number): Float32Array {
      const out = new Float32Array(count * numActions).fill(eps / numActions);
      for (let i = 0; i < count; i++) {
        const action = (expert.act(observations.subarray(i * observationDim, (i + 1) * observationDim)) as number) - start;
        out[i * numActions + action] = 1 - eps + eps / numActions;
      }
      return out;
    },
  };
}

/** Draws from the medium controller of a one-dimensional Box task: expert + Gaussian noise, clipped. */
export function mediumActionSampler(envId: string, observationDim: number, actionSpace: Box): ContinuousActionSampler {
  if (actionSpace.size !== 1) throw new Error(`mediumActionSampler: ${envId} has ${actionSpace.size} action dimensions; the controllers drive one`);
  const expert = expertOf(envId);
  const sigma = noiseOf(envId);
  const low = actionSpace.low[0]!;
  const high = actionSpace.high[0]!;
  return {
    sampleActions(observations: Float32Array, count: number, rng: Rng): Float32Array {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const mean = (expert.act(observations.subarray(i * observationDim, (i + 1) * observationDim)) as Float32Array)[0]!;
        out[i] = Math.min(Math.max(mean + rng.normal(0, sigma), low), high);
      }
      return out;
    },
  };
}

/** pi(.|s) of the random recipes of a Discrete task: 1/n for every action at every state. */
export function uniformActionProbabilities(numActions: number): DiscreteActionProbabilities {
  return { policyProbabilities: (_observations: Float32Array, count: number) => new Float32Array(count * numActions).fill(1 / numActions) };
}

/** Draws from the random recipes' policy of a Box task: the space's own uniform sample, `count` times. */
export function uniformActionSampler(actionSpace: Box): ContinuousActionSampler {
  return {
    sampleActions(_observations: Float32Array, count: number, rng: Rng): Float32Array {
      const out = new Float32Array(count * actionSpace.size);
      for (let i = 0; i < count; i++) out.set(actionSpace.sample(rng), i * actionSpace.size);
      return out;
    },
  };
}

/** The expert's action at one observation (for checks against the data). */
export function expertAction(envId: string, observation: Float32Array): Action {
  return expertOf(envId).act(observation);
}
