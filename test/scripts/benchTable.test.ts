import { describe, expect, it } from 'vitest';
import { renderTable, type BenchRow } from '../../bench/benchRow.js';
import { joinBenchTables, parseBenchTable } from '../../scripts/benchTable.mjs';

const row = (name: string, measured: string, ok = true, target = '(reported)', baseline = '-'): BenchRow => ({ name, measured, target, baseline, ok });

describe('parseBenchTable', () => {
  it('reads back every row renderTable printed, cells containing | and ok NO included', () => {
    const rows = [
      row('persist throughput (2 KB spans)', '41,200 spans/s', true, '>= 80% of zlib', 'zlib alone 45,000 spans/s'),
      row('a | b in the name', 'p50 1 µs | p99 2 µs', false, 'x | y', 'left | right'),
      row('store (failed)', 'ENOENT: no such file', false, '-', '-'),
    ];
    const text = `bench: store...\nsome stray line on stdout\n${renderTable(rows)}\n`;
    expect(parseBenchTable(text)).toEqual(rows);
  });

  it('fails clearly when there is no table', () => {
    expect(() => parseBenchTable('bench: unknown suite(s) nope; known: store, proxy\n')).toThrow(/no bench table found/);
    expect(() => parseBenchTable('')).toThrow(/no bench table found/);
  });

  it('keeps a row whose cell held a line break as an unparsed row instead of dropping it', () => {
    const text = renderTable([row('ok row', '1 ms'), row('proxy (failed)', 'first line\nsecond line', false), row('last row', '2 ms')]);
    const parsed = parseBenchTable(text);
    expect(parsed.map((r) => r.name)).toEqual(['ok row', '(unparsed line 4)', '(unparsed line 5)', 'last row']);
    expect(parsed[1]).toMatchObject({ measured: expect.stringContaining('first line'), ok: false });
    expect(parsed[3]).toMatchObject({ measured: '2 ms', ok: true });
  });

  it('stops at the blank line after the table', () => {
    const text = `${renderTable([row('only', '3 ms')])}\n\nbenchmark trailer | not a row\n`;
    expect((parseBenchTable(text)).map((r) => r.name)).toEqual(['only']);
  });
});

describe('joinBenchTables', () => {
  const labels = { before: '0f48925', after: 'HEAD abc1234' };
  const parse = (rows: BenchRow[]) => parseBenchTable(renderTable(rows));

  it('joins rows by name, lists one-sided rows after, and the A/B rows last', () => {
    const before = parse([
      row('store: persist', '40,000 spans/s', true, '>= 80% of zlib'),
      row('proxy: tools/call sequential, recording vs bare', 'p50 300 µs', false, 'p50 <= 1.10x bare'),
      row('http (failed)', 'listen EADDRINUSE', false, '-'),
    ]);
    const after = parse([
      row('proxy: tools/call sequential, recording vs bare', 'p50 280 µs', true, 'p50 <= 1.10x bare'),
      row('store: persist', '42,000 spans/s', true, '>= 85% of zlib'),
      row('ui: first paint', '120 ms'),
      row('proxy A/B: bare, sequential p50, new vs old build', 'p50 250 µs (0.95x old)', true, '<= 1.10x old', 'old build p50 263 µs'),
    ]);
    const md = joinBenchTables(before, after, labels);
    const lines = md.split('\n');
    expect(lines).toContain('| row | before (0f48925) | after (HEAD abc1234) | target | ok |');
    // Both-sided rows in the after table's order, ok change and target change marked.
    const both = lines.filter((l) => l.startsWith('| proxy: tools/call') || l.startsWith('| store: persist'));
    expect(both).toEqual([
      '| proxy: tools/call sequential, recording vs bare | p50 300 µs | p50 280 µs | p50 <= 1.10x bare | yes (was NO) |',
      '| store: persist | 40,000 spans/s | 42,000 spans/s | >= 85% of zlib (was >= 80% of zlib) | yes |',
    ]);
    const onlyBefore = md.indexOf('Rows only before (0f48925)');
    const onlyAfter = md.indexOf('Rows only after (HEAD abc1234)');
    const abAt = md.indexOf('### Proxy A/B');
    expect(onlyBefore).toBeGreaterThan(md.indexOf('| store: persist'));
    expect(onlyAfter).toBeGreaterThan(onlyBefore);
    expect(abAt).toBeGreaterThan(onlyAfter);
    expect(md.slice(onlyBefore, onlyAfter)).toContain('| http (failed) | listen EADDRINUSE | - | NO |');
    expect(md.slice(onlyAfter, abAt)).toContain('| ui: first paint | 120 ms | (reported) | yes |');
    expect(md.slice(onlyAfter, abAt)).not.toContain('A/B');
    expect(md.slice(abAt)).toContain('| proxy A/B: bare, sequential p50, new vs old build | p50 250 µs (0.95x old) | p50 263 µs | <= 1.10x old | yes |');
  });

  it('escapes | in markdown cells and keeps rows with a repeated name apart', () => {
    const before = parse([row('dup', '1 ms'), row('dup', '2 ms'), row('pipe | row', 'a|b')]);
    const after = parse([row('dup', '3 ms'), row('dup', '4 ms'), row('pipe | row', 'c|d')]);
    const md = joinBenchTables(before, after, labels);
    expect(md).toContain('| dup | 1 ms | 3 ms | (reported) | yes |');
    expect(md).toContain('| dup (2) | 2 ms | 4 ms | (reported) | yes |');
    expect(md).toContain('| pipe \\| row | a\\|b | c\\|d | (reported) | yes |');
    expect(md).not.toContain('Rows only');
  });

  it('still prints every after row when the before side has none', () => {
    const md = joinBenchTables([], parse([row('store: persist', '42,000 spans/s')]), labels);
    expect(md).toContain('Rows only after (HEAD abc1234)');
    expect(md).toContain('| store: persist | 42,000 spans/s | (reported) | yes |');
  });
});
