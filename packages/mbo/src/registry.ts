/** The built-in design tasks by id. */
import { UsageError } from '@bellman/core';
import type { DesignTask } from './task.js';
import { makeToyContinuous, makeToyDiscrete } from './toy.js';
import { CONTROLLER_TASK_IDS, makeControllerTask } from './controller.js';

export interface DesignTaskOptions {
  /** The generation seed, for tasks whose designs are drawn at random (default 0). */
  seed?: number;
}

const TASKS: Readonly<Record<string, (options: DesignTaskOptions) => DesignTask>> = {
  'toy-continuous-v0': (options) => makeToyContinuous(options.seed ?? 0),
  'toy-discrete-v0': () => makeToyDiscrete(),
  ...Object.fromEntries(CONTROLLER_TASK_IDS.map((id) => [id, (options: DesignTaskOptions) => makeControllerTask(id, { seed: options.seed ?? 0 })])),
};

/** The ids `makeDesignTask` knows. */
export const DESIGN_TASK_IDS: readonly string[] = Object.keys(TASKS);

/** A built-in task by id; an unknown id is a `UsageError` that lists the known ones. */
export function makeDesignTask(id: string, options: DesignTaskOptions = {}): DesignTask {
  const make = TASKS[id];
  if (!make) throw new UsageError(`unknown design task "${id}"; known: ${DESIGN_TASK_IDS.join(', ')}`, { task: id, known: DESIGN_TASK_IDS });
  return make(options);
}
