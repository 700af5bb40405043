import type { Space } from '@bellman/core';

/** A plain-text table with aligned columns: numbers to the right, text to the left. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+( ± [\d.,]+)?s?$|^-$/.test(r[i] ?? '')));
  const fmt = (cells: readonly string[], isHeader: boolean) =>
    cells
      .map((c, i) => (numeric[i] && !isHeader ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(header, true), rule, ...rows.map((r) => fmt(r, false))].join('\n');
}

/** A number rounded for people: `digits` decimals, or fewer for large values. */
export function fmtNumber(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  return x.toFixed(digits);
}

export function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A space in a few characters: `Discrete(2)`, `Box[4]`, or `Box[1] in [-2, 2]` when every bound is the same. */
export function shortSpace(space: Space<unknown>): string {
  const spec = space.toJSON();
  if (spec.kind === 'discrete') return spec.start === 0 ? `Discrete(${spec.n})` : `Discrete(${spec.n}, start=${spec.start})`;
  const shape = `Box[${spec.shape.join(', ')}]`;
  const lo = spec.low[0];
  const hi = spec.high[0];
  const uniform = lo !== undefined && hi !== undefined && spec.low.every((v) => v === lo) && spec.high.every((v) => v === hi);
  return uniform && Number.isFinite(lo) && Number.isFinite(hi) ? `${shape} in [${lo}, ${hi}]` : shape;
}
