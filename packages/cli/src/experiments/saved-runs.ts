/**
 * An experiment's finished runs as files, `<dir>/<id>.json` holding `{ key, run }`: a run is
 * reused only by an invocation whose settings key is the same, so a long grid that stops goes on
 * where it was, and processes (or machines) sharing the folder can split its seeds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bellman/core/node';
import type { ExperimentStore } from '@bellman/training';

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
