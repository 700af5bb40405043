/**
 * An experiment's finished runs as files, `<dir>/<id>.json` holding `{ key, run }`: a run is
 * reused only by an invocation whose settings key is the same, so a long grid that stops goes on
 * where it was, and processes (or machines) sharing the folder can split its seeds.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bellman/core/node';
import type { ExperimentStore } from '@bellman/training';
import type { Reporter } from '../io.js';
import { startProgress } from '../progress.js';

/** The run saved at `path`, when its settings key is `key`. */
export function readSavedRun<R>(path: string, key: string): R | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { key?: string; run?: R };
    return saved.key === key ? saved.run : undefined;
  } catch {
    // a file cut short by a kill: the run is trained again and the file rewritten
    return undefined;
  }
}

/** A store of runs under `dir`; `onReuse` hears of each run taken from it. */
export function savedRunsStore<R>(dir: string, onReuse?: (id: string) => void): ExperimentStore<R> {
  return {
    load: (id, key) => {
      const run = readSavedRun<R>(join(dir, `${id}.json`), key);
      if (run !== undefined) onReuse?.(id);
      return run;
    },
    save: (id, key, run) => writeFileAtomic(join(dir, `${id}.json`), `${JSON.stringify({ key, run })}\n`),
  };
}

/**
 * The hooks a resumable experiment grid runs its cells with, for the CLI: a progress bar per cell,
 * a line when one finishes, checkpoints under `<outDir>/checkpoints` (resumed when there, removed
 * when the cell is done) and finished cells saved under `<outDir>/runs` and reused.
 */
export function cellRunHooks<R>(reporter: Reporter, outDir: string, options: { savedOnly: boolean; describe: (run: R) => string }) {
  const runsDir = join(outDir, 'runs');
  const checkpointsDir = join(outDir, 'checkpoints');
  return {
    runsDir,
    startRun: (label: string, total: number) => startProgress(reporter, label, total),
    finishRun: (run: R) => reporter.say(options.describe(run)),
    checkpointPath: (id: string) => {
      mkdirSync(checkpointsDir, { recursive: true });
      return join(checkpointsDir, `${id}.json`);
    },
    hasCheckpoint: (path: string) => {
      const found = existsSync(path);
      if (found) reporter.say(`resuming from ${path}`);
      return found;
    },
    removeCheckpoint: (path: string) => rmSync(path, { force: true }),
    store: savedRunsStore<R>(runsDir, (id) => reporter.say(`reusing ${id} from ${runsDir} (finished earlier with the same settings)`)),
    savedOnly: options.savedOnly,
    skipRun: (id: string) => reporter.say(`no saved run ${id} with these settings: left out (--saved-only)`),
  };
}
