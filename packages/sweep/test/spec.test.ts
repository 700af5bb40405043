import { SweepSpecError, parseSweepText, sweepCells, validateSweepSpec } from '../src/index.js';
import { UsageError } from '@bellman/core';
import { TRAIN_SCHEMA, schemaFor } from './fixtures.js';

const COMMANDS = ['train'];
const check = (raw: unknown) => validateSweepSpec(raw, 'grid.json', schemaFor, COMMANDS);
const ISSUE_SPEC = { command: 'train', args: { env: 'CartPole-v1', dataset: 'cartpole-mixed-v0', steps: 300, 'eval-episodes': 2 }, grid: { algo: ['bc', 'cql-discrete'], seed: [0, 1, 2] } };

function errorOf(raw: unknown): SweepSpecError {
  try {
    check(raw);
  } catch (err) {
    if (err instanceof SweepSpecError) return err;
    throw err;
  }
  throw new Error('the spec was accepted');
}

describe('validateSweepSpec', () => {
  it("accepts the issue's spec and expands it into 6 cells, seeds varying fastest", () => {
    const { spec, schema } = check(ISSUE_SPEC);
    const cells = sweepCells(spec, schema);
    expect(cells.map((cell) => cell.id)).toEqual(['algo=bc,seed=0', 'algo=bc,seed=1', 'algo=bc,seed=2', 'algo=cql-discrete,seed=0', 'algo=cql-discrete,seed=1', 'algo=cql-discrete,seed=2']);
    expect(cells[4]!.args).toEqual(['train', 'cql-discrete', '--env', 'CartPole-v1', '--dataset', 'cartpole-mixed-v0', '--steps', '300', '--eval-episodes', '2', '--seed', '1']);
  });

  it('sets dotted config fields into one --config object, over the JSON given in args', () => {
    const { spec, schema } = check({
      command: 'train',
      args: { algo: 'cql', config: '{"hiddenSizes":[64,64],"cqlAlpha":10}', 'config.actor.learningRate': 0.001 },
      grid: { 'config.cqlAlpha': [1, 5], seed: [0] },
    });
    const cells = sweepCells(spec, schema);
    expect(cells.map((cell) => cell.id)).toEqual(['config.cqlAlpha=1,seed=0', 'config.cqlAlpha=5,seed=0']);
    expect(cells[1]!.args).toEqual(['train', 'cql', '--config', '{"hiddenSizes":[64,64],"cqlAlpha":5,"actor":{"learningRate":0.001}}', '--seed', '0']);
  });

  it('refuses a dotted key of a flag that takes no JSON, and config text that is not a JSON object', () => {
    expect(errorOf({ command: 'train', grid: { algo: ['bc'], 'steps.x': [1] } }).message).toBe(
      'grid.json: grid.steps.x: a dotted key sets one field of a JSON flag (config.<field>); "steps" is not one',
    );
    expect(errorOf({ command: 'train', args: { config: '[1]' }, grid: { algo: ['bc'] } }).message).toMatch(/^grid\.json: args\.config: --config takes a JSON object as text/);
    expect(errorOf({ command: 'train', grid: { algo: ['bc'], 'config..a': [1] } }).field).toBe('grid.config..a');
    expect(errorOf({ command: 'train', args: { config: '@base.json' }, grid: { algo: ['bc'], 'config.a': [1] } }).field).toBe('config.a');
    const withFile = check({ command: 'train', args: { config: '@base.json' }, grid: { algo: ['bc'] } });
    expect(sweepCells(withFile.spec, withFile.schema)[0]!.args).toEqual(['train', 'bc', '--config', '@base.json']);
  });

  it('reads YAML files', () => {
    const raw = parseSweepText('command: train\nargs: {env: CartPole-v1, online: true}\ngrid:\n  algo: [bc]\n  seed: [0, 1]\n', 'grid.yaml');
    const { spec, schema } = check(raw);
    expect(sweepCells(spec, schema)[1]!.args).toEqual(['train', 'bc', '--env', 'CartPole-v1', '--online', '--seed', '1']);
  });

  it('leaves out flags set to false and names a value with unsafe characters safely, keeping ids apart', () => {
    const { spec, schema } = check({ command: 'train', args: { online: false }, grid: { algo: ['bc'], dataset: ['data/a b.h5', 'data/a_b.h5'] } });
    const cells = sweepCells(spec, schema);
    expect(cells[0]!.args).toEqual(['train', 'bc', '--dataset', 'data/a b.h5']);
    expect(cells[0]!.id).toBe('algo=bc,dataset=data_a_b.h5');
    expect(cells[1]!.id).toMatch(/^algo=bc,dataset=data_a_b\.h5,[0-9a-f]{12}$/);
  });

  it.each([
    [[1, 2], '', 'a sweep spec is an object'],
    [{ ...ISSUE_SPEC, seeds: [0] }, 'seeds', 'unknown field (a spec has command, args, grid, out, report)'],
    [{ ...ISSUE_SPEC, command: 'trian' }, 'command', 'unknown command "trian" (one of: train)'],
    [{ ...ISSUE_SPEC, args: { ...ISSUE_SPEC.args, out: 'x' } }, 'args.out', 'the sweep sets --out itself'],
    [{ ...ISSUE_SPEC, args: { ...ISSUE_SPEC.args, '--steps': 3 } }, 'args.--steps', 'write flag names without dashes ("steps")'],
    [{ ...ISSUE_SPEC, args: { ...ISSUE_SPEC.args, stepz: 3 } }, 'args.stepz', '"stepz" is not a flag of `bellman train`'],
    [{ ...ISSUE_SPEC, args: { ...ISSUE_SPEC.args, steps: null } }, 'args.steps', 'a value is a string, a finite number or a boolean; got null'],
    [{ ...ISSUE_SPEC, grid: {} }, 'grid', 'with at least one flag'],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, seed: [0, { s: 1 }] } }, 'grid.seed[1]', 'got an object'],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, seed: [0, 1, 0] } }, 'grid.seed[2]', '0 is listed twice'],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, seed: [] } }, 'grid.seed', 'a non-empty list'],
    [{ ...ISSUE_SPEC, grid: { ...ISSUE_SPEC.grid, steps: [1, 2] } }, 'grid.steps', '"steps" is in args too'],
    [{ ...ISSUE_SPEC, grid: { seed: [0] } }, 'algo', 'needs "algo", in args or in grid'],
    [{ ...ISSUE_SPEC, report: { columns: 'dataset' } }, 'report.columns', 'a grid key (algo, seed)'],
    [{ ...ISSUE_SPEC, out: 3 }, 'out', 'a folder path; got number 3'],
  ])('rejects %j at field "%s"', (raw, field, message) => {
    const err = errorOf(raw);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
    expect(err.message.startsWith(`grid.json: ${field ? `${field}: ` : ''}`)).toBe(true);
  });

  it('names the file and the parser error of text that is not JSON or YAML', () => {
    expect(() => parseSweepText('{"command": "train",', 'grid.json')).toThrow(/^grid\.json: not valid JSON: /);
    expect(() => parseSweepText('grid: [1, 2\n', 'grid.yml')).toThrow(/^grid\.yml: not valid YAML: /);
  });

  it('keeps the schema it was checked against', () => {
    expect(check(ISSUE_SPEC).schema).toBe(TRAIN_SCHEMA);
  });
});
