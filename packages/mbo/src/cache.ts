/**
 * Built-in design tasks cached on disk as design-task HDF5 files, as @bellman/datasets caches its
 * recipes: the first load generates the dataset and writes it under the data directory, later
 * loads read it (the controller tasks take seconds of CMA-ES to generate, a read takes
 * milliseconds). The file name carries the task, the seed and the generation version.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '@bellman/datasets/node';
import { loadDesignTask, writeDesignDataset } from './hdf5.js';
import { DESIGN_TASK_VERSION, makeDesignTask } from './registry.js';
import type { DesignTask } from './task.js';

export interface LoadDesignTaskOptions {
  /** The generation seed (default 0). */
  seed?: number;
  /** Where cached files live (default $BELLMAN_DATA_DIR or ~/.bellman/datasets). */
  dataDir?: string;
}

/** The file `loadDesignTaskCached` reads and writes for a task. */
export function designTaskCachePath(id: string, options: LoadDesignTaskOptions = {}): string {
  return join(options.dataDir ?? defaultDataDir(), 'design-tasks', `${id}-seed${options.seed ?? 0}-v${DESIGN_TASK_VERSION}.h5`);
}

/** A built-in task, read from its cached file, or generated and cached (an unknown id is a `UsageError`). */
export async function loadDesignTaskCached(id: string, options: LoadDesignTaskOptions = {}): Promise<{ task: DesignTask; path: string; cached: boolean }> {
  const path = designTaskCachePath(id, options);
  if (existsSync(path)) return { task: await loadDesignTask(path), path, cached: true };
  const task = makeDesignTask(id, { seed: options.seed ?? 0 });
  await writeDesignDataset(path, task);
  return { task, path, cached: false };
}
