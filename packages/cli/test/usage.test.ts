import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lines, runCli, tempDir } from './helpers.js';

/** A usage error: exit code 2 and exactly one `bellman: error:` line on stderr, nothing on stdout. */
async function expectUsageError(argv: string[], pattern: RegExp, cwd = tempDir()): Promise<string> {
  const res = await runCli(argv, { cwd });
  const errLines = lines(res.stderr);
  expect({ code: res.code, stderrLines: errLines.length }).toEqual({ code: 2, stderrLines: 1 });
  expect(errLines[0]).toMatch(/^bellman: error: /);
  expect(errLines[0]).toMatch(pattern);
  expect(res.stdout).toBe('');
  return errLines[0]!;
}

describe('usage errors exit 2 with one line', () => {
  it('unknown command, with a suggestion', async () => {
    await expectUsageError(['trian'], /unknown command 'trian'.*did you mean train/i);
  });

  it('unknown option', async () => {
    await expectUsageError(['envs', '--colour'], /unknown option '--colour'/);
  });

  it('non-integer --steps', async () => {
    await expectUsageError(['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', '10.5'], /--steps must be an integer, got "10.5"/);
    await expectUsageError(['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', 'many'], /--steps must be an integer, got "many"/);
  });

  it('online-only options without --online, and a bad --update-every', async () => {
    await expectUsageError(
      ['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', '5', '--update-every', '4', '--buffer-size', '100'],
      /--update-every, --buffer-size only apply to --online training/,
    );
    await expectUsageError(['train', 'dqn', '--env', 'CartPole-v1', '--online', '--steps', '5', '--update-every', '0'], /--update-every must be at least 1, got "0"|--update-every.*0/);
  });

  it('missing --steps', async () => {
    await expectUsageError(['train', 'bc', '--env', 'CartPole-v1'], /required option '--steps <n>' not specified/);
  });

  it('unknown algorithm, with suggestions', async () => {
    await expectUsageError(['train', 'bcc', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', '5'], /unknown algorithm "bcc"; did you mean "bc"/);
  });

  it('unknown env id, with suggestions', async () => {
    await expectUsageError(['train', 'bc', '--env', 'CartPole-v0', '--dataset', 'cartpole-mixed-v0', '--steps', '5'], /Unknown environment id "CartPole-v0".*CartPole-v1/);
  });

  it('unknown recipe, with suggestions', async () => {
    await expectUsageError(['dataset', 'info', 'cartpole-mixd-v0'], /"cartpole-mixd-v0" is neither a dataset file nor a recipe; did you mean "cartpole-mixed-v0"/);
  });

  it('missing dataset file', async () => {
    await expectUsageError(['dataset', 'info', 'data/missing.h5'], /dataset file data\/missing.h5 does not exist/);
  });

  it('malformed dataset file names the file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.h5'), 'this is not HDF5');
    const line = await expectUsageError(['dataset', 'info', 'broken.h5'], /broken\.h5/, dir);
    expect(line).not.toMatch(/\n|\bat .*:\d+:\d+/);
  });

  it('invalid --config field names the field', async () => {
    await expectUsageError(
      ['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'cartpole-random-v0', '--steps', '5', '--config', '{"learningrate": 0.1}'],
      /--config: BC config: unknown field "learningrate" \(did you mean "learningRate"\?\)/,
    );
    await expectUsageError(['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'cartpole-random-v0', '--steps', '5', '--config', '{"learningRate": -1}'], /"learningRate" must be greater than 0, got -1/);
    await expectUsageError(['train', 'bc', '--env', 'CartPole-v1', '--dataset', 'x', '--steps', '5', '--config', '{oops'], /--config is not valid JSON/);
  });

  it('missing checkpoint for eval', async () => {
    await expectUsageError(['eval', 'runs/none/checkpoint.json'], /checkpoint runs\/none\/checkpoint.json does not exist/);
  });

  it('a file that is not a checkpoint', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ckpt.json'), '{"hello": 1}');
    await expectUsageError(['eval', 'ckpt.json'], /not a Bellman checkpoint/, dir);
  });

  it('BELLMAN_DEBUG=1 adds the stack', async () => {
    const res = await runCli(['eval', 'nothing.json'], { env: { BELLMAN_DEBUG: '1' } });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)[0]).toBe('bellman: error: checkpoint nothing.json does not exist');
    expect(res.stderr).toMatch(/\n\s+at /);
  });
});

describe('help and version', () => {
  it('--version prints the version and exits 0', async () => {
    const res = await runCli(['--version']);
    expect(res).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('--help lists every command', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const cmd of ['envs', 'algos', 'dataset', 'train', 'eval', 'quickstart', 'plot']) expect(res.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
  });
});
