/** A regular grid of cells over a box of observations (count bonuses, tabular classifiers). */
export interface GridSpec {
  /** The box's corners, one entry per observation dimension. */
  low: readonly number[];
  high: readonly number[];
  /** Cells along each dimension. */
  bins: number;
}

export class GridCells {
  readonly dim: number;
  readonly cellCount: number;

  constructor(readonly spec: GridSpec) {
    const { low, high, bins } = spec;
    if (!Number.isInteger(bins) || bins <= 0) throw new RangeError(`GridCells: bins must be a positive integer, got ${bins}`);
    if (low.length === 0 || low.length !== high.length) throw new RangeError(`GridCells: low and high need the same, non-zero length (got ${low.length} and ${high.length})`);
    low.forEach((l, i) => {
      if (!(high[i]! > l)) throw new RangeError(`GridCells: high[${i}] = ${high[i]} must exceed low[${i}] = ${l}`);
    });
    this.dim = low.length;
    this.cellCount = bins ** this.dim;
  }

  /** The cell of the row at `offset` of `values`; points outside the box fall in the nearest edge cell. */
  cellOf(values: ArrayLike<number>, offset = 0): number {
    const { low, high, bins } = this.spec;
    let cell = 0;
    for (let k = 0; k < this.dim; k++) {
      const t = (values[offset + k]! - low[k]!) / (high[k]! - low[k]!);
      const index = Math.min(bins - 1, Math.max(0, Math.floor(t * bins)));
      cell = cell * bins + index;
    }
    return cell;
  }

  /** The centre of `cell`, one coordinate per dimension: the point `cellOf` maps back to it. */
  centreOf(cell: number): number[] {
    const { low, high, bins } = this.spec;
    if (!Number.isInteger(cell) || cell < 0 || cell >= this.cellCount) throw new RangeError(`GridCells: cell ${cell} is outside [0, ${this.cellCount})`);
    const centre = new Array<number>(this.dim);
    let rest = cell;
    // cellOf numbers cells with the first dimension most significant
    for (let k = this.dim - 1; k >= 0; k--) {
      const index = rest % bins;
      rest = Math.floor(rest / bins);
      centre[k] = low[k]! + ((index + 0.5) * (high[k]! - low[k]!)) / bins;
    }
    return centre;
  }
}
