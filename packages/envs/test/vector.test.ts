import { Box, Discrete } from '@bellman/core';
import type { Action, Env, ResetOptions, StepResult } from '@bellman/core';
import { make, SyncVectorEnv, RecordEpisodeStatistics } from '../src/index.js';

/** Steps n independent envs the way SyncVectorEnv documents it (same-step autoreset). */
function referenceRollout(id: string, n: number, seed: number, steps: number, actionsAt: (t: number, i: number) => Action, maxSteps?: number) {
  const envs = Array.from({ length: n }, () => make(id, maxSteps === undefined ? {} : { maxEpisodeSteps: maxSteps }));
  const obs = envs.map((e, i) => e.reset({ seed: seed + i }).observation);
  const rows: { obs: Float32Array[]; rewards: number[]; term: number[]; trunc: number[]; finals: (Float32Array | undefined)[] }[] = [];
  for (let t = 0; t < steps; t++) {
    const row = { obs: [] as Float32Array[], rewards: [] as number[], term: [] as number[], trunc: [] as number[], finals: [] as (Float32Array | undefined)[] };
    envs.forEach((env, i) => {
      const r = env.step(actionsAt(t, i));
      row.rewards.push(r.reward);
      row.term.push(r.terminated ? 1 : 0);
      row.trunc.push(r.truncated ? 1 : 0);
      if (r.terminated || r.truncated) {
        row.finals.push(r.observation);
        obs[i] = env.reset().observation;
      } else {
        row.finals.push(undefined);
        obs[i] = r.observation;
      }
      row.obs.push(obs[i]!);
    });
    rows.push(row);
  }
  return rows;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('SyncVectorEnv', () => {
  it('matches n single envs stepped the same way, autoreset included (discrete, fast path)', () => {
    const n = 4;
    // Even envs alternate (the pole stays up until the limit), odd ones mostly push right (it falls).
    const action = (t: number, i: number) => (i % 2 === 0 ? t % 2 : (t * 7 + i * 3) % 5 < 1 ? 0 : 1);
    const ref = referenceRollout('CartPole-v1', n, 10, 120, action, 25);
    const venv = new SyncVectorEnv(Array.from({ length: n }, () => () => make('CartPole-v1', { maxEpisodeSteps: 25 })));
    const { observations } = venv.reset({ seed: 10 });
    expect(observations).toHaveLength(n * 4);
    let finals = 0;
    for (let t = 0; t < 120; t++) {
      const acts = Int32Array.from({ length: n }, (_, i) => action(t, i) as number);
      const r = venv.step(acts);
      expect(r.observations).toEqual(concat(ref[t]!.obs));
      expect(Array.from(r.rewards)).toEqual(ref[t]!.rewards);
      expect(Array.from(r.terminated)).toEqual(ref[t]!.term);
      expect(Array.from(r.truncated)).toEqual(ref[t]!.trunc);
      expect(r.rewards).toBeInstanceOf(Float64Array);
      expect(r.terminated).toBeInstanceOf(Uint8Array);
      for (let i = 0; i < n; i++) {
        const expected = ref[t]!.finals[i];
        if (expected) {
          finals++;
          expect(r.info.finalObservations![i]).toEqual(expected);
        } else if (r.info.finalObservations) {
          expect(r.info.finalObservations[i]).toBeUndefined();
        }
      }
    }
    // The rollout must actually exercise autoreset, by termination and by truncation.
    expect(finals).toBeGreaterThan(4);
    expect(ref.some((row) => row.trunc.includes(1))).toBe(true);
    expect(ref.some((row) => row.term.includes(1))).toBe(true);
  });

  it('matches single envs for Box actions and for wrapped envs (generic path)', () => {
    const n = 3;
    const action = (t: number, i: number) => Float32Array.of(Math.sin(t * 0.3 + i) * 2.5);
    const ref = referenceRollout('Pendulum-v1', n, 0, 30, action, 12);
    const venv = new SyncVectorEnv(
      Array.from({ length: n }, () => new RecordEpisodeStatistics(make('Pendulum-v1', { maxEpisodeSteps: 12 }))),
      { copy: false },
    );
    venv.reset({ seed: 0 });
    for (let t = 0; t < 30; t++) {
      const acts = new Float32Array(n);
      for (let i = 0; i < n; i++) acts[i] = (action(t, i) as Float32Array)[0]!;
      const r = venv.step(acts);
      expect(r.observations).toEqual(concat(ref[t]!.obs));
      expect(Array.from(r.rewards)).toEqual(ref[t]!.rewards);
      if (ref[t]!.trunc.includes(1)) {
        expect(r.info.finalInfos![0]!.episode).toMatchObject({ length: 12 });
      }
    }
  });

  it('reuses its buffers with copy: false and copies them by default', () => {
    const fast = new SyncVectorEnv([make('Acrobot-v1'), make('Acrobot-v1')], { copy: false });
    fast.reset({ seed: 1 });
    const a = fast.step([0, 2]);
    const b = fast.step([1, 1]);
    expect(a).toBe(b);
    expect(a.observations).toBe(b.observations);
    const copying = new SyncVectorEnv([make('Acrobot-v1'), make('Acrobot-v1')]);
    copying.reset({ seed: 1 });
    const c = copying.step([0, 2]);
    const d = copying.step([1, 1]);
    expect(c.observations).not.toBe(d.observations);
    expect(c.observations).not.toEqual(d.observations);
  });

  it('validates inputs with clear errors', () => {
    const venv = new SyncVectorEnv([() => make('CartPole-v1'), () => make('CartPole-v1')]);
    expect(() => venv.step([0, 1])).toThrow(/call reset\(\) before step\(\)/);
    venv.reset({ seed: 0 });
    expect(() => venv.step([0])).toThrow(/expected 2 action values \(2 envs x 1\), got length 1/);
    expect(() => venv.step([0, 3])).toThrow(/CartPole-v1: action 3 is not in the action space Discrete\(2\)/);
    expect(() => new SyncVectorEnv([make('CartPole-v1'), make('Acrobot-v1')])).toThrow(/env 1 has observation space/);
    expect(() => new SyncVectorEnv([])).toThrow(/non-empty array/);
    const env = make('CartPole-v1');
    expect(() => new SyncVectorEnv([env, env])).toThrow(/same env object appears twice/);
    expect(() => venv.reset({ seed: [1, 2, 3] })).toThrow(/got 3 seeds for 2 envs/);
  });

  it('works with a custom env that is not built in', () => {
    class Counter implements Env<Float32Array, Action> {
      readonly observationSpace = new Box(0, 100, [1]);
      readonly actionSpace = new Discrete(2);
      private count = 0;
      reset(_opts?: ResetOptions) {
        this.count = 0;
        return { observation: Float32Array.of(0), info: {} };
      }
      step(action: Action): StepResult<Float32Array> {
        this.count += action as number;
        return { observation: Float32Array.of(this.count), reward: action as number, terminated: this.count >= 3, truncated: false, info: { count: this.count } };
      }
      getState() {
        return Float64Array.of(this.count);
      }
      render() {
        return '<svg/>';
      }
      close() {}
    }
    const venv = new SyncVectorEnv([new Counter(), new Counter()]);
    venv.reset();
    venv.step([1, 0]);
    venv.step([1, 1]);
    const r = venv.step([1, 1]);
    expect(Array.from(r.terminated)).toEqual([1, 0]);
    expect(Array.from(r.observations)).toEqual([0, 2]);
    expect(Array.from(r.info.finalObservations![0]!)).toEqual([3]);
    expect(r.info.finalInfos![0]).toEqual({ count: 3 });
  });
});
