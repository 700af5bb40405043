import { formatGroup, metricAt, reportTable, summarizeSweep, type CellResultFile } from '../src/index.js';

const cell = (algo: string, dataset: string, seed: number, evalReturnMean?: number): CellResultFile => ({
  id: `algo=${algo},dataset=${dataset},seed=${seed}`,
  params: { algo, dataset, seed },
  args: [],
  result: evalReturnMean === undefined ? { other: 1 } : { evalReturnMean, nested: { x: evalReturnMean / 2 } },
});

describe('summarizeSweep', () => {
  const cells = [cell('bc', 'a', 0, 10), cell('bc', 'a', 1, 14), cell('bc', 'a', 2, 12), cell('cql', 'a', 0, 1), cell('cql', 'a', 1), undefined, cell('bc', 'b', 0, 7)];
  const ids = cells.map((c, i) => c?.id ?? `missing-${i}`);

  it('groups by every grid value but the seed, with the sample std over seeds', () => {
    const report = summarizeSweep(ids, cells, 'evalReturnMean', 'seed');
    expect(report.groups.map((g) => g.params)).toEqual([{ algo: 'bc', dataset: 'a' }, { algo: 'cql', dataset: 'a' }, { algo: 'bc', dataset: 'b' }]);
    const [bcA] = report.groups;
    // 10, 14, 12: mean 12, squared deviations 4 + 4 + 0 over n - 1 = 2 -> std 2
    expect(bcA).toMatchObject({ mean: 12, std: 2, n: 3, values: [10, 14, 12], seeds: [0, 1, 2] });
    expect(report.groups[1]).toMatchObject({ mean: 1, std: 0, n: 1 });
    expect(report.unfinished).toEqual(['missing-5']);
    expect(report.withoutMetric).toEqual(['algo=cql,dataset=a,seed=1']);
  });

  it('reads a dotted metric path', () => {
    expect(metricAt({ nested: { x: 3 } }, 'nested.x')).toBe(3);
    expect(metricAt({ nested: { x: 'no' } }, 'nested.x')).toBeUndefined();
    expect(summarizeSweep(ids, cells, 'nested.x', 'seed').groups[0]!.mean).toBe(6);
  });

  it('tables groups as rows, or pivots a key into columns', () => {
    const report = summarizeSweep(ids, cells, 'evalReturnMean', 'seed');
    expect(reportTable(report, ['algo', 'dataset']).rows).toEqual([
      ['bc', 'a', '12.0 ± 2.0 (3)'],
      ['cql', 'a', '1.0 ± 0.0 (1)'],
      ['bc', 'b', '7.0 ± 0.0 (1)'],
    ]);
    const pivot = reportTable(report, ['dataset'], 'algo');
    expect(pivot.header).toEqual(['dataset', 'bc', 'cql']);
    expect(pivot.rows).toEqual([
      ['a', '12.0 ± 2.0 (3)', '1.0 ± 0.0 (1)'],
      ['b', '7.0 ± 0.0 (1)', '-'],
    ]);
    expect(formatGroup({ mean: 1.234, std: 0.05, n: 2 }, 2)).toBe('1.23 ± 0.05 (2)');
  });
});
