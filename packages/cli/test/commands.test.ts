import { formatTable, parseConfigOption, parseInteger, parseSeeds, Reporter, startProgress, UsageError } from '../src/index.js';
import type { CliIo } from '../src/index.js';
import { lines, runCli } from './helpers.js';

describe('bellman envs', () => {
  it('lists the classic-control envs with their limits and thresholds', async () => {
    const res = await runCli(['envs']);
    expect(res.code).toBe(0);
    const cartpole = lines(res.stdout).find((l) => l.startsWith('CartPole-v1'));
    expect(cartpole).toMatch(/^CartPole-v1\s+Box\[4\]\s+Discrete\(2\)\s+500\s+475$/);
    expect(lines(res.stdout).find((l) => l.startsWith('Pendulum-v1'))).toMatch(/^Pendulum-v1\s+Box\[3\]\s+Box\[1\] in \[-2, 2\]\s+200\s+-$/);
    // the MuJoCo envs of @bellman/envs-mujoco too
    expect(lines(res.stdout).find((l) => l.startsWith('maze2d-large-v1'))).toMatch(/^maze2d-large-v1\s+Box\[4\]\s+Box\[2\] in \[-1, 1\]\s+800\s+-$/);
  });

  it('--json gives the registry rows', async () => {
    const res = await runCli(['envs', '--json']);
    const envs = JSON.parse(res.stdout) as { id: string; maxEpisodeSteps?: number; rewardThreshold?: number }[];
    expect(envs.find((e) => e.id === 'MountainCar-v0')).toMatchObject({ maxEpisodeSteps: 200, rewardThreshold: -110 });
  });
});

describe('bellman algos and dataset list', () => {
  it('lists bc among the algorithms and the cartpole recipes', async () => {
    const algos = await runCli(['algos']);
    expect(lines(algos.stdout).some((l) => /^bc\s+discrete, box\s/.test(l))).toBe(true);
    const recipes = await runCli(['dataset', 'list', '--json']);
    const names = (JSON.parse(recipes.stdout) as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['cartpole-mixed-v0', 'cartpole-random-v0', 'maze2d-umaze-v1', 'maze2d-large-dense-v1']));
  });
});

describe('argument parsing', () => {
  it('accepts integers in plain and exponent form and rejects the rest', () => {
    expect(parseInteger('--steps', '2000')).toBe(2000);
    expect(parseInteger('--steps', '1e3')).toBe(1000);
    expect(parseInteger('--steps', '10_000')).toBe(10000);
    for (const bad of ['1.5', 'abc', '', '0x10', '1e-3']) expect(() => parseInteger('--steps', bad)).toThrow(UsageError);
    expect(() => parseInteger('--steps', '0', { min: 1 })).toThrow('--steps must be at least 1, got 0');
  });

  it('--seeds takes a count, a range or a list, and names what is wrong', () => {
    expect(parseSeeds('--seeds', '3')).toEqual([0, 1, 2]);
    expect(parseSeeds('--seeds', '4-7')).toEqual([4, 5, 6, 7]);
    expect(parseSeeds('--seeds', '1,4,7')).toEqual([1, 4, 7]);
    expect(parseSeeds('--seeds', undefined)).toBeUndefined();
    expect(() => parseSeeds('--seeds', '7-4')).toThrow('--seeds: the range "7-4" ends before it starts');
    expect(() => parseSeeds('--seeds', '1,1')).toThrow('--seeds: "1,1" names a seed twice');
    expect(() => parseSeeds('--seeds', '1,x')).toThrow('--seeds (in "1,x") must be an integer, got "x"');
    expect(() => parseSeeds('--seeds', '0')).toThrow('--seeds must be at least 1, got 0');
  });

  it('--config takes an object, inline or from a file', () => {
    expect(parseConfigOption('{"a": 1}', '/')).toEqual({ a: 1 });
    expect(() => parseConfigOption('[1]', '/')).toThrow(/must be a JSON object/);
    expect(() => parseConfigOption('@/nonexistent/config.json', '/')).toThrow('--config file /nonexistent/config.json does not exist');
  });
});

describe('output', () => {
  function captureIo(isTTY: boolean, env: Record<string, string> = {}): { io: CliIo; out: () => string } {
    let text = '';
    return { io: { stdout: { write: (s: string) => (text += s), isTTY }, stderr: { write: () => true }, env, cwd: '/' }, out: () => text };
  }

  it('plain progress lines every 10% when not on a terminal', () => {
    const { io, out } = captureIo(false);
    let t = 0;
    const progress = startProgress(new Reporter(io), 'bc', 100, { now: () => t });
    for (let i = 1; i <= 100; i++) {
      t += 10;
      progress.update(i, `loss ${i}`);
    }
    progress.stop();
    const got = lines(out());
    expect(got).toHaveLength(10);
    expect(got[0]).toBe('bc: 10/100 (10%) 0.1s loss 10');
    expect(got[9]).toBe('bc: 100/100 (100%) 1.0s loss 100');
  });

  it('the last line once, with the status at the end', () => {
    const { io, out } = captureIo(false);
    const progress = startProgress(new Reporter(io), 'bc', 10, { now: () => 0 });
    progress.update(10, 'eval 500.0');
    progress.update(10, 'eval 491.4');
    progress.stop();
    expect(lines(out())).toEqual(['bc: 10/10 (100%) 0.0s eval 491.4']);
  });

  it('no bar in CI even on a terminal', () => {
    expect(new Reporter(captureIo(true, { CI: 'true' }).io).interactive).toBe(false);
    expect(new Reporter(captureIo(true).io).interactive).toBe(true);
    expect(new Reporter(captureIo(true).io, true).interactive).toBe(false);
  });

  it('tables align columns', () => {
    expect(formatTable(['algo', 'return'], [['bc', '12.5'], ['cql', '100.0']])).toBe('algo  return\n----  ------\nbc      12.5\ncql    100.0');
  });
});
