/**
 * What a forward model sees of a design: continuous designs standardised per dimension with the
 * training set's moments, discrete ones as design-bench's logits (each position's one-hot mixed
 * with the uniform distribution, its log, minus the first class's log: C - 1 values per position).
 * Gradient ascent runs in this space; `decode` maps its points back to designs.
 */
import { UsageError } from '@bellman/core';
import type { Designs, DesignSet, DesignSpace } from './task.js';

export interface DesignEncoding {
  /** Values per encoded design. */
  readonly width: number;
  encode(x: Designs): Float32Array;
  decode(z: Float32Array): Designs;
}

/** design-bench's weight of the one-hot against the uniform distribution in the logits. */
export const ONE_HOT_WEIGHT = 0.6;

/** The encoding of a task's space, fitted on its training designs (the moments of continuous ones). */
export function fitEncoding(space: DesignSpace, train: DesignSet): DesignEncoding {
  return space.kind === 'continuous' ? standardisedEncoding(space.dim, train.x as Float32Array) : logitEncoding(space.length, space.classes);
}

function standardisedEncoding(dim: number, x: Float32Array): DesignEncoding {
  const count = x.length / dim;
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) mean[d]! += x[i * dim + d]! / count;
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) std[d]! += (x[i * dim + d]! - mean[d]!) ** 2 / count;
  for (let d = 0; d < dim; d++) std[d] = Math.sqrt(std[d]!) || 1; // a constant dimension stays as it is
  const map = (values: Float32Array, f: (v: number, d: number) => number) => values.map((v, i) => f(v, i % dim));
  return {
    width: dim,
    encode: (designs) => map(designs as Float32Array, (v, d) => (v - mean[d]!) / std[d]!),
    decode: (z) => map(z, (v, d) => v * std[d]! + mean[d]!),
  };
}

function logitEncoding(length: number, classes: number): DesignEncoding {
  const perPosition = classes - 1;
  const high = Math.log(ONE_HOT_WEIGHT + (1 - ONE_HOT_WEIGHT) / classes);
  const low = Math.log((1 - ONE_HOT_WEIGHT) / classes);
  return {
    width: length * perPosition,
    encode: (designs) => {
      const z = new Float32Array(designs.length * perPosition);
      designs.forEach((k, i) => {
        const first = k === 0 ? high : low;
        for (let c = 1; c < classes; c++) z[i * perPosition + c - 1] = (k === c ? high : low) - first;
      });
      return z;
    },
    decode: (z) => {
      if (z.length % (length * perPosition) !== 0) throw new UsageError(`decode: ${z.length} logits are not whole designs of ${length} x ${perPosition}`);
      const x = new Int32Array(z.length / perPosition);
      for (let i = 0; i < x.length; i++) {
        // class 0's logit is 0 after the shift; the argmax over all classes
        let best = 0;
        let bestValue = 0;
        for (let c = 1; c < classes; c++) {
          const v = z[i * perPosition + c - 1]!;
          if (v > bestValue) [best, bestValue] = [c, v];
        }
        x[i] = best;
      }
      return x;
    },
  };
}

