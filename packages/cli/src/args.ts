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
