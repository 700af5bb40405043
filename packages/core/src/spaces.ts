import type { Rng } from './rng.js';

/** A set of valid observations or actions. */
export interface Space<T> {
  readonly kind: 'box' | 'discrete';
  /** Shape of one element (`[]` for Discrete). */
  readonly shape: readonly number[];
  sample(rng: Rng): T;
  contains(x: unknown): x is T;
  /** Plain-JSON description, used by checkpoints and dataset metadata. */
  toJSON(): SpaceSpec;
}

export type SpaceSpec =
  | { kind: 'box'; low: number[]; high: number[]; shape: number[]; dtype: 'float32' }
  | { kind: 'discrete'; n: number; start: number };

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A (possibly unbounded) box in R^n; elements are Float32Arrays in row-major order. */
export class Box implements Space<Float32Array> {
  readonly kind = 'box' as const;
  readonly shape: readonly number[];
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly size: number;

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape?: readonly number[]) {
    const inferred =
      shape ?? (typeof low !== 'number' ? [low.length] : typeof high !== 'number' ? [high.length] : undefined);
    if (!inferred) throw new TypeError('Box: give a shape when low and high are both scalars');
    if (inferred.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new TypeError(`Box: shape must be non-negative integers, got [${inferred.join(', ')}]`);
    }
    this.shape = [...inferred];
    this.size = product(inferred);
    this.low = broadcast(low, this.size, 'low');
    this.high = broadcast(high, this.size, 'high');
    for (let i = 0; i < this.size; i++) {
      if (!(this.low[i]! <= this.high[i]!)) {
        throw new RangeError(`Box: low[${i}]=${this.low[i]} must not exceed high[${i}]=${this.high[i]}`);
      }
    }
  }

  /** True where both bounds are finite: uniform sampling is then possible. */
  isBounded(): boolean {
    for (let i = 0; i < this.size; i++) if (!Number.isFinite(this.low[i]!) || !Number.isFinite(this.high[i]!)) return false;
    return true;
  }

  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i]!;
      const hi = this.high[i]!;
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      if (loFinite && hiFinite) out[i] = rng.uniformRange(lo, hi);
      else if (loFinite) out[i] = lo - Math.log(1 - rng.uniform()); // exponential above low
      else if (hiFinite) out[i] = hi + Math.log(1 - rng.uniform());
      else out[i] = rng.normal();
    }
    return out;
  }

  contains(x: unknown): x is Float32Array {
    if (!isNumericArray(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i]!;
      if (Number.isNaN(v) || v < this.low[i]! || v > this.high[i]!) return false;
    }
    return true;
  }

  /** Clip each element into the box (Gymnasium's behaviour for continuous control). */
  clip(x: ArrayLike<number>): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = Math.min(Math.max(x[i]!, this.low[i]!), this.high[i]!);
    return out;
  }

  toJSON(): SpaceSpec {
    return { kind: 'box', low: Array.from(this.low), high: Array.from(this.high), shape: [...this.shape], dtype: 'float32' };
  }

  toString(): string {
    return `Box(${fmtBound(this.low)}, ${fmtBound(this.high)}, [${this.shape.join(', ')}])`;
  }
}

/** The integers {start, ..., start + n - 1}. */
export class Discrete implements Space<number> {
  readonly kind = 'discrete' as const;
  readonly shape: readonly number[] = [];
  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
    if (!Number.isInteger(start)) throw new RangeError(`Discrete: start must be an integer, got ${start}`);
  }

  sample(rng: Rng): number {
    return this.start + rng.int(this.n);
  }

  contains(x: unknown): x is number {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toJSON(): SpaceSpec {
    return { kind: 'discrete', n: this.n, start: this.start };
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

export type AnySpace = Box | Discrete;

export function spaceFromJSON(spec: SpaceSpec): AnySpace {
  if (spec.kind === 'box') return new Box(spec.low, spec.high, spec.shape);
  if (spec.kind === 'discrete') return new Discrete(spec.n, spec.start ?? 0);
  throw new TypeError(`Unknown space kind: ${JSON.stringify(spec)}`);
}

/** Number of scalars an element of the space takes in a flat batch row (1 for Discrete). */
export function flatSize(space: AnySpace): number {
  return space.kind === 'box' ? space.size : 1;
}

function broadcast(v: number | ArrayLike<number>, size: number, name: string): Float32Array {
  if (typeof v === 'number') return new Float32Array(size).fill(v);
  if (v.length !== size) throw new TypeError(`Box: ${name} has ${v.length} elements, shape needs ${size}`);
  return Float32Array.from(v);
}

function isNumericArray(x: unknown): x is ArrayLike<number> {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return true;
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

function fmtBound(a: Float32Array): string {
  const first = a[0];
  if (a.every((v) => v === first)) return String(first);
  return `[${Array.from(a, (v) => +v.toPrecision(4)).join(', ')}]`;
}
