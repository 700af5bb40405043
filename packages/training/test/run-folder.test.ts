import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsFileError, cutMetrics, removeStaleTempFiles } from '../src/node.js';

describe('run folder upkeep', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bellman-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts the metrics back to the checkpoint step and drops a torn last line', () => {
    const path = join(dir, 'metrics.jsonl');
    writeFileSync(path, '{"step":10,"loss":1}\n{"step":20,"loss":0.5}\n{"step":30,"loss":0.2}\n{"step":40,"lo');
    expect(cutMetrics(path, 20)).toEqual({ kept: 2, dropped: 1, tornLine: true });
    expect(readFileSync(path, 'utf8')).toBe('{"step":10,"loss":1}\n{"step":20,"loss":0.5}\n');
    expect(cutMetrics(join(dir, 'none.jsonl'), 5)).toEqual({ kept: 0, dropped: 0, tornLine: false });
  });

  it('names the damaged line and leaves the file as it was', () => {
    const path = join(dir, 'metrics.jsonl');
    const text = '{"step":10}\nnot json\n{"step":20}\n';
    writeFileSync(path, text);
    expect(() => cutMetrics(path, 20)).toThrow(MetricsFileError);
    expect(() => cutMetrics(path, 20)).toThrow(`${path}:2 is not a JSON line; the metrics file is damaged`);
    writeFileSync(path, '{"loss":1}\n{"step":2}\n');
    expect(() => cutMetrics(path, 20)).toThrow(`${path}:1 has no "step"`);
    writeFileSync(path, text);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('removes the temporary files of interrupted atomic writes only', () => {
    writeFileSync(join(dir, '.checkpoint.json.tmp-123-456'), 'x');
    writeFileSync(join(dir, 'checkpoint.json'), '{}');
    writeFileSync(join(dir, '.hidden'), '');
    expect(removeStaleTempFiles(dir)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.hidden', 'checkpoint.json']);
    expect(removeStaleTempFiles(join(dir, 'missing'))).toBe(0);
    expect(existsSync(join(dir, 'checkpoint.json'))).toBe(true);
  });
});
