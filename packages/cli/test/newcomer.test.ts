// What a newcomer meets first (issue #9): pipes closed early, algorithms the command line cannot
// build, learners on the wrong kind of action space, required options, `bellman plot` on a run
// directory, and the progress lines of a training run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reporter, startProgress } from '../src/index.js';
import type { CliIo } from '../src/index.js';
import { ProgressDetail } from '../src/training.js';
import { lines, runCli, tempDir } from './helpers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Run the built CLI with its stdout closed before it writes anything (the reader went away, as `| head -1` does). */
function runWithClosedStdout(args: string[], cwd: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a closed stdout', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (npx nx run @bellman/cli:build)`);
  });

  const dataDir = tempDir();
  const commands: string[][] = [
    ['envs'],
    ['envs', '--json'],
    ['algos'],
    ['dataset', 'list'],
    ['dataset', 'info', 'cartpole-mixed-v0', '--data-dir', dataDir],
    ['train', '--help'],
    ['train', 'dqn', '--online', '--env', 'CartPole-v1', '--steps', '40', '--warmup-steps', '10', '--batch-size', '8', '--eval-episodes', '1', '--config', '{"hiddenSizes":[8]}', '--out', join(dataDir, 'run')],
  ];
  for (const args of commands) {
    it(`ends \`bellman ${args.slice(0, 2).join(' ')}\` quietly with exit code 0`, async () => {
      const res = await runWithClosedStdout(args, dataDir);
      expect(res.stderr).not.toMatch(/EPIPE|Error| {4}at /);
      expect({ code: res.code, signal: res.signal }).toEqual({ code: 0, signal: null });
    }, 60_000);
  }
});

describe('algorithms the command line cannot build', () => {
  it('`bellman algos` marks fqe and fqe-continuous as API only, in the table and in --json', async () => {
    const table = await runCli(['algos']);
    expect(table.code).toBe(0);
    const rows = lines(table.stdout);
    expect(rows.find((l) => l.startsWith('fqe '))).toMatch(/^fqe\s+discrete\s+API only\s/);
    expect(rows.find((l) => l.startsWith('fqe-continuous '))).toMatch(/^fqe-continuous\s+box\s+API only\s/);
    expect(rows.find((l) => l.startsWith('bc '))).toMatch(/^bc\s+discrete, box\s+yes\s/);
    expect(table.stdout).toMatch(/API only: .*evaluationPolicy/);

    const json = JSON.parse((await runCli(['algos', '--json'])).stdout) as { algo: string; apiOnly: boolean; requiredInit: string[] }[];
    expect(json.find((a) => a.algo === 'fqe')).toMatchObject({ apiOnly: true, requiredInit: ['evaluationPolicy'] });
    expect(json.find((a) => a.algo === 'fqe-continuous')).toMatchObject({ apiOnly: true, requiredInit: ['evaluationPolicy'] });
    expect(json.find((a) => a.algo === 'sarsa')).toMatchObject({ apiOnly: false, requiredInit: [] });
  });

  it('`bellman train fqe` is a one-line usage error that says so, before any work', async () => {
    for (const [algo, env] of [
      ['fqe', 'CartPole-v1'],
      ['fqe-continuous', 'Pendulum-v1'],
    ] as const) {
      const dir = tempDir();
      const res = await runCli(['train', algo, '--env', env, '--dataset', 'cartpole-mixed-v0', '--steps', '10', '--data-dir', join(dir, 'data')], { cwd: dir });
      expect(res.code).toBe(2);
      expect(lines(res.stderr)).toHaveLength(1);
      expect(res.stderr).toMatch(new RegExp(`^bellman: error: ${algo} is API only: .*evaluationPolicy.*createLearner`));
      expect(res.stdout).toBe('');
      expect(existsSync(join(dir, 'data'))).toBe(false);
    }
  });
});

describe('a learner on the wrong kind of action space', () => {
  it('`bellman train cql --env CartPole-v1` names cql-discrete', async () => {
    const dir = tempDir();
    const res = await runCli(['train', 'cql', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', '1', '--data-dir', join(dir, 'data')], { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toEqual(['bellman: error: cql supports Box action spaces, got Discrete(2); for Discrete action spaces use cql-discrete']);
  });

  it('`bellman train cql-discrete --env Pendulum-v1` names cql', async () => {
    const dir = tempDir();
    const res = await runCli(['train', 'cql-discrete', '--env', 'Pendulum-v1', '--dataset', 'pendulum-mixed-v0', '--steps', '1', '--data-dir', join(dir, 'data')], { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toHaveLength(1);
    expect(res.stderr).toMatch(/^bellman: error: cql-discrete supports Discrete action spaces, got Box\S*.*; for Box action spaces use cql\n$/);
  });
});

describe('`bellman train --help`', () => {
  it('marks --env and --steps as required, and --dataset as required unless --online', async () => {
    const res = await runCli(['train', '--help']);
    expect(res.code).toBe(0);
    const help = res.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--env <id> environment id \(see `bellman envs`\) \(required\)/);
    expect(help).toMatch(/--steps <n> gradient steps \(offline\) or environment steps \(online\) \(required\)/);
    expect(help).toMatch(/--dataset <recipe\|path> [^-]*\(required unless --online\)/);
    // the others are not marked
    expect(help).toMatch(/--seed <n> seed for the learner, sampling and evaluation \(default: "0"\) --out/);
    expect(help.match(/\(required\)/g)).toHaveLength(2);
  });
});

describe('`bellman plot <run>` with the default --out', () => {
  function writeRun(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const rows: string[] = [];
    for (let step = 10; step <= 100; step += 10) {
      rows.push(JSON.stringify({ step, loss: 1 / step }));
      if (step % 50 === 0) rows.push(JSON.stringify({ step, eval_return_mean: step, eval_return_std: 2 }));
    }
    writeFileSync(join(dir, 'metrics.jsonl'), `${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ algo: 'bc', env: 'CartPole-v1', dataset: 'cartpole-mixed-v0' }));
    // what `bellman train` wrote: its own curves, with a title and the dataset's mean return
    for (const f of ['curve.svg', 'curve.png', 'curve-losses.svg', 'curve-losses.png']) writeFileSync(join(dir, f), `written by bellman train: ${f}`);
  }

  it('leaves the curves `bellman train` wrote alone and writes plot.svg/.png, titled from config.json', async () => {
    const dir = tempDir();
    writeRun(join(dir, 'r1'));
    const res = await runCli(['plot', 'r1'], { cwd: dir });
    expect(res.code).toBe(0);
    const run = join(dir, 'r1');
    expect(lines(res.stdout)).toEqual([`wrote ${join(run, 'plot.svg')}`, `wrote ${join(run, 'plot.png')}`, `wrote ${join(run, 'plot-losses.svg')}`, `wrote ${join(run, 'plot-losses.png')}`]);
    for (const f of ['curve.svg', 'curve.png', 'curve-losses.svg', 'curve-losses.png']) expect(readFileSync(join(run, f), 'utf8')).toBe(`written by bellman train: ${f}`);
    expect(readFileSync(join(run, 'plot.svg'), 'utf8')).toContain('>bc on CartPole-v1</text>');
  });

  it('--out and --title still win, and --help says what the default is', async () => {
    const dir = tempDir();
    writeRun(join(dir, 'r1'));
    const res = await runCli(['plot', 'r1', '--out', 'cmp', '--title', 'mine'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, 'cmp.svg'), 'utf8')).toContain('>mine</text>');
    const help = (await runCli(['plot', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/\(default <first run>\/plot, which leaves the curve\.svg\/\.png of `bellman train` alone; <file>-curve when the first run is a metrics file\)/);
  });
});

describe('progress lines', () => {
  function captureIo(env: Record<string, string> = {}): { io: CliIo; out: () => string } {
    let text = '';
    return { io: { stdout: { write: (s: string) => (text += s), isTTY: false }, stderr: { write: () => true }, env, cwd: '/' }, out: () => text };
  }

  it('print the last line once, with the status it ends with', () => {
    const { io, out } = captureIo();
    let t = 0;
    const progress = startProgress(new Reporter(io), 'bc', 20, { now: () => t });
    for (let i = 1; i <= 20; i++) {
      t += 100;
      progress.update(i, i === 20 ? 'loss 1' : `loss ${i}`);
    }
    // the final evaluation comes after the last update, at the same step
    t += 500;
    progress.update(20, 'loss 1 | eval 9.0 ± 1.0 @ 20');
    progress.stop();
    progress.stop();
    const got = lines(out());
    expect(got.filter((l) => l.startsWith('bc: 20/20'))).toEqual(['bc: 20/20 (100%) 2.5s loss 1 | eval 9.0 ± 1.0 @ 20']);
    expect(got).toHaveLength(10);
  });

  it('show the latest evaluation at the step it was made, and online the latest episode beside it', () => {
    const detail = new ProgressDetail();
    detail.onEvent({ type: 'update', step: 390, totalSteps: 1000, metrics: { loss: 0.1234 } });
    expect(detail.toString()).toBe('loss 0.123');
    detail.onEvent({ type: 'evaluation', step: 400, totalSteps: 1000, evaluation: { step: 400, returnMean: 212.34, returnStd: 10.06, returns: [], lengths: [] } as never });
    detail.onEvent({ type: 'update', step: 410, totalSteps: 1000, metrics: { loss: 0.05 } });
    expect(detail.toString()).toBe('loss 0.0500 | eval 212.3 ± 10.1 @ 400');
    detail.onEvent({ type: 'episode', step: 420, totalSteps: 1000, episodeReturn: 35, episodeLength: 35 });
    expect(detail.toString()).toBe('loss 0.0500 | eval 212.3 ± 10.1 @ 400 | episode return 35.0');
  });

  it('of a CI run: one line per 10%, evaluations with their step, the 100% line once', async () => {
    const dir = tempDir();
    const res = await runCli(
      ['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', '20', '--eval-every', '10', '--eval-episodes', '1', '--config', '{"hiddenSizes":[8]}', '--data-dir', join(dir, 'data')],
      { cwd: dir, env: { CI: 'true' } },
    );
    expect(res.code).toBe(0);
    const progress = lines(res.stdout).filter((l) => l.startsWith('bc CartPole-v1: '));
    expect(progress.filter((l) => l.startsWith('bc CartPole-v1: 20/20 '))).toHaveLength(1);
    expect(progress[progress.length - 1]).toMatch(/^bc CartPole-v1: 20\/20 \(100%\) [\d.]+s loss [\d.]+ \| eval [\d.]+ ± [\d.]+ @ 20$/);
    expect(progress.find((l) => l.startsWith('bc CartPole-v1: 12/20 '))).toMatch(/ \| eval [\d.]+ ± [\d.]+ @ 10$/);
  }, 60_000);
});
