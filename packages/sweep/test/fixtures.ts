import type { CellRunner, CommandSchema, SweepCell } from '../src/index.js';

/** A command like `bellman train`: positional algo, a seed, a few flags. */
export const TRAIN_SCHEMA: CommandSchema = {
  command: 'train',
  positional: ['algo'],
  flags: ['env', 'dataset', 'steps', 'seed', 'eval-episodes', 'online', 'config'],
  jsonFlags: ['config'],
  reserved: { out: 'each cell has its own run folder' },
  seedKey: 'seed',
  defaultMetric: 'evalReturnMean',
  volatileResultKeys: ['wallSeconds'],
};

export const schemaFor = (command: string) => (command === 'train' ? TRAIN_SCHEMA : undefined);

/**
 * A runner whose "training" is arithmetic on the cell's flags, so that results are known by hand:
 * evalReturnMean = 100 * (algo index + 1) + seed, and `--dataset bad` fails.
 */
export function arithmeticRunner(options: { delayMs?: number; onRun?: (cell: SweepCell) => void } = {}): CellRunner & { running: number; maxRunning: number } {
  const runner = {
    running: 0,
    maxRunning: 0,
    async run(cell: SweepCell, _dir: string, signal?: AbortSignal) {
      options.onRun?.(cell);
      runner.running++;
      runner.maxRunning = Math.max(runner.maxRunning, runner.running);
      try {
        await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 5));
        if (signal?.aborted) return { status: 'stopped' as const };
        const flag = (name: string) => cell.args[cell.args.indexOf(`--${name}`) + 1];
        if (flag('dataset') === 'bad') return { status: 'failed' as const, error: 'bellman: error: unknown dataset "bad"', exitCode: 2 };
        const algoIndex = ['bc', 'cql', 'iql'].indexOf(cell.args[1]!);
        const result = { algo: cell.args[1], seed: Number(flag('seed')), evalReturnMean: 100 * (algoIndex + 1) + Number(flag('seed')), wallSeconds: Math.random() };
        return { status: 'done' as const, result, wallSeconds: 0.01, worker: 'test' };
      } finally {
        runner.running--;
      }
    },
  };
  return runner;
}
