/** The cells of a sweep: every combination of the grid's values, each with its id and command line. */
import { createHash } from 'node:crypto';
import type { CommandSchema, SweepSpec, SweepValue } from './spec.js';

export interface SweepCell {
  /** File-name-safe and unique within the sweep: `algo=bc,seed=0`. */
  id: string;
  /** This cell's grid values, in the grid's key order. */
  params: Record<string, SweepValue>;
  /** The command line after `bellman`, without the run folder (`--out`), which the runner adds. */
  args: string[];
}

/** Characters kept in a cell id as they are; any other becomes `_`. */
const UNSAFE = /[^A-Za-z0-9._+-]/g;

/**
 * Every combination of the grid's values, the first grid key varying slowest (a stopped sweep has
 * finished whole blocks of it).
 */
export function sweepCells(spec: SweepSpec, schema: CommandSchema): SweepCell[] {
  const keys = Object.keys(spec.grid);
  let combos: Record<string, SweepValue>[] = [{}];
  for (const key of keys) combos = combos.flatMap((combo) => spec.grid[key]!.map((value) => ({ ...combo, [key]: value })));
  const ids = new Set<string>();
  return combos.map((params) => {
    let id = keys.map((key) => `${key}=${String(params[key]).replace(UNSAFE, '_')}`).join(',');
    // two values that differ only in unsafe characters (paths) would share an id: tell them apart
    if (ids.has(id)) id = `${id},${shortHash(JSON.stringify(params))}`;
    ids.add(id);
    return { id, params, args: commandLine(spec, schema, params) };
  });
}

/**
 * `<command words> <positionals> --flag value ...`: args first, then the grid's flags, each in spec
 * order. Dotted keys (`config.cqlAlpha`) are set into their JSON flag's object, which is passed once,
 * where its first key stood.
 */
export function commandLine(spec: SweepSpec, schema: CommandSchema, params: Record<string, SweepValue>): string[] {
  const values: Record<string, SweepValue> = { ...spec.args, ...params };
  const keys = [...Object.keys(spec.args), ...Object.keys(params)];
  // flags with dotted keys: their text (if any) parsed, then each field set, in spec order
  const jsonObjects = new Map<string, Record<string, unknown>>();
  for (const key of keys) {
    const flag = jsonFlagOf(key, schema);
    if (flag === undefined || key === flag) continue;
    if (!jsonObjects.has(flag)) jsonObjects.set(flag, typeof values[flag] === 'string' ? (JSON.parse(values[flag] as string) as Record<string, unknown>) : {});
    setField(jsonObjects.get(flag)!, key.slice(flag.length + 1).split('.'), values[key]!);
  }
  const line = spec.command.split(' ');
  for (const key of schema.positional) line.push(String(values[key]));
  const passed = new Set<string>();
  for (const key of keys) {
    if (schema.positional.includes(key)) continue;
    const flag = jsonFlagOf(key, schema);
    if (flag !== undefined && jsonObjects.has(flag)) {
      if (!passed.has(flag)) line.push(`--${flag}`, JSON.stringify(jsonObjects.get(flag)));
      passed.add(flag);
      continue;
    }
    const value = values[key]!;
    if (value === false) continue;
    line.push(`--${key}`);
    if (value !== true) line.push(String(value));
  }
  return line;
}

/** The JSON flag a key belongs to: `config` for `config` and `config.actor.lr`, if `config` is one. */
function jsonFlagOf(key: string, schema: CommandSchema): string | undefined {
  const flag = key.split('.')[0]!;
  return schema.jsonFlags?.includes(flag) ? flag : undefined;
}

function setField(target: Record<string, unknown>, path: string[], value: SweepValue): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[part] = {})) as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** The first 12 hex digits of a string's SHA-1 (ids, not security). */
export function shortHash(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 12);
}
