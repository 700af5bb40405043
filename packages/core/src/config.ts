/** Typed, validated configuration with clear errors that name the offending field. */
import { ConfigError } from './errors.js';

export type FieldSpec =
  | { type: 'number'; min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean; optional?: boolean }
  | { type: 'boolean'; optional?: boolean }
  | { type: 'enum'; values: readonly string[]; optional?: boolean }
  | { type: 'integerArray'; minLength?: number; optional?: boolean }
  | { type: 'string'; optional?: boolean };

export type ConfigSchema<T> = { [K in keyof T]-?: FieldSpec };

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The candidates closest to `name` (case-insensitive edit distance), best first. */
export function closestMatches(name: string, candidates: readonly string[], limit = 3): string[] {
  const lower = name.toLowerCase();
  return candidates
    .map((c) => ({ c, d: c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase()) ? 0.5 : editDistance(lower, c.toLowerCase()) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.ceil(c.length / 2)))
    .sort((x, y) => x.d - y.d)
    .slice(0, limit)
    .map(({ c }) => c);
}

/**
 * Merge `overrides` over `defaults` and check every field against `schema`.
 * Unknown fields are errors (with a suggestion), so that a typo never falls back to a default silently.
 */
export function resolveConfig<T extends object>(
  configName: string,
  schema: ConfigSchema<T>,
  defaults: T,
  overrides: Partial<T> | Record<string, unknown> = {},
): T {
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new ConfigError(configName, '', `expected an object, got ${JSON.stringify(overrides)}`);
  }
  const known = Object.keys(schema);
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) {
      const hint = closestMatches(key, known, 1);
      throw new ConfigError(configName, key, `unknown field "${key}"${hint.length ? ` (did you mean "${hint[0]}"?)` : ''}; known fields: ${known.join(', ')}`);
    }
  }
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  for (const key of known) {
    checkField(configName, key, (schema as Record<string, FieldSpec>)[key]!, merged[key]);
  }
  return merged as T;
}

function checkField(configName: string, key: string, spec: FieldSpec, value: unknown): void {
  const fail = (what: string) => {
    throw new ConfigError(configName, key, `"${key}" ${what}, got ${JSON.stringify(value)}`);
  };
  if (value === undefined) {
    if (spec.optional) return;
    fail('is required');
  }
  switch (spec.type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('must be a finite number');
      const v = value as number;
      if (spec.integer && !Number.isInteger(v)) fail('must be an integer');
      if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
        fail(spec.exclusiveMin ? `must be greater than ${spec.min}` : `must be at least ${spec.min}`);
      }
      if (spec.max !== undefined && v > spec.max) fail(`must be at most ${spec.max}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be true or false');
      return;
    case 'string':
      if (typeof value !== 'string') fail('must be a string');
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail(`must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}`);
      return;
    case 'integerArray':
      if (!Array.isArray(value) || value.some((x) => !Number.isInteger(x) || x <= 0)) fail('must be an array of positive integers');
      if (spec.minLength !== undefined && (value as unknown[]).length < spec.minLength) fail(`must have at least ${spec.minLength} entries`);
      return;
  }
}
