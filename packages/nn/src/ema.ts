import * as tf from '@tensorflow/tfjs-core';
import type { SerializedTensor } from '@bellman/core';
import { lerpVariables } from './nn.js';
import { loadVariables, serializeVariables } from './module.js';
import type { Module, ParamRecord } from './module.js';
import { variableFrom } from './tensors.js';

/**
 * An exponential moving average of a module's weights (the EMA model of DDPM and Diffuser):
 * after each `update(module)`, shadow <- decay * shadow + (1 - decay) * weight, name by name.
 * The shadow starts as a copy of the module's weights. `params()` feeds `module.applyWith`;
 * `copyTo(module)` writes the averages into the module's own variables.
 */
export class ModuleEma {
  readonly decay: number;
  private readonly shadow = new Map<string, tf.Variable>();
  private updates = 0;

  constructor(module: Pick<Module, 'namedVariables'>, decay: number) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`ModuleEma: decay must be in [0, 1), got ${decay}`);
    this.decay = decay;
    for (const [name, v] of module.namedVariables()) this.shadow.set(name, variableFrom(tf.clone(v), false));
  }

  /** How many times `update` ran (restored by `load`). */
  get steps(): number {
    return this.updates;
  }

  /** Move every average towards the module's current weight. */
  update(module: Pick<Module, 'namedVariables'>): void {
    const [targets, sources] = this.matched(module, 'update');
    lerpVariables(targets, sources, 1 - this.decay);
    this.updates += 1;
  }

  /** Assign the averages to the module's variables. */
  copyTo(module: Pick<Module, 'namedVariables'>): void {
    const [averages, variables] = this.matched(module, 'copyTo');
    lerpVariables(variables, averages, 1);
  }

  /** The averages as a parameter record, for `module.applyWith(ema.params(), x)`. */
  params(): ParamRecord {
    return Object.fromEntries(this.shadow);
  }

  serialize(): { steps: number; weights: Record<string, SerializedTensor> } {
    return { steps: this.updates, weights: serializeVariables(this.shadow) };
  }

  load(state: { steps: number; weights: Record<string, SerializedTensor> }): void {
    loadVariables(this.shadow, state.weights, 'ModuleEma');
    this.updates = state.steps;
  }

  dispose(): void {
    for (const v of this.shadow.values()) v.dispose();
  }

  /** The shadow variables and the module's variables of the same names, in one order. */
  private matched(module: Pick<Module, 'namedVariables'>, what: string): [tf.Variable[], tf.Variable[]] {
    const variables = module.namedVariables();
    const names = [...this.shadow.keys()];
    const missing = names.filter((n) => !variables.has(n));
    const extra = [...variables.keys()].filter((n) => !this.shadow.has(n));
    if (missing.length > 0 || extra.length > 0) throw new Error(`ModuleEma.${what}: module variables differ (missing ${missing.join(', ') || 'none'}; unexpected ${extra.join(', ') || 'none'})`);
    for (const n of names) {
      const a = this.shadow.get(n)!;
      const b = variables.get(n)!;
      if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) throw new Error(`ModuleEma.${what}: "${n}" has shape [${b.shape}], the average [${a.shape}]`);
    }
    return [names.map((n) => this.shadow.get(n)!), names.map((n) => variables.get(n)!)];
  }
}
