import { describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import type { SessionMeta } from '../../src/core/session.js';
import { querySessions } from '../../src/catalog/sessionQuery.js';

function meta(id: string, started: string, extra: Partial<SessionMeta> = {}): SessionMeta {
  return { id, title: `title ${id}`, engine: 'proxy', status: 'completed', started_at: started, span_count: 0, error_count: 0, ...extra };
}

const metas: SessionMeta[] = [
  meta('sess-a1', '2026-01-01T10:00:00.000000Z', { status: 'failed', reason: 'abandoned' }),
  meta('sess-b2', '2026-01-02T10:00:00.000000Z', { engine: 'workflow', title: 'Nightly Build' }),
  meta('sess-c3', '2026-01-03T10:00:00.000000Z', { status: 'running', tags: { team: 'payments' } }),
  meta('sess-d4', '2026-01-03T10:00:00.000000Z', { status: 'paused', waiting_on: 'approve' }),
  meta('sess-e5', '2026-01-05T10:00:00.000000Z'),
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isInspectorError(err) ? err.code : 'not-inspector-error';
  }
  return undefined;
}

describe('querySessions', () => {
  it('sorts newest first, ties by id descending, without mutating the input', () => {
    const copy = [...metas];
    const page = querySessions(metas);
    expect(page.sessions.map((m) => m.id)).toEqual(['sess-e5', 'sess-d4', 'sess-c3', 'sess-b2', 'sess-a1']);
    expect(page.next_cursor).toBeUndefined();
    expect(metas).toEqual(copy);
  });

  it('filters by status, engine, query and time bounds', () => {
    expect(querySessions(metas, { status: 'failed' }).sessions.map((m) => m.id)).toEqual(['sess-a1']);
    expect(querySessions(metas, { status: ['running', 'paused'] }).sessions.map((m) => m.id)).toEqual(['sess-d4', 'sess-c3']);
    expect(querySessions(metas, { engine: 'workflow' }).sessions.map((m) => m.id)).toEqual(['sess-b2']);
    expect(querySessions(metas, { query: 'NIGHTLY' }).sessions.map((m) => m.id)).toEqual(['sess-b2']);
    expect(querySessions(metas, { query: 'payments' }).sessions.map((m) => m.id)).toEqual(['sess-c3']);
    expect(querySessions(metas, { query: 'approve' }).sessions.map((m) => m.id)).toEqual(['sess-d4']);
    expect(querySessions(metas, { since: '2026-01-03T10:00:00Z', until: '2026-01-05T10:00:00Z' }).sessions.map((m) => m.id)).toEqual([
      'sess-d4',
      'sess-c3',
    ]);
    expect(querySessions(metas, { since: '2026-01-03T11:00:00+01:00' }).sessions).toHaveLength(3);
    expect(querySessions([], { status: 'running' })).toEqual({ sessions: [] });
  });

  it('has_errors: sessions with real errors or that failed, or the others', () => {
    const withErrors = [...metas, meta('sess-f6', '2026-01-06T10:00:00.000000Z', { error_count: 2 })];
    expect(querySessions(withErrors, { has_errors: true }).sessions.map((m) => m.id)).toEqual(['sess-f6', 'sess-a1']);
    expect(querySessions(withErrors, { has_errors: false }).sessions.map((m) => m.id)).toEqual(['sess-e5', 'sess-d4', 'sess-c3', 'sess-b2']);
    expect(codeOf(() => querySessions(withErrors, { has_errors: 'yes' as unknown as boolean }))).toBe('INVALID_ARGUMENT');
  });

  it('pages with opaque cursors until the end, stable when newer sessions appear', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let list = metas;
    for (let i = 0; i < 10; i++) {
      const page = querySessions(list, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.sessions.map((m) => m.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
      // A session started later does not shift the pages that follow.
      list = [...list, meta(`sess-new${i}`, '2027-01-01T00:00:00.000000Z')];
    }
    expect(seen).toEqual(['sess-e5', 'sess-d4', 'sess-c3', 'sess-b2', 'sess-a1']);
  });

  it('rejects malformed cursors, cursors of other filters and bad filters', () => {
    const first = querySessions(metas, { limit: 1, status: 'completed' });
    expect(first.next_cursor).toBeDefined();
    expect(codeOf(() => querySessions(metas, { limit: 1, cursor: first.next_cursor! }))).toBe('INVALID_CURSOR');
    expect(querySessions(metas, { limit: 1, status: 'completed', cursor: first.next_cursor! }).sessions).toHaveLength(1);
    for (const bad of ['', 'not a cursor', '!!!', Buffer.from('{"v":2}').toString('base64url'), 'x'.repeat(600)]) {
      expect(codeOf(() => querySessions(metas, { cursor: bad }))).toMatch(/INVALID_CURSOR|INVALID_ARGUMENT/);
    }
    expect(codeOf(() => querySessions(metas, { since: 'yesterday' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => querySessions(metas, { limit: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => querySessions(metas, { limit: 501 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => querySessions(metas, { status: 'bogus' as never }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => querySessions(metas, { extra: 1 } as never))).toBe('INVALID_ARGUMENT');
  });
});
