import { ConfigError, Rng, UsageError } from '@bellman/core';
import { deserializeTensor, initBackend } from '@bellman/nn';
import { sampleBeta, vice, type PolicyDensity } from '../src/index.js';
import { batchOf, separable } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const softplus = (x: number) => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);

describe('VICE', () => {
  it("reports the binary cross-entropy of its logits before the step: positives softplus(-f), negatives softplus(f)", () => {
    const { positives, negatives } = separable(8, 8);
    const model = vice({ observationDim: 2, seed: 3, config: { hiddenSizes: [16] } });
    const fPositive = model.rewards(positives);
    const fNegative = model.rewards(negatives);
    const expected = (fPositive.reduce((s, f) => s + softplus(-f), 0) + fNegative.reduce((s, f) => s + softplus(f), 0)) / 16;
    expect(model.update(positives, negatives).classifier_loss).toBeCloseTo(expected, 5);
    model.dispose();
  });

  it('learns to tell the examples from the visited states; log-p and p are the logit through log sigmoid and sigmoid', () => {
    const { positives, negatives } = separable(64, 64);
    const forms = (['logit', 'log-p', 'p'] as const).map((reward) => vice({ observationDim: 2, seed: 1, config: { reward, hiddenSizes: [32, 32], learningRate: 3e-3 } }));
    for (let i = 0; i < 40; i++) for (const m of forms) m.update(positives, negatives);
    const probe = batchOf(Float32Array.from([2, 2, -2, -2]));
    const [logit, logP, p] = forms.map((m) => Array.from(m.rewards(probe))) as [number[], number[], number[]];
    expect(logit[0]).toBeGreaterThan(0);
    expect(logit[1]).toBeLessThan(0);
    for (let i = 0; i < 2; i++) {
      expect(logP[i]).toBeCloseTo(-softplus(-logit[i]!), 5);
      expect(p[i]).toBeCloseTo(1 / (1 + Math.exp(-logit[i]!)), 5);
    }
    for (const m of forms) m.dispose();
  });

  it('weight decay pulls the weights towards zero', () => {
    const { positives, negatives } = separable(16, 16);
    const squaredNorm = (m: ReturnType<typeof vice>) =>
      Object.values(m.save().weights).reduce((s, w) => s + (deserializeTensor(w).dataSync() as Float32Array).reduce((t, x) => t + x * x, 0), 0);
    const models = [0, 0.5].map((weightDecay) => vice({ observationDim: 2, seed: 2, config: { hiddenSizes: [8], weightDecay, learningRate: 1e-2 } }));
    const start = squaredNorm(models[0]!);
    for (let i = 0; i < 50; i++) for (const m of models) m.update(positives, negatives);
    const [plain, decayed] = models.map(squaredNorm);
    expect(decayed).toBeLessThan(0.9 * start);
    expect(decayed).toBeLessThan(0.9 * plain!);
    for (const m of models) m.dispose();
  });

  it('policy-aware: the logit is f(s) - log pi(a|s), and it needs actions', () => {
    const logPi = -1.25;
    const policy: PolicyDensity = {
      actionDim: 1,
      logProb: (_o, _a, n) => new Float32Array(n).fill(logPi),
      sample: (_o, n) => new Float32Array(n),
    };
    const aware = vice({ observationDim: 2, seed: 7, policy, config: { hiddenSizes: [8] } });
    const plain = vice({ observationDim: 2, seed: 7, config: { hiddenSizes: [8] } });
    expect(aware.inputs).toBe('observation-action');
    const observations = Float32Array.from([0.3, -0.2, 1, 2]);
    const withActions = { ...batchOf(observations), actionDim: 1, actions: Float32Array.from([0.1, -0.4]) };
    const f = plain.rewards(batchOf(observations));
    const g = aware.rewards(withActions);
    for (let i = 0; i < 2; i++) expect(g[i]).toBeCloseTo(f[i]! - logPi, 5);
    expect(() => aware.rewards(batchOf(observations))).toThrow(UsageError);
    expect(() => vice({ observationDim: 2, policy, config: { mixupAlpha: 0.2 } })).toThrow(ConfigError);
    for (const m of [aware, plain]) m.dispose();
  });

  it('mixup draws lambda ~ Beta(alpha, alpha): mean 1/2, variance 1 / (4 (2 alpha + 1))', () => {
    const rng = new Rng(11);
    for (const alpha of [0.2, 1, 4]) {
      const draws = Array.from({ length: 20000 }, () => sampleBeta(alpha, alpha, rng));
      const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
      const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(variance - 1 / (4 * (2 * alpha + 1)))).toBeLessThan(0.006);
    }
    const { positives, negatives } = separable(16, 16);
    const mixed = vice({ observationDim: 2, seed: 1, config: { mixupAlpha: 0.5, hiddenSizes: [8] } });
    expect(Number.isFinite(mixed.update(positives, negatives).classifier_loss)).toBe(true);
    mixed.dispose();
  });

  it('rejects a batch of the wrong width and a snapshot of another kind', () => {
    const model = vice({ observationDim: 2, config: { hiddenSizes: [4] } });
    expect(() => model.rewards({ size: 1, observationDim: 3, observations: new Float32Array(3) })).toThrow('vice: observations have 3 dimensions, the model 2');
    expect(() => model.load({ ...model.save(), kind: 'meta-nml' })).toThrow('vice: cannot load a snapshot of a "meta-nml" reward model');
    model.dispose();
  });
});
