import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvLogger, JsonlLogger, readJsonlMetrics } from '../src/node.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bellman-logger-'));

describe('CsvLogger', () => {
  it('keeps the table rectangular when a column appears mid-run', () => {
    const path = join(dir(), 'm.csv');
    const csv = new CsvLogger(path);
    csv.log(1, { loss: 0.5 });
    csv.log(2, { loss: 0.25 });
    expect(readFileSync(path, 'utf8')).toBe('step,loss\n1,0.5\n2,0.25\n');
    csv.log(2, { eval_return_mean: 9 });
    csv.log(3, { loss: 0.125 });
    csv.close();
    expect(readFileSync(path, 'utf8')).toBe('step,loss,eval_return_mean\n1,0.5,\n2,0.25,\n2,,9\n3,0.125,\n');
  });

  it('a logger started from the JSONL rows of a stopped run and continued writes the bytes of one that never stopped', () => {
    const d = dir();
    const rows: [number, Record<string, number>][] = [[1, { loss: 1 / 3 }], [2, { eval_return_mean: 200 }], [3, { loss: 0.1, q: Number.NaN }], [4, { loss: 2e-9 }]];
    const whole = new CsvLogger(join(d, 'whole.csv'));
    for (const [step, m] of rows) whole.log(step, m);
    whole.close();

    const jsonl = new JsonlLogger(join(d, 'first.jsonl'));
    for (const [step, m] of rows.slice(0, 2)) jsonl.log(step, m);
    const resumed = new CsvLogger(join(d, 'resumed.csv'), { rows: readJsonlMetrics(join(d, 'first.jsonl')) });
    for (const [step, m] of rows.slice(2)) resumed.log(step, m);
    resumed.close();
    expect(readFileSync(join(d, 'resumed.csv'), 'utf8')).toBe(readFileSync(join(d, 'whole.csv'), 'utf8'));
  });

  it('an empty run still gets a header', () => {
    const path = join(dir(), 'empty.csv');
    new CsvLogger(path).close();
    expect(readFileSync(path, 'utf8')).toBe('step\n');
  });
});
