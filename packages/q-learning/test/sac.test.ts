import * as tf from '@tensorflow/tfjs';
import { Box, Rng } from '@bellman/core';
import { Mlp, initBackend } from '@bellman/nn';
import { GaussianActor, SAC, TanhGaussianActor, createLearner, createLearnerByName, learnerFromSnapshot } from '../src/index.js';
import { logOneMinusTanhSquared } from '../src/gaussian-policy.js';
import { HALF_LOG_2PI, forward64, logOneMinusTanh2, mean, normalLogPdf, q64, readWeights, rows, setFixedWeights, tanhGaussian64, tinyBatch } from './continuous-helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);

/** A tanh-Gaussian actor on a 2-D box (center [1, 0.5], halfRange [2, 0.5]) with fixed weights, and two observations. */
function fixedTanhActor() {
  const box = new Box([-1, 0], [3, 1]);
  const net = new Mlp({ inputDim: 2, hiddenSizes: [3], outputDim: 4 }, new Rng(0));
  const w = setFixedWeights(net, 1);
  const actor = new TanhGaussianActor(net, box);
  const obs = [
    [0.3, -0.2],
    [1.5, 0.7],
  ];
  return { box, net, w, actor, obs };
}

describe('tanh-Gaussian actor', () => {
  it('log(1 - tanh(u)^2) is stable and exact for large |u|', () => {
    const u = [-30, -10, -1, 0, 0.5, 12];
    const got = Array.from(logOneMinusTanhSquared(tf.tensor1d(u)).dataSync());
    u.forEach((x, i) => expect(got[i]).toBeCloseTo(logOneMinusTanh2(x), 4));
    expect(got[0]).toBeCloseTo(2 * Math.log(2) - 60, 3); // naive log(1 - tanh^2) is -Infinity here
  });

  it('log pi(a|s) is the Gaussian density minus the log-det of a = center + halfRange * tanh(u)', () => {
    const { box, net, w, actor, obs } = fixedTanhActor();
    const noise = [
      [0.4, -1.1],
      [8, 0.2], // a large u: the log-det must not underflow
    ];
    const { action, logProb } = actor.sample(tf.tensor2d(obs), tf.tensor2d(noise));
    const gotA = action.arraySync();
    const gotLogp = Array.from(logProb.dataSync());
    obs.forEach((s, i) => {
      const out = forward64(w, s);
      let logp = 0;
      [0, 1].forEach((d) => {
        const mu = out[d]!;
        const logStd = Math.min(Math.max(out[2 + d]!, -20), 2);
        const u = mu + Math.exp(logStd) * noise[i]![d]!;
        const half = d === 0 ? 2 : 0.5;
        const center = d === 0 ? 1 : 0.5;
        expect(gotA[i]![d]).toBeCloseTo(center + half * Math.tanh(u), 5);
        logp += normalLogPdf(u, mu, logStd) - Math.log(half) - logOneMinusTanh2(u);
      });
      expect(gotLogp[i]).toBeCloseTo(logp, 3);
    });
    // Deterministic acting and sampled acting stay inside the box.
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) {
      const s = new Float32Array([rng.normal(0, 20), rng.normal(0, 20)]);
      expect(box.contains(actor.act(s, true, rng))).toBe(true);
      expect(box.contains(actor.act(s, false, rng))).toBe(true);
    }
    net.dispose();
  });

  it('logProb of given actions inverts the squash; an action on the edge is read 1e-6 inside it', () => {
    const { net, w, actor, obs } = fixedTanhActor();
    const actions = [
      [2.1, 0.2],
      [-1, 0.9], // the first on the lower edge
    ];
    const got = Array.from(actor.logProb(tf.tensor2d(obs), tf.tensor2d(actions)).dataSync());
    obs.forEach((s, i) => {
      const out = forward64(w, s);
      let logp = 0;
      [0, 1].forEach((d) => {
        const half = d === 0 ? 2 : 0.5;
        const center = d === 0 ? 1 : 0.5;
        const unit = Math.min(Math.max((actions[i]![d]! - center) / half, -1 + 1e-6), 1 - 1e-6);
        const u = Math.atanh(unit);
        const logStd = Math.min(Math.max(out[2 + d]!, -20), 2);
        logp += normalLogPdf(u, out[d]!, logStd) - Math.log(half) - logOneMinusTanh2(u);
      });
      // float32 atanh near the edge is good to about 1e-3 in u
      expect(got[i]).toBeCloseTo(logp, i === 0 ? 4 : 1);
      expect(Number.isFinite(got[i])).toBe(true);
    });
    net.dispose();
  });

  it('GaussianActor: N(squash(mu), exp(logStd)^2) in the action space, no change of variables', () => {
    const box = new Box(-2, 2, [1]);
    const net = new Mlp({ inputDim: 2, hiddenSizes: [3], outputDim: 1 }, new Rng(0));
    const w = setFixedWeights(net, 2);
    const logStd = tf.variable(tf.tensor1d([Math.log(0.3)]));
    const actor = new GaussianActor(net, logStd, box);
    const obs = [
      [0.3, -0.2],
      [1.5, 0.7],
    ];
    const actions = [1.9, -2]; // one on the box edge: still finite
    const got = Array.from(actor.logProb(tf.tensor2d(obs), tf.tensor2d(actions, [2, 1])).dataSync());
    obs.forEach((s, i) => {
      const mu = 2 * Math.tanh(forward64(w, s)[0]!);
      expect(got[i]).toBeCloseTo(normalLogPdf(actions[i]!, mu, Math.log(0.3)), 4);
    });
    expect(HALF_LOG_2PI).toBeCloseTo(0.9189385, 6);
    net.dispose();
    logStd.dispose();
  });
});

describe('SAC update', () => {
  function makeSac(config: Record<string, unknown> = {}) {
    const sac = new SAC({ observationSpace: OBS, actionSpace: ACTIONS, seed: 5, config: { hiddenSizes: [3], initialAlpha: 0.5, tau: 0.1, ...config } });
    const actor = setFixedWeights(sac.actor.net, 1);
    const critics = sac.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
    const targets = sac.critics.targets.map((t, j) => setFixedWeights(t, 20 + j));
    return { sac, actor, critics, targets };
  }

  it('critic loss: y = r + gamma (1 - d) (min Qtarget(s\', a\') - alpha log pi(a\'|s\')); actor, alpha and Polyak steps', () => {
    const { sac, actor, critics, targets } = makeSac();
    const batch = tinyBatch();
    const rng = new Rng(sac.save().rng); // the learner's noise stream, replayed
    const alpha = 0.5;
    const data = rows(batch);
    const ys = data.map(({ r, sNext, d }) => {
      const { a, logp } = tanhGaussian64(actor, sNext, rng.normal());
      const qNext = Math.min(q64(targets[0]!, sNext, [a]), q64(targets[1]!, sNext, [a]));
      return r + 0.99 * (1 - d) * (qNext - alpha * logp);
    });
    const criticLoss = [0, 1]
      .map((j) => mean(data.map(({ s, a }, i) => (q64(critics[j]!, s, a) - ys[i]!) ** 2)))
      .reduce((x, y) => x + y);
    const actorNoise = data.map(() => rng.normal());

    const metrics = sac.update(batch);
    expect(metrics.criticLoss).toBeCloseTo(criticLoss, 4);
    expect(metrics.qMean).toBeCloseTo(mean(data.map(({ s, a }) => q64(critics[0]!, s, a))), 5);
    expect(metrics.targetMean).toBeCloseTo(mean(ys), 5);

    // Actor: mean(alpha log pi(a~|s) - min_j Q_j(s, a~)) with the critics as the critic step left them.
    const after = sac.critics.members.map(readWeights);
    const samples = data.map(({ s }, i) => tanhGaussian64(actor, s, actorNoise[i]!));
    const actorLoss = mean(data.map(({ s }, i) => alpha * samples[i]!.logp - Math.min(q64(after[0]!, s, [samples[i]!.a]), q64(after[1]!, s, [samples[i]!.a]))));
    expect(metrics.actorLoss).toBeCloseTo(actorLoss, 4);
    const meanLogp = mean(samples.map((x) => x.logp));
    expect(metrics.entropy).toBeCloseTo(-meanLogp, 4);
    expect(metrics.alpha).toBeCloseTo(0.5, 6);

    // Temperature: J = -log alpha (mean log pi - |A|); Adam's first step moves log alpha by lr against the gradient's sign.
    expect(metrics.alphaLoss).toBeCloseTo(-Math.log(0.5) * (meanLogp - 1), 4);
    const gradSign = Math.sign(-(meanLogp - 1));
    expect(sac.logAlpha.dataSync()[0]).toBeCloseTo(Math.log(0.5) - 3e-4 * gradSign, 6);

    // Polyak: target <- 0.1 * critic + 0.9 * target.
    sac.critics.targets.forEach((t, j) => {
      const got = readWeights(t);
      got.weights.forEach((w, l) =>
        w.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(0.1 * after[j]!.weights[l]![i]![k]! + 0.9 * targets[j]!.weights[l]![i]![k]!, 6))),
      );
      got.biases.forEach((b, l) => b.forEach((v, k) => expect(v).toBeCloseTo(0.1 * after[j]!.biases[l]![k]! + 0.9 * targets[j]!.biases[l]![k]!, 6)));
    });
    sac.dispose();
  });

  it('keeps alpha fixed when learnAlpha is false', () => {
    const { sac } = makeSac({ learnAlpha: false });
    const metrics = sac.update(tinyBatch());
    expect(metrics.alphaLoss).toBeUndefined();
    expect(sac.alpha).toBeCloseTo(0.5, 6);
    expect(sac.save().optimizers.alpha).toBeUndefined();
    sac.dispose();
  });

  it('hands the regularizers phi(s,a) and phi(s\',a\') of the first critic, a\' the backup sample, and adds their penalty', () => {
    const seen: { phi: number[][]; phiNext: number[][]; step: number }[] = [];
    const regularizer = {
      name: 'dot',
      penalty: (ctx: { phi: tf.Tensor2D; phiNext: tf.Tensor2D; step: number }) => {
        seen.push({ phi: ctx.phi.arraySync(), phiNext: ctx.phiNext.arraySync(), step: ctx.step });
        return tf.mul(0.5, tf.mean(tf.sum(tf.mul(ctx.phi, ctx.phiNext), 1))) as tf.Scalar;
      },
    };
    const probed: number[] = [];
    const featureProbe = { due: (u: number) => u % 2 === 0, measure: (phi: tf.Tensor2D) => (probed.push(phi.shape[0]), { probeRows: phi.shape[0] }) };
    const plain = makeSac();
    const withReg = new SAC({ observationSpace: OBS, actionSpace: ACTIONS, seed: 5, config: { hiddenSizes: [3], initialAlpha: 0.5, tau: 0.1 }, regularizers: [regularizer], featureProbe });
    const actor = setFixedWeights(withReg.actor.net, 1);
    const critics = withReg.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
    withReg.critics.targets.forEach((t, j) => setFixedWeights(t, 20 + j));
    const batch = tinyBatch();
    const rng = new Rng(withReg.save().rng);
    const data = rows(batch);
    const phi = data.map(({ s, a }) => forward64({ weights: critics[0]!.weights.slice(0, 1), biases: critics[0]!.biases.slice(0, 1) }, [...s, ...a]).map((x) => Math.max(0, x)));
    const phiNext = data.map(({ sNext }) => {
      const { a } = tanhGaussian64(actor, sNext, rng.normal());
      return forward64({ weights: critics[0]!.weights.slice(0, 1), biases: critics[0]!.biases.slice(0, 1) }, [...sNext, a]).map((x) => Math.max(0, x));
    });
    const penalty = 0.5 * mean(phi.map((p, i) => p.reduce((s, x, k) => s + x * phiNext[i]![k]!, 0)));
    const base = plain.sac.update(batch);
    const regularized = withReg.update(batch);
    expect(seen).toHaveLength(1);
    seen[0]!.phi.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(phi[i]![k]!, 5)));
    seen[0]!.phiNext.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(phiNext[i]![k]!, 5)));
    expect(penalty).not.toBe(0);
    expect(regularized['reg/dot']).toBeCloseTo(penalty, 5);
    expect(regularized.criticLoss).toBeCloseTo(base.criticLoss! + penalty, 4);
    expect(regularized.probeRows).toBe(3);
    withReg.update(batch); // update 1: probe not due
    expect(probed).toEqual([3]);
    plain.sac.dispose();
    withReg.dispose();
  });
});

describe('SAC learner', () => {
  const make = (seed = 0) => createLearner('sac', { observationSpace: OBS, actionSpace: ACTIONS, seed, config: { hiddenSizes: [8, 8] } }) as SAC;
  const batches = () => {
    const rng = new Rng(9);
    return Array.from({ length: 4 }, () => {
      const b = tinyBatch();
      for (let i = 0; i < b.actions.length; i++) b.actions[i] = rng.uniformRange(-2, 2);
      return b;
    });
  };

  it('is deterministic for a seed, round-trips through a snapshot and does not leak tensors', () => {
    const a = make(1);
    const b = make(1);
    for (const batch of batches()) expect(b.update(batch)).toEqual(a.update(batch));
    expect(JSON.stringify(b.save().weights)).toBe(JSON.stringify(a.save().weights));
    const other = make(2);
    expect(JSON.stringify(other.save().weights)).not.toBe(JSON.stringify(a.save().weights));

    const restored = learnerFromSnapshot(JSON.parse(JSON.stringify(a.save()))) as SAC;
    expect(restored.updates).toBe(4);
    const next = tinyBatch();
    const count = tf.memory().numTensors;
    expect(restored.update(next)).toEqual(a.update(next));
    expect(tf.memory().numTensors).toBe(count);
    const obs = new Float32Array([0.3, -0.4]);
    expect(restored.act(obs, { deterministic: false })).toEqual(a.act(obs, { deterministic: false }));
    const action = a.act(obs) as Float32Array;
    expect(action).toBeInstanceOf(Float32Array);
    expect(ACTIONS.contains(action)).toBe(true);
    for (const l of [a, b, other, restored]) l.dispose();
  });

  it('validates its config and spaces', () => {
    expect(() => createLearner('sac', { observationSpace: OBS, actionSpace: ACTIONS, config: { tau: 0 } })).toThrow('SAC config: "tau" must be greater than 0, got 0');
    expect(() => createLearnerByName('sac', { observationSpace: OBS, actionSpace: ACTIONS, config: { gama: 0.9 } })).toThrow(/unknown field "gama" \(did you mean "gamma"\?\)/);
    expect(() => createLearner('sac', { observationSpace: OBS, actionSpace: { kind: 'discrete', n: 2, start: 0 } })).toThrow('sac supports Box action spaces, got Discrete(2)');
  });
});
