import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** Parse an integer option strictly: "10", "1e3" and "1_000" are accepted; "10.5", "ten", "" are not. */
export function parseInteger(option: string, raw: string | number | undefined, limits: { min?: number; max?: number } = {}): number {
  if (raw === undefined) throw new UsageError(`${option} is required`);
  const text = String(raw).trim().replace(/_/g, '');
  const value = /^[+-]?\d+(\.\d+)?(e\+?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new UsageError(`${option} must be an integer, got "${raw}"`);
  if (limits.min !== undefined && value < limits.min) throw new UsageError(`${option} must be at least ${limits.min}, got ${value}`);
  if (limits.max !== undefined && value > limits.max) throw new UsageError(`${option} must be at most ${limits.max}, got ${value}`);
  return value;
}

/** The same as parseInteger, for an option that may be absent. */
export function parseOptionalInteger(option: string, raw: string | undefined, limits: { min?: number; max?: number } = {}): number | undefined {
  return raw === undefined ? undefined : parseInteger(option, raw, limits);
}

/**
 * A --seeds value: a count n (seeds 0..n-1), a range "a-b" (a..b) or a list "1,4,7", so that
 * the seeds of one grid can be split over processes or machines that share its output folder.
 */
export function parseSeeds(option: string, raw: string | undefined, maxCount = 100): number[] | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(text);
  let seeds: number[];
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (to < from) throw new UsageError(`${option}: the range "${raw}" ends before it starts`);
    seeds = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  } else if (text.includes(',')) {
    seeds = text.split(',').map((item) => parseInteger(`${option} (in "${raw}")`, item, { min: 0 }));
    if (new Set(seeds).size !== seeds.length) throw new UsageError(`${option}: "${raw}" names a seed twice`);
  } else {
    const count = parseInteger(option, text, { min: 1, max: maxCount });
    seeds = Array.from({ length: count }, (_, i) => i);
  }
  if (seeds.length > maxCount) throw new UsageError(`${option}: at most ${maxCount} seeds, got ${seeds.length}`);
  return seeds;
}

/** Seeds as a config holds them: a count for 0..n-1, else the list. */
export function seedsSetting(seeds: readonly number[]): number | number[] {
  return seeds.every((s, i) => s === i) ? seeds.length : [...seeds];
}

/** "0..2" for consecutive seeds, else "0, 4, 7". */
export function describeSeeds(seeds: readonly number[]): string {
  const consecutive = seeds.every((s, i) => i === 0 || s === seeds[i - 1]! + 1);
  return consecutive && seeds.length > 1 ? `${seeds[0]}..${seeds[seeds.length - 1]}` : seeds.join(', ');
}

/** A number option that `valid` accepts; `expectation` says what it must be ("a number in [0, 1)"). */
export function parseNumber(option: string, raw: string, valid: (value: number) => boolean, expectation: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !valid(value)) throw new UsageError(`${option} must be ${expectation}, got "${raw}"`);
  return value;
}

/** A comma-separated list whose items are each one of `choices`; `noun` names an item in the error. */
export function parseChoiceList<T extends string>(option: string, raw: string, choices: readonly T[], noun: string): T[] {
  const items = raw.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) throw new UsageError(`${option}: unknown ${noun} "${item}" (choose from ${choices.join(', ')})`);
  }
  return items as T[];
}

/**
 * A --config value: inline JSON (`'{"lr":1e-3}'`) or `@path/to/file.json`. The result must be a
 * JSON object; the learner validates its fields.
 */
export function parseConfigOption(raw: string | undefined, cwd: string): Record<string, unknown> {
  if (raw === undefined) return {};
  let text = raw;
  let where = '--config';
  if (raw.startsWith('@')) {
    const path = resolvePath(cwd, raw.slice(1));
    where = `--config file ${path}`;
    if (!existsSync(path)) throw new UsageError(`${where} does not exist`);
    text = readFileSync(path, 'utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${where} is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${where} must be a JSON object such as '{"learningRate": 0.001}', got ${JSON.stringify(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

export const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export function parseBackend(raw: string | undefined): BackendChoice {
  const value = raw ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(value)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${value}"`);
  }
  return value as BackendChoice;
}

export function resolvePath(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** True when `path` names an existing regular file. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** True when `arg` looks like a file path rather than a name (has a separator or an extension). */
export function looksLikePath(arg: string): boolean {
  return /[\\/]/.test(arg) || /\.(h5|hdf5|json|jsonl)$/i.test(arg);
}

/**
 * Throws a `UsageError` for the first of `flags` that was given: `--<flag> <why>`, e.g. "is an
 * option of the dr3 experiment, not of mural". Flags are commander's camel-case option names.
 */
export function rejectOptions<K extends string>(given: Partial<Record<K, unknown>>, flags: readonly K[], why: string): void {
  for (const flag of flags) {
    if (given[flag] !== undefined) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${why}`);
  }
}

/** "64,64" -> [64, 64]: hidden layer widths, each a positive integer. */
export function parseHiddenSizes(flag: string, text: string): number[] {
  const sizes = text.split(',').map((part) => part.trim());
  if (sizes.some((part) => !/^[1-9][0-9]*$/.test(part))) throw new UsageError(`${flag} must be comma-separated positive integers (layer widths), got "${text}"`);
  return sizes.map(Number);
}
