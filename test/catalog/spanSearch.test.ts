import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionCatalog, type SessionCatalog } from '../../src/catalog/sessionCatalog.js';
import { compileSpanSearch, searchSpans, type SpanMatch } from '../../src/catalog/spanSearch.js';
import { tempTracesDir, writeFixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('span search', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let catalog: SessionCatalog;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'search-older', spans: 10, errorEvery: 5, startMicros: Date.UTC(2026, 0, 1) * 1000 });
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'search-newer', spans: 10, errorEvery: 5, startMicros: Date.UTC(2026, 0, 2) * 1000 });
    catalog = createSessionCatalog({ tracesDir: dir, watch: false });
  });
  afterAll(async () => {
    await catalog?.close();
    await cleanup?.();
  });

  const run = async (search: Parameters<typeof compileSpanSearch>[0], position?: { o: number; s?: string }, pageSize = Infinity) => {
    const taken: SpanMatch[] = [];
    const progress = await searchSpans(await catalog.list(), (id) => catalog.loadTrace(id), compileSpanSearch(search), position, (m) => taken.length < pageSize && taken.push(m) > 0);
    return { taken, progress };
  };

  it('finds errors newest first and says where the next page starts', async () => {
    const { taken, progress } = await run({ status: 'error', sort: 'time' }, undefined, 3);
    expect(taken.map((m) => m.meta.id)).toEqual(['search-newer', 'search-newer', 'search-older']);
    expect(taken.every((m) => m.facts.isError && m.match === '')).toBe(true);
    expect(progress.next).toEqual({ s: 'search-older', o: expect.any(Number) });
    const rest = await run({ status: 'error', sort: 'time' }, progress.next);
    expect(rest.taken.map((m) => m.meta.id)).toEqual(['search-older']);
    expect(rest.progress.next).toBeUndefined();
  });

  it('ranks the slowest first across sessions and matches text with where it was found', async () => {
    const { taken } = await run({ sort: 'duration' }, undefined, 2);
    expect(taken[0]!.facts.durationMs).toBeGreaterThanOrEqual(taken[1]!.facts.durationMs);
    const text = await run({ query: 'INVALID INPUT #4', sort: 'time' });
    expect(text.taken.map((m) => m.meta.id)).toEqual(['search-newer', 'search-older']);
    expect(text.taken[0]!.match).toMatch(/invalid input #4/);
  });

  it('skips sessions outside the time window, rejects bad bounds and cursors into a session that is gone', async () => {
    const { taken } = await run({ since: '2026-01-02T00:00:00Z', sort: 'time' });
    expect(new Set(taken.map((m) => m.meta.id))).toEqual(new Set(['search-newer']));
    expect(() => compileSpanSearch({ since: 'yesterday', sort: 'time' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await expect(run({ sort: 'time' }, { o: 0, s: 'search-gone' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
