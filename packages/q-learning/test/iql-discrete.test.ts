import * as tf from '@tensorflow/tfjs';
import { Box, ConfigError, Discrete, Rng } from '@bellman/core';
import type { RegularizerContext } from '@bellman/nn';
import { initBackend } from '@bellman/nn';
import { OfflineTrainer } from '@bellman/training';
import {
  BC,
  DiscreteIQL,
  FQE,
  IQL,
  IQL_DEFAULTS,
  createLearner,
  definitionByActionKind,
  getLearnerDefinition,
  learnerFromSnapshot,
  listAlgorithms,
} from '../src/index.js';
import { discreteIqlDefinition } from '../src/iql-discrete.js';
import { iqlDefinition } from '../src/iql.js';
import { features64, forward64, logSumExp, mean, readWeights, setFixedWeights, type Net64 } from './continuous-helpers.js';
import { ToyEnv, collectDataset, toyExpert } from '../../training/test/fixtures.js';
import { DISCRETE_ROWS, discreteRowsBatch, valueAfterStep64 } from './iql-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Discrete(3);
const GAMMA = 0.9;

interface Fixed {
  iql: DiscreteIQL;
  actor: Net64;
  critics: Net64[];
  targets: Net64[];
  value: Net64;
}

type TestRegularizer = { name: string; penalty(ctx: RegularizerContext): tf.Scalar };

function makeIql(config: Record<string, unknown> = {}, regularizers: TestRegularizer[] = []): Fixed {
  const iql = new DiscreteIQL({ observationSpace: OBS, actionSpace: ACTIONS, seed: 4, config: { hiddenSizes: [3], gamma: GAMMA, ...config }, regularizers });
  const actor = setFixedWeights(iql.actor, 1);
  const critics = iql.critics.map((m, j) => setFixedWeights(m, 10 + j));
  const targets = iql.targets.map((t, j) => setFixedWeights(t, 20 + j, 1.5));
  const value = setFixedWeights(iql.value, 30);
  // Shift V so that min Qtarget - V takes both signs on the batch.
  value.biases[1]![0] = Math.fround(value.biases[1]![0]! + 0.1);
  iql.value.biases[1]!.assign(tf.tensor1d(value.biases[1]!));
  return { iql, actor, critics, targets, value };
}

/**
 * Every quantity of one update, in float64 from the fixed weights. The critic's target and the
 * advantage read V after its Adam step (learning rate `valueLearningRate`, 3e-4 by default).
 */
function reference(f: Fixed, opts: { expectile: number; beta: number; maxWeight: number; rewardScale: number; valueLearningRate?: number }) {
  const v = (s: number[]) => forward64(f.value, s)[0]!;
  const qt = DISCRETE_ROWS.map(({ s, a }) => Math.min(forward64(f.targets[0]!, s)[a]!, forward64(f.targets[1]!, s)[a]!));
  const u = DISCRETE_ROWS.map(({ s }, i) => qt[i]! - v(s));
  const valueLoss = mean(u.map((x) => (x < 0 ? 1 - opts.expectile : opts.expectile) * x * x));
  const stepped = valueAfterStep64(f.value, DISCRETE_ROWS.map(({ s }) => s), qt, opts.expectile, opts.valueLearningRate ?? 3e-4);
  const v2 = (s: number[]) => forward64(stepped, s)[0]!;
  const ys = DISCRETE_ROWS.map(({ r, sNext, d }) => opts.rewardScale * r + GAMMA * (1 - d) * v2(sNext));
  const q = [0, 1].map((j) => DISCRETE_ROWS.map(({ s, a }) => forward64(f.critics[j]!, s)[a]!));
  const criticLoss = q.map((qj) => mean(qj.map((x, i) => (x - ys[i]!) ** 2))).reduce((x, y) => x + y);
  const advantage = DISCRETE_ROWS.map(({ s }, i) => qt[i]! - v2(s));
  const weights = advantage.map((x) => Math.min(Math.exp(opts.beta * x), opts.maxWeight));
  const logp = DISCRETE_ROWS.map(({ s, a }) => {
    const logits = forward64(f.actor, s);
    return logits[a]! - logSumExp(logits);
  });
  const actorLoss = -mean(logp.map((l, i) => weights[i]! * l));
  return { u, advantage, ys, q, valueLoss, criticLoss, weights, logp, actorLoss, vMean: mean(DISCRETE_ROWS.map(({ s }) => v(s))) };
}

describe('discrete IQL losses', () => {
  const opts = { expectile: 0.8, beta: 2, maxWeight: 1.3, rewardScale: 0.5 };

  it('value: expectile of min_j Qtarget_j(s, a) - V(s); critic: y = r * rewardScale + gamma (1 - d) V\'(s\') (V\' after the value step); actor: clipped exp(beta A) cross-entropy', () => {
    const f = makeIql(opts);
    const ref = reference(f, opts);
    // The batch exercises both sides of the expectile, the clip of the weights and a terminal row whose V(s') matters.
    expect(ref.u.some((x) => x > 0.05) && ref.u.some((x) => x < -0.05)).toBe(true);
    expect(ref.weights.some((w) => w === opts.maxWeight) && ref.weights.some((w) => w < opts.maxWeight - 0.1)).toBe(true);
    expect(Math.abs(forward64(f.value, DISCRETE_ROWS[2]!.sNext)[0]!)).toBeGreaterThan(0.1);
    // A wrong expectile side, a missing (1 - d) or a flipped advantage would move these by more than the tolerance.
    const swappedSide = mean(ref.u.map((x) => (x < 0 ? opts.expectile : 1 - opts.expectile) * x * x));
    expect(Math.abs(swappedSide - ref.valueLoss)).toBeGreaterThan(1e-3);

    const metrics = f.iql.update(discreteRowsBatch());
    expect(metrics.valueLoss).toBeCloseTo(ref.valueLoss, 5);
    expect(metrics.vMean).toBeCloseTo(ref.vMean, 5);
    expect(metrics.criticLoss).toBeCloseTo(ref.criticLoss, 5);
    expect(metrics.qMean).toBeCloseTo(mean(ref.q[0]!), 5);
    expect(metrics.targetMean).toBeCloseTo(mean(ref.ys), 5);
    expect(metrics.actorLoss).toBeCloseTo(ref.actorLoss, 5);
    expect(metrics.advantageMean).toBeCloseTo(mean(ref.advantage), 5);
    expect(metrics.weightMean).toBeCloseTo(mean(ref.weights), 5);
    expect(metrics.logProbMean).toBeCloseTo(mean(ref.logp), 5);
    f.iql.dispose();
  });

  it('steps each network downhill and moves the targets by Polyak averaging', () => {
    const lr = 0.01;
    const tau = 0.25;
    const f = makeIql({ ...opts, tau, valueLearningRate: lr, actorLearningRate: lr });
    const ref = reference(f, { ...opts, valueLearningRate: lr });
    f.iql.update(discreteRowsBatch());
    // Adam's first step moves every parameter by lr against the sign of its gradient (|g| >> epsilon).
    // V's output bias: dL_V/db = -2 mean(|tau - 1(u < 0)| u).
    const valueGrad = -2 * mean(ref.u.map((x) => (x < 0 ? 1 - opts.expectile : opts.expectile) * x));
    expect(readWeights(f.iql.value).biases[1]![0]).toBeCloseTo(f.value.biases[1]![0]! - lr * Math.sign(valueGrad), 5);
    // Logit k's bias: dL_pi/db_k = -mean_i w_i (1(a_i = k) - pi(k|s_i)).
    const actorBias = readWeights(f.iql.actor).biases[1]!;
    for (let k = 0; k < 3; k++) {
      const grad = -mean(
        DISCRETE_ROWS.map(({ s, a }, i) => {
          const logits = forward64(f.actor, s);
          return ref.weights[i]! * ((a === k ? 1 : 0) - Math.exp(logits[k]! - logSumExp(logits)));
        }),
      );
      expect(actorBias[k]).toBeCloseTo(f.actor.biases[1]![k]! - lr * Math.sign(grad), 5);
    }
    // Qtarget_j <- tau * Q_j (after its step) + (1 - tau) * Qtarget_j.
    f.iql.targets.forEach((target, j) => {
      const critic = readWeights(f.iql.critics[j]!);
      const after = readWeights(target);
      after.weights.forEach((w, l) =>
        w.forEach((row, i) => row.forEach((x, k) => expect(x).toBeCloseTo(tau * critic.weights[l]![i]![k]! + (1 - tau) * f.targets[j]!.weights[l]![i]![k]!, 5))),
      );
    });
    f.iql.dispose();
  });

  it('hands regularizers the first critic\'s features at s and at s\', and adds their penalty to the critic loss', () => {
    const seen: { phi: number[][]; phiNext: number[][]; q: number[] }[] = [];
    const regularizer: TestRegularizer = {
      name: 'dot',
      penalty: (ctx) => {
        seen.push({ phi: ctx.phi.arraySync(), phiNext: ctx.phiNext.arraySync(), q: Array.from(ctx.q!.dataSync()) });
        return tf.mean(tf.sum(tf.mul(ctx.phi, ctx.phiNext), 1)) as tf.Scalar;
      },
    };
    const plain = makeIql(opts);
    const f = makeIql(opts, [regularizer]);
    const ref = reference(f, opts);
    const phi = DISCRETE_ROWS.map(({ s }) => features64(f.critics[0]!, s));
    const phiNext = DISCRETE_ROWS.map(({ sNext }) => features64(f.critics[0]!, sNext));
    const penalty = mean(phi.map((p, i) => p.reduce((acc, x, k) => acc + x * phiNext[i]![k]!, 0)));
    expect(penalty).toBeGreaterThan(0.01);
    const base = plain.iql.update(discreteRowsBatch());
    const metrics = f.iql.update(discreteRowsBatch());
    expect(seen).toHaveLength(1);
    seen[0]!.phi.forEach((row, i) => row.forEach((x, k) => expect(x).toBeCloseTo(phi[i]![k]!, 5)));
    seen[0]!.phiNext.forEach((row, i) => row.forEach((x, k) => expect(x).toBeCloseTo(phiNext[i]![k]!, 5)));
    seen[0]!.q.forEach((x, i) => expect(x).toBeCloseTo(ref.q[0]![i]!, 5));
    expect(metrics['reg/dot']).toBeCloseTo(penalty, 5);
    expect(metrics.criticLoss).toBeCloseTo(base.criticLoss! + penalty, 5);
    expect(metrics.valueLoss).toBe(base.valueLoss);
    plain.iql.dispose();
    f.iql.dispose();
  });
});

describe('discrete IQL policy', () => {
  it('acts by the argmax of the logits, samples from their softmax, offsets by the space start, and gives FQE pi(.|s)', () => {
    const iql = new DiscreteIQL({ observationSpace: OBS, actionSpace: new Discrete(3, 1), seed: 1, config: { hiddenSizes: [3] } });
    const actor = setFixedWeights(iql.actor, 2);
    const obs = [0.3, -0.8];
    const logits = forward64(actor, obs);
    const probs = logits.map((l) => Math.exp(l - logSumExp(logits)));
    expect(iql.act(Float32Array.from(obs))).toBe(1 + logits.indexOf(Math.max(...logits)));
    Array.from(iql.policyProbabilities(Float32Array.from([...obs, ...obs]), 2)).forEach((p, i) => expect(p).toBeCloseTo(probs[i % 3]!, 6));
    const draws = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 3000 }, () => iql.act(Float32Array.from(obs), { deterministic: false, rng }) as number);
    };
    const sampled = draws(5);
    expect(draws(5)).toEqual(sampled);
    // Frequencies within 3 standard errors of pi(.|s).
    probs.forEach((p, k) => {
      const freq = sampled.filter((a) => a === k + 1).length / sampled.length;
      expect(Math.abs(freq - p)).toBeLessThan(3 * Math.sqrt((p * (1 - p)) / sampled.length));
    });
    expect(Math.min(...probs)).toBeGreaterThan(0.05);
    expect(() => iql.act(new Float32Array(3))).toThrow('iql.act: observation has 3 values, the observation space has 2');
    // FQE can evaluate the learned policy: V^pi(s) = sum_a pi(a|s) Q(s, a).
    const fqe = new FQE({ observationSpace: OBS, actionSpace: new Discrete(3, 1), evaluationPolicy: iql, config: { hiddenSizes: [4] } });
    const q = Array.from(fqe.qValues(Float32Array.from(obs)));
    expect(fqe.values(Float32Array.from(obs), 1)[0]).toBeCloseTo(probs.reduce((acc, p, k) => acc + p * q[k]!, 0), 5);
    fqe.dispose();
    iql.dispose();
  });
});

describe('discrete IQL in the registry', () => {
  it('is built by createLearner("iql") on a Discrete action space, and continuous IQL on a Box', () => {
    const discrete = createLearner('iql', { observationSpace: OBS.toJSON(), actionSpace: ACTIONS.toJSON(), config: { hiddenSizes: [4] } });
    const box = createLearner('iql', { observationSpace: OBS, actionSpace: new Box(-1, 1, [1]), config: { hiddenSizes: [4] } });
    expect(discrete).toBeInstanceOf(DiscreteIQL);
    expect(box).toBeInstanceOf(IQL);
    expect(discrete.algo).toBe('iql');
    expect((discrete as DiscreteIQL).config).toEqual({ ...IQL_DEFAULTS, hiddenSizes: [4] });
    const info = listAlgorithms().find((a) => a.algo === 'iql');
    expect(info?.actionKinds).toEqual(['discrete', 'box']);
    expect(info?.defaults).toEqual(IQL_DEFAULTS);
    expect(getLearnerDefinition('iql').description).toMatch(/categorical \(Discrete actions\) or Gaussian \(Box actions\)/);
    // A continuous snapshot cannot be loaded into the discrete learner.
    expect(() => discrete.load(box.save())).toThrow(/iql.load: snapshot actionSpace is .*"kind":"box"/);
    discrete.dispose();
    box.dispose();
  });

  it('rejects an invalid or unknown config field with a ConfigError naming it', () => {
    const spaces = { observationSpace: OBS, actionSpace: ACTIONS };
    const error = (config: Record<string, unknown>): ConfigError => {
      try {
        createLearner('iql', { ...spaces, config }).dispose();
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const bad = error({ expectile: 1.5 });
    expect(bad).toBeInstanceOf(ConfigError);
    expect(bad.field).toBe('expectile');
    expect(bad.message).toBe('IQL config: "expectile" must be at most 1, got 1.5');
    expect(error({ maxWeight: 0 }).message).toBe('IQL config: "maxWeight" must be greater than 0, got 0');
    expect(error({ hiddenSizes: [] }).field).toBe('hiddenSizes');
    const unknown = error({ betta: 3 });
    expect(unknown.field).toBe('betta');
    expect(unknown.message).toMatch(/unknown field "betta" \(did you mean "beta"\?\)/);
  });

  it('definitionByActionKind insists on one name, shared defaults and one implementation per kind', () => {
    expect(() => definitionByActionKind('x', [discreteIqlDefinition, { ...iqlDefinition, algo: 'other' }])).toThrow('implementations are named "iql" and "other"');
    expect(() => definitionByActionKind('x', [discreteIqlDefinition, { ...iqlDefinition, defaults: { ...IQL_DEFAULTS, beta: 10 } }])).toThrow('have different defaults');
    expect(() => definitionByActionKind('x', [discreteIqlDefinition, { ...iqlDefinition, actionKinds: ['discrete'] }])).toThrow('two "iql" implementations handle discrete action spaces');
    const spec = { kind: 'interval' } as unknown as ReturnType<Discrete['toJSON']>;
    expect(() => createLearner('iql', { observationSpace: OBS, actionSpace: spec })).toThrow('iql supports Discrete and Box action spaces, got {"kind":"interval"}');
  });
});

describe('discrete IQL snapshots', () => {
  it('round-trips through learnerFromSnapshot: weights, optimizers, rng and update count; no tensors leak', () => {
    const make = (seed: number) => createLearner('iql', { observationSpace: OBS, actionSpace: ACTIONS, seed, config: { hiddenSizes: [8] } }) as DiscreteIQL;
    const a = make(3);
    const b = make(3);
    for (let i = 0; i < 3; i++) expect(b.update(discreteRowsBatch())).toEqual(a.update(discreteRowsBatch()));
    const restored = learnerFromSnapshot(JSON.parse(JSON.stringify(a.save())));
    expect(restored).toBeInstanceOf(DiscreteIQL);
    expect((restored as DiscreteIQL).updates).toBe(3);
    expect(JSON.stringify(restored.save().weights)).toBe(JSON.stringify(a.save().weights));
    const count = tf.memory().numTensors;
    expect(restored.update(discreteRowsBatch())).toEqual(a.update(discreteRowsBatch()));
    const draws = (l: { act: DiscreteIQL['act'] }) => Array.from({ length: 20 }, () => l.act(new Float32Array([0.2, -0.4]), { deterministic: false }));
    expect(draws(restored)).toEqual(draws(a));
    expect(tf.memory().numTensors).toBe(count);
    // Another seed gives other weights.
    const c = make(4);
    expect(JSON.stringify(c.save().weights)).not.toBe(JSON.stringify(b.save().weights));
    for (const l of [a, b, c, restored]) l.dispose();
  });
});

describe('discrete IQL learning', () => {
  it('learns the rewarded action from uniformly random data, where BC stays near chance', () => {
    // ToyEnv (discrete): reward 1 for the expert's action, a wrong action ends the episode. Random
    // data takes the wrong action half the time; IQL's advantage weights pick out the right one.
    const env = new ToyEnv('discrete');
    const behaviour = new Rng(11);
    const data = collectDataset(env, { act: () => behaviour.int(2) }, 400, 0);
    const spaces = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 0 };
    const rate = 3e-3;
    const iql = createLearner('iql', { ...spaces, config: { hiddenSizes: [32, 32], actorLearningRate: rate, criticLearningRate: rate, valueLearningRate: rate, tau: 0.02 } });
    const bc = new BC({ ...spaces, config: { hiddenSizes: [32, 32] } });
    const rng = new Rng(0);
    for (let i = 0; i < 200; i++) {
      const batch = data.sampleTransitions(64, rng);
      iql.update(batch);
      bc.update(batch);
    }
    const probe = new Rng(77);
    const observations = Array.from({ length: 500 }, () => env.observationSpace.sample(probe));
    const accuracy = (policy: { act(o: Float32Array): unknown }) => observations.filter((o) => policy.act(o) === toyExpert('discrete', o)).length / observations.length;
    const iqlAccuracy = accuracy(iql);
    const bcAccuracy = accuracy(bc);
    console.log(`discrete IQL on random toy data (${data.size} transitions, 200 updates): expert's action chosen on ${iqlAccuracy} of states (BC ${bcAccuracy})`);
    expect(iqlAccuracy).toBeGreaterThan(0.95);
    expect(bcAccuracy).toBeLessThan(0.75);
    iql.dispose();
    bc.dispose();
  });

  it('beats the mean return of cartpole-mixed-v0 after 300 updates with the OfflineTrainer', async () => {
    let envs: typeof import('@bellman/envs');
    let datasets: typeof import('@bellman/datasets');
    try {
      envs = await import('@bellman/envs');
      datasets = await import('@bellman/datasets');
    } catch (err) {
      console.warn(`skipping the CartPole IQL test: ${(err as Error).message}`);
      return;
    }
    // A tenth of the recipe: one third each of random, medium and expert episodes (mean return about 230).
    const dataset = datasets.makeRecipe('cartpole-mixed-v0', { minTransitions: 5000 });
    const datasetReturn = dataset.statistics().returnMean;
    const learningRates = { actorLearningRate: 1e-3, criticLearningRate: 1e-3, valueLearningRate: 1e-3 };
    const learner = createLearner('iql', { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace, seed: 0, config: { hiddenSizes: [64, 64], ...learningRates } });
    const trainer = new OfflineTrainer({ learner, dataset, envFactory: () => envs.make('CartPole-v1'), steps: 300, batchSize: 128, seed: 0, evalEvery: 300, evalEpisodes: 5 });
    const summary = await trainer.run();
    console.log(`discrete IQL on cartpole-mixed-v0 (${dataset.size} transitions, mean return ${datasetReturn.toFixed(1)}): ${summary.evalReturnMean} after 300 updates, ${summary.wallSeconds.toFixed(1)} s`);
    expect(summary.evalReturnMean!).toBeGreaterThan(datasetReturn + 100);
    learner.dispose();
  });
});
