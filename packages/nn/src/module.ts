import * as tf from '@tensorflow/tfjs-core';
import type { Rng, SerializedTensor } from '@bellman/core';
import { assignSerialized, serializeTensor, variableFrom } from './tensors.js';

/** Parameter tensors keyed by a module's variable names; Variables or any tensors (adapted weights). */
export type ParamRecord = Record<string, tf.Tensor>;

/**
 * A network with named weights. Names are stable and hierarchical (`down.0.conv.weight`): a
 * composite module prefixes its children's names with their place in it.
 */
export interface Module<X extends tf.Tensor = tf.Tensor, Y extends tf.Tensor = tf.Tensor> {
  /** Every trainable variable by name, in a fixed order. */
  namedVariables(): Map<string, tf.Variable>;
  /** The module on its own variables. */
  apply(x: X): Y;
  /**
   * The module on explicit parameters keyed by the names of `namedVariables()`: adapted weights
   * (MAML's inner step), a moving average, any tensors of the right shapes. Differentiable with
   * respect to them.
   */
  applyWith(params: ParamRecord, x: X): Y;
  /** The weights, serialised; `load` reads back exactly what this writes. */
  serialize(): Record<string, SerializedTensor>;
  load(weights: Record<string, SerializedTensor>): void;
  dispose(): void;
}

/** A module's variables as a parameter record (the same tensors, not copies). */
export function paramsOf(module: Pick<Module, 'namedVariables'>): ParamRecord {
  return Object.fromEntries(module.namedVariables());
}

/** The variables of `module` as a list, for an optimiser. */
export function variablesOf(module: Pick<Module, 'namedVariables'>): tf.Variable[] {
  return [...module.namedVariables().values()];
}

/** The parameter `name` of `params`, with the module and the names it has in the error. */
export function param(params: ParamRecord, name: string, owner: string): tf.Tensor {
  const value = params[name];
  if (!value) throw new Error(`${owner}: parameter "${name}" missing (got ${Object.keys(params).join(', ') || 'none'})`);
  return value;
}

/** The entries of `params` under `prefix.`, with the prefix removed: a child module's parameters. */
export function scopeParams(params: ParamRecord, prefix: string): ParamRecord {
  const head = `${prefix}.`;
  const out: ParamRecord = {};
  for (const [name, value] of Object.entries(params)) if (name.startsWith(head)) out[name.slice(head.length)] = value;
  return out;
}

/** The variables of named children, each name prefixed with its child's key. */
export function childVariables(children: ReadonlyArray<readonly [string, Pick<Module, 'namedVariables'>]>): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [key, child] of children) for (const [name, v] of child.namedVariables()) out.set(`${key}.${name}`, v);
  return out;
}

/** Weights keyed by variable name, serialised. */
export function serializeVariables(variables: Map<string, tf.Variable>): Record<string, SerializedTensor> {
  const out: Record<string, SerializedTensor> = {};
  for (const [name, v] of variables) out[name] = serializeTensor(v);
  return out;
}

/** Assign serialised weights to the variables of the same names; shapes must match. */
export function loadVariables(variables: Map<string, tf.Variable>, weights: Record<string, SerializedTensor>, owner: string): void {
  for (const [name, variable] of variables) {
    const w = weights[name];
    if (!w) throw new Error(`${owner}: checkpoint is missing weight "${name}"`);
    assignSerialized(variable, w, `${owner}/${name}`);
  }
}

let variableCounter = 0;

/**
 * A trainable variable drawn from U(-bound, bound) with a core `Rng`, the initialisation PyTorch
 * gives nn.Linear and nn.Conv1d (bound = 1 / sqrt(fan in)). tfjs variable names are global and
 * unique, so the tfjs name is `label` with a counter; the module's own name for it is separate.
 */
export function uniformVariable(rng: Rng, shape: number[], bound: number, label: string): tf.Variable {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillUniform(values, -bound, bound);
  return variableFrom(tf.tensor(values, shape, 'float32'), true, `${label}_${variableCounter++}`);
}

/** A trainable variable filled with `value` (normalisation scales and shifts). */
export function constantVariable(shape: number[], value: number, label: string): tf.Variable {
  return variableFrom(tf.fill(shape, value, 'float32'), true, `${label}_${variableCounter++}`);
}

/**
 * The shared part of a module: apply, serialise, load and dispose follow from `namedVariables`
 * and `applyWith`. A layer keeps its own variables in `own`; a composite overrides
 * `namedVariables` to gather its children's.
 */
export abstract class Layer<X extends tf.Tensor = tf.Tensor, Y extends tf.Tensor = tf.Tensor> implements Module<X, Y> {
  protected readonly own = new Map<string, tf.Variable>();

  abstract applyWith(params: ParamRecord, x: X): Y;

  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.own);
  }

  apply(x: X): Y {
    return this.applyWith(paramsOf(this), x);
  }

  serialize(): Record<string, SerializedTensor> {
    return serializeVariables(this.namedVariables());
  }

  load(weights: Record<string, SerializedTensor>): void {
    loadVariables(this.namedVariables(), weights, this.constructor.name);
  }

  dispose(): void {
    for (const v of this.namedVariables().values()) v.dispose();
  }
}

/** A step of a `Sequential`: a module, or a function without weights (an activation). */
export type SequentialStep = Module | ((x: tf.Tensor) => tf.Tensor);

/**
 * Modules applied one after the other; the weights of step i are named `i.<name>`, as in
 * PyTorch's nn.Sequential. Functions (activations) take a place in the numbering but have no weights.
 */
export class Sequential extends Layer {
  constructor(readonly steps: SequentialStep[]) {
    super();
  }

  private modules(): Array<readonly [string, Module]> {
    return this.steps.flatMap((s, i) => (typeof s === 'function' ? [] : [[String(i), s] as const]));
  }

  override namedVariables(): Map<string, tf.Variable> {
    return childVariables(this.modules());
  }

  applyWith(params: ParamRecord, x: tf.Tensor): tf.Tensor {
    return this.steps.reduce((h, s, i) => (typeof s === 'function' ? s(h) : s.applyWith(scopeParams(params, String(i)), h)), x);
  }
}
