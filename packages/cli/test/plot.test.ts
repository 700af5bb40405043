import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { downsample, learningCurveSpec, plotMetrics, evalReturnMetric } from '../src/index.js';
import { lines, runCli, tempDir } from './helpers.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function writeRun(dir: string, algo: string, evalMeans: number[]): string {
  mkdirSync(dir, { recursive: true });
  const rows: string[] = [];
  for (let step = 1; step <= 200; step++) {
    rows.push(JSON.stringify({ step, loss: 1 / step, entropy: 0.5 }));
    if (step % 50 === 0) {
      const mean = evalMeans[step / 50 - 1]!;
      rows.push(JSON.stringify({ step, evalReturnMean: mean, evalReturnStd: 3 }));
    }
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ algo }));
  return join(dir, 'metrics.jsonl');
}

describe('plots', () => {
  it('writes a learning curve SVG with one path per run and a PNG', async () => {
    const dir = tempDir();
    const a = writeRun(join(dir, 'a'), 'bc', [20, 60, 120, 180]);
    const b = writeRun(join(dir, 'b'), 'cql', [10, 30, 50, 70]);
    const written = await plotMetrics([a, b], join(dir, 'curve'));
    expect(written.map((f) => f.slice(dir.length + 1))).toEqual(['curve.svg', 'curve.png', 'curve-losses.svg', 'curve-losses.png']);
    const svg = readFileSync(join(dir, 'curve.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    // one line mark per run, each a path through its 4 evaluation points (M then 3 L segments)
    const linePaths = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*d="(M[^"]+)"/g)].map((m) => m[1]!);
    expect(linePaths).toHaveLength(2);
    for (const d of linePaths) expect(d.match(/L/g)).toHaveLength(3);
    expect(svg.includes('>bc</text>') && svg.includes('>cql</text>')).toBe(true);
    const png = readFileSync(join(dir, 'curve.png'));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // PNG width (IHDR, bytes 16-19) is twice the SVG width: rendered at 2x
    const svgWidth = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(2 * svgWidth);
    expect(readFileSync(join(dir, 'curve-losses.svg'), 'utf8').includes('>loss</text>')).toBe(true);
  });

  it('puts the eval points where the data says: 4 points per run, y range covering 10..180', () => {
    const dir = tempDir();
    writeRun(join(dir, 'a'), 'bc', [20, 60, 120, 180]);
    const spec = learningCurveSpec([{ label: 'bc', rows: [{ step: 50, evalReturnMean: 20, evalReturnStd: 3 }, { step: 100, loss: 2 }] }]);
    const values = (spec as { data: { values: { step: number; mean: number; lo: number; hi: number }[] } }).data.values;
    expect(values).toEqual([{ step: 50, run: 'bc', mean: 20, lo: 17, hi: 23 }]);
  });

  it('finds the eval metric under other names and averages losses into buckets', () => {
    expect(evalReturnMetric([{ step: 1, 'eval/returnMean': 3, 'eval/returnStd': 1 }])).toEqual({ mean: 'eval/returnMean', std: 'eval/returnStd' });
    expect(evalReturnMetric([{ step: 1, loss: 3 }])).toBeUndefined();
    const pts = Array.from({ length: 10 }, (_, i) => ({ step: i + 1, value: i }));
    expect(downsample(pts, 5)).toEqual([
      { step: 2, value: 0.5 },
      { step: 4, value: 2.5 },
      { step: 6, value: 4.5 },
      { step: 8, value: 6.5 },
      { step: 10, value: 8.5 },
    ]);
  });

  it('`bellman plot` writes plot files into the first run directory, beside (not over) its curve files', async () => {
    const dir = tempDir();
    writeRun(join(dir, 'r1'), 'bc', [1, 2, 3, 4]);
    const res = await runCli(['plot', 'r1'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(lines(res.stdout)).toEqual([`wrote ${join(dir, 'r1', 'plot.svg')}`, `wrote ${join(dir, 'r1', 'plot.png')}`, `wrote ${join(dir, 'r1', 'plot-losses.svg')}`, `wrote ${join(dir, 'r1', 'plot-losses.png')}`]);
    expect(existsSync(join(dir, 'r1', 'plot.png'))).toBe(true);
    expect(existsSync(join(dir, 'r1', 'curve.png'))).toBe(false);
  });

  it('`bellman plot` on a directory without metrics is a usage error', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    const res = await runCli(['plot', 'empty'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toEqual(['bellman: error: empty has no metrics.jsonl (is it a run directory written by `bellman train`?)']);
  });
});
