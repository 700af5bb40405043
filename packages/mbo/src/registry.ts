/** The built-in design tasks by id. */
import { UsageError } from '@bellman/core';
import type { Designs, DesignSpace, DesignTask } from './task.js';
import { makeToyContinuous, makeToyDiscrete } from './toy.js';
import { CONTROLLER_TASK_IDS, controllerTaskOracle, makeControllerTask } from './controller.js';

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

/**
 * Bumped whenever a built-in task's generation changes, so that a dataset cached on disk under an
 * older version is made again rather than read.
 */
export const DESIGN_TASK_VERSION = 1;

/**
 * A built-in task's design space and oracle without generating its dataset where that costs
 * (the controller tasks: seconds of CMA-ES); the toy tasks are cheap enough to build.
 */
export function designTaskOracle(id: string, options: DesignTaskOptions = {}): { space: DesignSpace; oracle: (x: Designs) => Float64Array } {
  if ((CONTROLLER_TASK_IDS as readonly string[]).includes(id)) {
    const { space, oracle } = controllerTaskOracle(id);
    return { space, oracle: oracle as (x: Designs) => Float64Array };
  }
  const task = makeDesignTask(id, options);
  return { space: task.space, oracle: task.oracle };
}
