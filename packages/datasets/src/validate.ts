/** Index of the first row of a row-major array that holds NaN or an infinity, or -1. */
export function firstNonFiniteRow(values: ArrayLike<number>, rowWidth: number): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // `v - v` is NaN exactly for NaN and the infinities, and cheaper than Number.isFinite.
    if (v - v !== 0) return Math.floor(i / rowWidth);
  }
  return -1;
}

/** Index of the first element that is neither 0/1 nor false/true, or -1. */
export function firstNonFlagRow(values: ArrayLike<number | boolean>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v === 0 || v === 1 || v === true || v === false)) return i;
  }
  return -1;
}

/** Describe a value for an error message. */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    // Float32 data widened to float64 reads best at float32's precision.
    return Math.fround(v) === v ? String(+v.toPrecision(7)) : String(v);
  }
  return JSON.stringify(v) ?? String(v);
}
