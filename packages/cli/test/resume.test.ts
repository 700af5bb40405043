// Runs that survive a crash: kill -9 at any moment, Ctrl-C / SIGTERM, then `--resume` ends where
// an uninterrupted run ends; a rejected --resume changes nothing. The kill and signal tests run the
// built command (dist/bin.js) in a child process, as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRecipe } from '@bellman/datasets';
import { writeMinari } from '@bellman/datasets/node';
import { lines, runCli, tempDir } from './helpers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

let dir: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (npx nx run @bellman/cli:build)`);
  dir = tempDir();
  await writeMinari(join(dir, 'small.h5'), makeRecipe('cartpole-mixed-v0', { minTransitions: 1500 }), { datasetId: 'small', envId: 'CartPole-v1' });
});

const offlineArgs = (out: string, extra: string[] = []) => [
  'train', 'bc', '--env', 'CartPole-v1', '--dataset', 'small.h5', '--steps', '1500', '--seed', '3', '--eval-every', '500',
  '--eval-episodes', '1', '--batch-size', '32', '--config', '{"hiddenSizes":[16]}', '--checkpoint-every', '100', '--backend', 'cpu', '--out', out, ...extra,
];
const onlineArgs = (out: string, extra: string[] = []) => [
  'train', 'dqn', '--online', '--env', 'CartPole-v1', '--steps', '1500', '--seed', '5', '--warmup-steps', '200', '--batch-size', '32',
  '--eval-every', '500', '--eval-episodes', '1', '--config', '{"hiddenSizes":[16],"epsilonDecaySteps":800}', '--checkpoint-every', '150', '--backend', 'cpu', '--out', out, ...extra,
];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr as they arrived. */
  output: string;
}

/** Start the built CLI; once `when(runDir)` holds, send `signal`. Resolves at its exit. */
function runAndSignal(args: string[], runDir: string, signal: NodeJS.Signals, when: () => boolean): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (s: string) => (output += s));
    }
    let sent = false;
    const timer = setInterval(() => {
      if (!sent && when()) {
        sent = true;
        child.kill(signal);
      }
    }, 20);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearInterval(timer);
      resolve({ code, signal: sig, output });
    });
  });
}

function runToEnd(args: string[]): { code: number | null; stderr: string } {
  const res = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: res.status, stderr: res.stderr };
}

/** The step of the checkpoint in `runDir`, or -1. */
function checkpointStep(runDir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dir, runDir, 'checkpoint.json'), 'utf8')) as { meta: { step: number } }).meta.step;
  } catch {
    return -1;
  }
}

/** A checkpoint file without what legitimately differs between sessions: its time stamp and the wall time. */
function comparable(path: string): unknown {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { createdAt?: string; payload: { state: { wallSeconds?: number } } };
  delete file.createdAt;
  delete file.payload.state.wallSeconds;
  return file;
}

function expectSameRun(reference: string, resumed: string): void {
  for (const name of ['checkpoint.json', 'best-checkpoint.json']) expect(comparable(join(dir, resumed, name))).toEqual(comparable(join(dir, reference, name)));
  for (const name of ['metrics.jsonl', 'metrics.csv']) expect(readFileSync(join(dir, resumed, name), 'utf8')).toBe(readFileSync(join(dir, reference, name), 'utf8'));
}

describe('kill -9, then the same command with --resume', () => {
  it('offline: ends with the checkpoint and metrics of an uninterrupted run', async () => {
    expect(runToEnd(offlineArgs('off-ref')).code).toBe(0);
    // killed between two checkpoints, past the first evaluation
    const killed = await runAndSignal(offlineArgs('off-kill'), 'off-kill', 'SIGKILL', () => checkpointStep('off-kill') >= 600);
    expect(killed.signal).toBe('SIGKILL');
    const step = checkpointStep('off-kill');
    expect(step).toBeGreaterThanOrEqual(600);
    expect(step).toBeLessThan(1500);
    const resumed = runToEnd(offlineArgs('off-kill', ['--resume']));
    expect(resumed.code).toBe(0);
    expectSameRun('off-ref', 'off-kill');
  });

  it('online: the replay buffer and the episode in progress are restored too', async () => {
    expect(runToEnd(onlineArgs('on-ref')).code).toBe(0);
    const killed = await runAndSignal(onlineArgs('on-kill'), 'on-kill', 'SIGKILL', () => checkpointStep('on-kill') >= 450);
    expect(killed.signal).toBe('SIGKILL');
    expect(checkpointStep('on-kill')).toBeLessThan(1500);
    expect(runToEnd(onlineArgs('on-kill', ['--resume'])).code).toBe(0);
    expectSameRun('on-ref', 'on-kill');
  });
});

describe('SIGINT and SIGTERM', () => {
  it('SIGINT: finishes the step, writes a checkpoint, prints the resume command and exits 130', async () => {
    const res = await runAndSignal(offlineArgs('off-int'), 'off-int', 'SIGINT', () => checkpointStep('off-int') >= 200);
    expect(res.code).toBe(130);
    const stopped = lines(res.output).filter((l) => l.startsWith('stopped at step'));
    expect(stopped).toHaveLength(1);
    const step = checkpointStep('off-int');
    expect(stopped[0]).toBe(
      `stopped at step ${step} of 1500; checkpoint written to ${join(dir, 'off-int', 'checkpoint.json')}. Resume with: bellman train bc --env CartPole-v1 --dataset small.h5 --steps 1500 --seed 3 --eval-every 500 --eval-episodes 1 --batch-size 32 --config '{"hiddenSizes":[16]}' --checkpoint-every 100 --backend cpu --out off-int --resume`,
    );
    expect(res.output).not.toMatch(/\n\s+at /);
    expect(runToEnd(offlineArgs('off-int', ['--resume'])).code).toBe(0);
    expectSameRun('off-ref', 'off-int');
  });

  it('SIGTERM exits 143 with a resumable checkpoint', async () => {
    const res = await runAndSignal(onlineArgs('on-term'), 'on-term', 'SIGTERM', () => checkpointStep('on-term') >= 150);
    expect(res.code).toBe(143);
    expect(res.output).toMatch(/^terminated: finishing the current step and writing a checkpoint/m);
    expect(runToEnd(onlineArgs('on-term', ['--resume'])).code).toBe(0);
    expectSameRun('on-ref', 'on-term');
  });
});

/** Every file of a folder with its bytes and modification time, to show that nothing changed. */
function snapshot(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(runDir)) out[name] = `${statSync(join(runDir, name)).mtimeMs}:${readFileSync(join(runDir, name), 'utf8').length}`;
  return out;
}

describe('a rejected --resume leaves the run folder untouched', () => {
  const cases: [string, string[], RegExp][] = [
    ['another algorithm', ['train', 'cql-discrete', '--env', 'CartPole-v1', '--dataset', 'small.h5', '--steps', '2000', '--seed', '3', '--batch-size', '32', '--out', 'off-ref', '--resume'],
      /^bellman: error: --resume: the run in .*off-ref was trained with algorithm bc, not cql-discrete .*; resume it with `bellman train bc` or use another --out for a new run$/],
    ['another seed', offlineArgs('off-ref', ['--seed', '4', '--steps', '2000', '--resume']), /^bellman: error: --resume: the run in .*off-ref was trained with --seed 3, not 4 /],
    ['another env', ['train', 'bc', '--env', 'Acrobot-v1', '--dataset', 'small.h5', '--steps', '2000', '--seed', '3', '--out', 'off-ref', '--resume'], /was trained with --env CartPole-v1, not Acrobot-v1/],
    ['online into an offline run', ['train', 'bc', '--online', '--env', 'CartPole-v1', '--steps', '2000', '--seed', '3', '--batch-size', '32', '--out', 'off-ref', '--resume'], /was trained with the trainer offline, not online .*resume it without --online/],
    ['another batch size', offlineArgs('off-ref', ['--batch-size', '64', '--steps', '2000', '--resume']), /was trained with --batch-size 32, not 64/],
    ['a finished run', offlineArgs('off-ref', ['--resume']), /^bellman: error: --resume: the run in .*off-ref already finished its 1500 steps; nothing to resume \(pass a larger --steps to train it further\)$/],
    ['fewer steps than done', offlineArgs('off-ref', ['--steps', '300', '--resume']), /^bellman: error: --resume: --steps 300 is lower than the 1500 steps the run in .*off-ref has already done$/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const before = snapshot(join(dir, 'off-ref'));
      const res = await runCli(args, { cwd: dir });
      expect(res.code).toBe(2);
      expect(lines(res.stderr)).toEqual([expect.stringMatching(message)]);
      expect(snapshot(join(dir, 'off-ref'))).toEqual(before);
    });
  }

  it('no run there at all', async () => {
    const res = await runCli(offlineArgs('nothing-here', ['--resume']), { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toEqual([`bellman: error: --resume: no checkpoint at ${join(dir, 'nothing-here', 'checkpoint.json')}`]);
    expect(existsSync(join(dir, 'nothing-here'))).toBe(false);
  });
});

describe('what a killed write leaves behind', () => {
  const shortArgs = (out: string, steps: number, extra: string[] = []) => [
    'train', 'bc', '--env', 'CartPole-v1', '--dataset', 'small.h5', '--steps', String(steps), '--seed', '1', '--eval-every', '20',
    '--eval-episodes', '1', '--batch-size', '16', '--config', '{"hiddenSizes":[8]}', '--backend', 'cpu', '--out', out, ...extra,
  ];

  it('a torn last line of metrics.jsonl is cut off with a notice, and stray temp files are removed', async () => {
    // two runs of 40 steps, extended to 60: one as it was left, one with the debris of a kill
    for (const out of ['torn-ref', 'torn']) expect((await runCli(shortArgs(out, 40), { cwd: dir })).code).toBe(0);
    expect((await runCli(shortArgs('torn-ref', 60, ['--resume']), { cwd: dir })).code).toBe(0);
    const runDir = join(dir, 'torn');
    // a row of a later step, half-written, and the temp file of an interrupted atomic write
    writeFileSync(join(runDir, 'metrics.jsonl'), `${readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')}{"step":41,"loss":0.6`);
    writeFileSync(join(runDir, '.checkpoint.json.tmp-12345-1700000000000'), '{"format":"bellman-chec');
    const res = await runCli(shortArgs('torn', 60, ['--resume']), { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`${join(runDir, 'metrics.jsonl')}: cut off a half-written last line (the run was stopped while writing it)`);
    expect(res.stderr).toContain(`removed 1 temporary file left in ${runDir} by an interrupted write`);
    expect(readdirSync(runDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'torn-ref', 'metrics.jsonl'), 'utf8'));
    expect(readFileSync(join(runDir, 'metrics.csv'), 'utf8')).toBe(readFileSync(join(dir, 'torn-ref', 'metrics.csv'), 'utf8'));
  });

  it('a run killed before its first checkpoint starts again from step 0 on --resume', async () => {
    const runDir = join(dir, 'early');
    expect((await runCli(shortArgs('early', 10), { cwd: dir })).code).toBe(0);
    expect((await runCli(shortArgs('early-ref', 60), { cwd: dir })).code).toBe(0);
    // what a kill before the first checkpoint leaves: config.json and a few metrics rows
    for (const name of ['checkpoint.json', 'best-checkpoint.json']) rmSync(join(runDir, name));
    const res = await runCli(shortArgs('early', 60, ['--resume']), { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`--resume: ${runDir} has no checkpoint yet (the run stopped before its first one); starting from step 0`);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'early-ref', 'metrics.jsonl'), 'utf8'));
  });
});

describe('usage errors before anything is written', () => {
  it('--online with a replay buffer too small for the first update', async () => {
    const res = await runCli(['train', 'dqn', '--online', '--env', 'CartPole-v1', '--steps', '20', '--out', 'tiny', '--backend', 'cpu'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toEqual([
      'bellman: error: the replay buffer (min(--steps, 1e6) = 20) cannot hold the 1000 transitions the warm-up (default 1000) needs before the first update: raise --steps or --buffer-size, or lower --warmup-steps and --batch-size',
    ]);
    expect(existsSync(join(dir, 'tiny'))).toBe(false);
  });

  it('--out naming a file', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const res = await runCli(offlineArgs('a-file'), { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toEqual(['bellman: error: --out a-file is a file, not a directory']);
  });
});

describe('divergence', () => {
  const dqnArgs = (config: string, out: string) => [
    'train', 'dqn', '--env', 'CartPole-v1', '--dataset', 'small.h5', '--steps', '300', '--seed', '0', '--eval-every', '0', '--eval-episodes', '1',
    '--batch-size', '32', '--config', config, '--backend', 'cpu', '--out', out,
  ];

  it('warns once when mean Q runs past 10x the largest possible discounted return', async () => {
    const res = await runCli(dqnArgs('{"hiddenSizes":[64,64],"learningRate":10}', 'runaway'), { cwd: dir });
    expect(res.code).toBe(0);
    const warnings = lines(res.stderr).filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: dqn may be diverging: mean Q is [\d.e+]+ at step \d+, more than 10x the largest possible discounted return max\|r\|\/\(1-gamma\) = 100 \(max\|r\| 1\.00, gamma 0\.99\); try a lower learning rate$/),
    ]);
  });

  it('a NaN loss stops the run with its step, keeping the rows logged before it', async () => {
    // a previous run in the same folder: its checkpoint must not be offered as this run's
    expect((await runCli(dqnArgs('{"hiddenSizes":[16]}', 'nan'), { cwd: dir })).code).toBe(0);
    const res = await runCli(dqnArgs('{"hiddenSizes":[16],"learningRate":1e30}', 'nan'), { cwd: dir });
    expect(res.code).toBe(1);
    expect(lines(res.stderr).filter((l) => l.startsWith('bellman: error:'))).toEqual([
      `bellman: error: dqn diverged at step 2: metric "loss" is NaN; metrics up to step 1 are in ${join(dir, 'nan', 'metrics.jsonl')}; try a lower learning rate (--config '{"learningRate": ...}')`,
    ]);
    const rows = readFileSync(join(dir, 'nan', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows.map((r) => r.step)).toEqual([1]);
    expect(Number.isFinite(rows[0]!.loss)).toBe(true);
    expect(readFileSync(join(dir, 'nan', 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(dir, 'nan', 'checkpoint.json'))).toBe(false);
  });
});
