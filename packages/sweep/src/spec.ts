/**
 * A sweep spec: one command, the flags every cell shares (`args`) and the flags that vary
 * (`grid`, a list of values per flag). Keys are the command's own flag names; the caller says
 * which names a command has (a `CommandSchema`), so that this module knows no command.
 */
import { parse as parseYaml } from 'yaml';
import { UsageError } from '@bellman/core';

/** A flag's value: a string or number is passed as `--flag value`, `true` as `--flag`, `false` leaves it out. */
export type SweepValue = string | number | boolean;

export interface SweepReportSpec {
  /** Path of the number the report tables (`evalReturnMean`, `summary.cql.mean`, ...). */
  metric?: string;
  /** Grid keys whose values make the table's rows (default: every grid key but the seed's). */
  rows?: string[];
  /** A grid key whose values become the table's columns. */
  columns?: string;
}

export interface SweepSpec {
  /** The command's words: `train`, or `experiment mural`. */
  command: string;
  /** Flags every cell gets. */
  args: Record<string, SweepValue>;
  /** Flags that vary: every combination of their values is one cell. */
  grid: Record<string, SweepValue[]>;
  /** Where results go, relative to the spec file (the command line's --out wins). */
  out?: string;
  report?: SweepReportSpec;
}

/** What the sweep needs to know about a command: its flags, its positional arguments, its seed. */
export interface CommandSchema {
  /** The command's words, as in the spec's `command`. */
  command: string;
  /** Keys passed as positional arguments, in order (`algo` for `train`); each must be in args or grid. */
  positional: readonly string[];
  /** The flags a spec may set (without `--`). */
  flags: readonly string[];
  /**
   * Flags whose value is a JSON object (`config` for `train`). A spec sets one field of it with a
   * dotted key (`config.cqlAlpha: [1, 5]`) or the whole object as JSON text (`config: '{...}'`).
   */
  jsonFlags?: readonly string[];
  /** Flags the sweep sets itself, with why (`out`: each cell's run folder is the sweep's). */
  reserved: Readonly<Record<string, string>>;
  /** The grid key that holds the seed: cells differing only in it are one group of the report. */
  seedKey: string;
  /** The report's metric when the spec names none, if the command has an obvious one. */
  defaultMetric?: string;
  /** Keys of the command's JSON result that differ between runs of the same cell (wall time, paths): kept out of result.json. */
  volatileResultKeys: readonly string[];
}

/** A spec that cannot run: names the file and the field, e.g. `sweep.json: grid.seed[2]: ...`. */
export class SweepSpecError extends UsageError {
  constructor(
    readonly source: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${source}: ${field ? `${field}: ` : ''}${problem}`, { source, field });
    this.name = 'SweepSpecError';
  }
}

const FIELDS = ['command', 'args', 'grid', 'out', 'report'] as const;
const REPORT_FIELDS = ['metric', 'rows', 'columns'] as const;

type Json = unknown;

const isObject = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);

function describe(x: Json): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${JSON.stringify(x)}`;
}

function parseJsonOrUndefined(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Reads a spec's text: JSON, or YAML for `.yaml` / `.yml` files. */
export function parseSweepText(text: string, source: string): Json {
  const yaml = /\.ya?ml$/i.test(source);
  try {
    return yaml ? (parseYaml(text) as Json) : (JSON.parse(text) as Json);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new SweepSpecError(source, '', `not valid ${yaml ? 'YAML' : 'JSON'}: ${message}`);
  }
}

/**
 * Checks a parsed spec field by field and returns it with its schema. `schemaFor` gives the
 * schema of a command, or undefined for a command the caller does not know (its error then
 * lists `commands`).
 */
export function validateSweepSpec(
  raw: Json,
  source: string,
  schemaFor: (command: string) => CommandSchema | undefined,
  commands: readonly string[],
): { spec: SweepSpec; schema: CommandSchema } {
  const fail = (field: string, problem: string): never => {
    throw new SweepSpecError(source, field, problem);
  };
  if (!isObject(raw)) fail('', `a sweep spec is an object with fields ${FIELDS.join(', ')}; got ${describe(raw)}`);
  const spec = raw as Record<string, Json>;
  for (const key of Object.keys(spec)) {
    if (!(FIELDS as readonly string[]).includes(key)) fail(key, `unknown field (a spec has ${FIELDS.join(', ')})`);
  }

  if (typeof spec.command !== 'string' || spec.command.trim() === '') fail('command', `give the command to run, one of: ${commands.join(', ')}`);
  const command = (spec.command as string).trim().split(/\s+/).join(' ');
  const schema = schemaFor(command) ?? fail('command', `unknown command "${command}" (one of: ${commands.join(', ')})`);
  const known = new Set([...schema.positional, ...schema.flags]);

  const jsonFlags = schema.jsonFlags ?? [];
  const checkKey = (field: string, key: string): void => {
    if (key.startsWith('-')) fail(field, `write flag names without dashes ("${key.replace(/^-+/, '')}")`);
    const dot = key.indexOf('.');
    if (dot >= 0) {
      const flag = key.slice(0, dot);
      if (!jsonFlags.includes(flag)) {
        fail(field, `a dotted key sets one field of a JSON flag (${jsonFlags.map((f) => `${f}.<field>`).join(', ') || `\`bellman ${schema.command}\` has none`}); "${flag}" is not one`);
      }
      if (key.slice(dot + 1).split('.').some((part) => part === '')) fail(field, `"${key}" has an empty field name`);
      return;
    }
    const why = schema.reserved[key];
    if (why !== undefined) fail(field, `the sweep sets --${key} itself: ${why}`);
    if (!known.has(key)) fail(field, `"${key}" is not a flag of \`bellman ${schema.command}\` (flags: ${[...known].join(', ')})`);
  };
  const checkValue = (field: string, value: Json, key: string): SweepValue => {
    if (jsonFlags.includes(key)) {
      // `@file.json` is the command's own business; the sweep only checks JSON text it merges into
      if (typeof value !== 'string' || (!value.startsWith('@') && !isObject(parseJsonOrUndefined(value)))) {
        fail(field, `--${key} takes a JSON object as text, e.g. '{"learningRate": 0.001}' (or set one field with "${key}.<field>"); got ${describe(value)}`);
      }
      return value as string;
    }
    if (typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    return fail(field, `a value is a string, a finite number or a boolean; got ${describe(value)}`);
  };

  const args: Record<string, SweepValue> = {};
  if (spec.args !== undefined) {
    if (!isObject(spec.args)) fail('args', `an object of flag: value; got ${describe(spec.args)}`);
    for (const [key, value] of Object.entries(spec.args as Record<string, Json>)) {
      checkKey(`args.${key}`, key);
      args[key] = checkValue(`args.${key}`, value, key);
    }
  }

  if (!isObject(spec.grid) || Object.keys(spec.grid).length === 0) {
    fail('grid', `an object of flag: [values], with at least one flag (e.g. {"${schema.seedKey}": [0, 1, 2]}); got ${describe(spec.grid ?? null)}`);
  }
  const grid: Record<string, SweepValue[]> = {};
  for (const [key, values] of Object.entries(spec.grid as Record<string, Json>)) {
    const field = `grid.${key}`;
    checkKey(field, key);
    if (key in args) fail(field, `"${key}" is in args too: a flag is either shared (args) or varied (grid)`);
    if (!Array.isArray(values) || values.length === 0) fail(field, `a non-empty list of values; got ${describe(values)}`);
    const list = (values as Json[]).map((value, i) => checkValue(`${field}[${i}]`, value, key));
    const seen = new Set<string>();
    list.forEach((value, i) => {
      const text = String(value);
      if (seen.has(text)) fail(`${field}[${i}]`, `${JSON.stringify(value)} is listed twice`);
      seen.add(text);
    });
    grid[key] = list;
  }
  for (const flag of jsonFlags) {
    const dotted = [...Object.keys(args), ...Object.keys(grid)].find((key) => key.startsWith(`${flag}.`));
    const file = [args[flag], ...(grid[flag] ?? [])].find((value) => typeof value === 'string' && value.startsWith('@'));
    if (dotted !== undefined && file !== undefined) fail(dotted, `a field of --${flag} cannot be merged into a file (${String(file)}); give the file's JSON as text instead`);
  }
  for (const key of schema.positional) {
    if (!(key in args) && !(key in grid)) fail(key, `\`bellman ${schema.command}\` needs "${key}", in args or in grid`);
  }

  const out = spec.out === undefined ? undefined : typeof spec.out === 'string' && spec.out.trim() !== '' ? spec.out : fail('out', `a folder path; got ${describe(spec.out)}`);
  const report = spec.report === undefined ? undefined : validateReport(spec.report, grid, fail);
  return { spec: { command, args, grid, ...(out !== undefined ? { out } : {}), ...(report ? { report } : {}) }, schema };
}

function validateReport(raw: Json, grid: Record<string, SweepValue[]>, fail: (field: string, problem: string) => never): SweepReportSpec {
  if (!isObject(raw)) fail('report', `an object with fields ${REPORT_FIELDS.join(', ')}; got ${describe(raw)}`);
  const report = raw as Record<string, Json>;
  for (const key of Object.keys(report)) {
    if (!(REPORT_FIELDS as readonly string[]).includes(key)) fail(`report.${key}`, `unknown field (report has ${REPORT_FIELDS.join(', ')})`);
  }
  const gridKey = (field: string, key: Json): string => {
    if (typeof key !== 'string' || !(key in grid)) fail(field, `a grid key (${Object.keys(grid).join(', ')}); got ${describe(key)}`);
    return key as string;
  };
  const out: SweepReportSpec = {};
  if (report.metric !== undefined) {
    if (typeof report.metric !== 'string' || report.metric === '') fail('report.metric', `a path into the result, e.g. "evalReturnMean"; got ${describe(report.metric)}`);
    out.metric = report.metric as string;
  }
  if (report.rows !== undefined) {
    if (!Array.isArray(report.rows)) fail('report.rows', `a list of grid keys; got ${describe(report.rows)}`);
    out.rows = (report.rows as Json[]).map((key, i) => gridKey(`report.rows[${i}]`, key));
  }
  if (report.columns !== undefined) out.columns = gridKey('report.columns', report.columns);
  if (out.columns !== undefined && out.rows?.includes(out.columns)) fail('report.columns', `"${out.columns}" is in report.rows too`);
  return out;
}
