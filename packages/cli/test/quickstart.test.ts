import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QUICKSTART_ALGOS } from '../src/index.js';
import { lines, runCli, tempDir } from './helpers.js';

describe('bellman quickstart', () => {
  it('compares BC, discrete CQL and IQL', () => {
    expect(QUICKSTART_ALGOS).toEqual(['bc', 'cql-discrete', 'iql']);
  });

  it('trains every algorithm on CartPole (one step each), prints one table row per algorithm and writes checkpoints that eval reads', async () => {
    const dir = tempDir();
    const res = await runCli(['quickstart', '--steps', '1', '--backend', 'cpu', '--out', 'qs', '--data-dir', 'data'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Bellman quickstart: offline RL on CartPole-v1 from the cartpole-mixed-v0 dataset \(bc, cql-discrete, iql; 1 steps each\)$/m);
    const out = lines(res.stdout);
    const header = out.findIndex((l) => /^algo\s+steps\s+eval return/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = out.slice(header + 2, header + 2 + QUICKSTART_ALGOS.length);
    rows.forEach((row, i) => expect(row).toMatch(new RegExp(`^${QUICKSTART_ALGOS[i]}\\s+1\\s+\\d+\\.\\d ± \\d+\\.\\d\\s+\\d+\\.\\d\\s+\\d+\\.\\ds$`)));
    for (const algo of QUICKSTART_ALGOS) expect(existsSync(join(dir, 'qs', algo, 'checkpoint.json'))).toBe(true);

    // IQL on CartPole's Discrete actions is the discrete implementation: its checkpoint loads and acts.
    const evaluated = await runCli(['eval', join('qs', 'iql', 'checkpoint.json'), '--episodes', '2', '--backend', 'cpu', '--json'], { cwd: dir });
    expect(evaluated.code).toBe(0);
    const result = JSON.parse(lines(evaluated.stdout).pop()!) as Record<string, unknown>;
    expect(result).toMatchObject({ algo: 'iql', env: 'CartPole-v1', episodes: 2, updates: 1 });
    expect(result.returnMean as number).toBeGreaterThan(0);
  });
});
