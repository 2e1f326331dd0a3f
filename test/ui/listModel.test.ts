import { describe, expect, it } from 'vitest';
import type { SessionRow } from '../../ui/src/api.js';
import type { LiveEvent } from '../../ui/src/events.js';
import { applyEvent, filterQuery, matchesFilter, statusFromLive } from '../../ui/src/list/sessionModel.js';

const row: SessionRow = { id: 'sess-0001', title: 'import', engine: 'workflow', status: 'running', started_at: '2026-12-04T16:00:00.000Z', span_count: 10, error_count: 1 };
const at = { id: 'b-1', time: '2026-12-04T16:00:01.000Z', session_id: 'sess-0001' };

describe('the list model (events applied to rows)', () => {
  it('creates a row only from SessionStarted, and a replayed SessionStarted changes nothing', () => {
    expect(applyEvent(undefined, { ...at, type: 'Heartbeat', status: 'running', requests: 1, tool_calls: 1, errors: 0, span_count: 3 })).toBeUndefined();
    expect(applyEvent(undefined, { ...at, type: 'SessionStarted', title: 't', engine: 'proxy' })).toMatchObject({ id: 'sess-0001', status: 'running', span_count: 0, started_at: at.time });
    expect(applyEvent(row, { ...at, type: 'SessionStarted', title: 'other', engine: 'proxy' })).toBeUndefined();
  });

  it('counts only grow (a replayed older heartbeat does not move them back) and a finished session never changes', () => {
    const hb = (span_count: number, error_count: number): LiveEvent => ({ ...at, type: 'Heartbeat', status: 'running', requests: 0, tool_calls: 0, errors: 0, span_count, error_count });
    expect(applyEvent(row, hb(12, 2))).toMatchObject({ span_count: 12, error_count: 2 });
    expect(applyEvent(row, hb(5, 0))).toBeUndefined();
    const done = applyEvent(row, { ...at, type: 'SessionFinished', status: 'failed', reason: 'boom', duration_ms: 900 })!;
    expect(done).toMatchObject({ status: 'failed', reason: 'boom', duration_ms: 900, ended_at: at.time });
    expect(applyEvent(done, hb(99, 9))).toBeUndefined();
    expect(applyEvent(done, { ...at, type: 'SessionResumed' })).toBeUndefined();
  });

  it('reads waiting from waiters and approvals, paused from pause, running after resume', () => {
    const live = { paused: false, cancelled: false, held: [], waiters: [] };
    expect(statusFromLive(live)).toEqual({ status: 'running' });
    expect(statusFromLive({ ...live, paused: true })).toEqual({ status: 'paused' });
    expect(statusFromLive({ ...live, held: [{ id: 7, kind: 'request', method: 'tools/call', awaiting_approval: true, since: at.time }] })).toEqual({ status: 'paused', waiting_on: 'approve' });
    expect(statusFromLive({ ...live, waiters: [{ signal: 'approve_plan', since: at.time }] })).toEqual({ status: 'paused', waiting_on: 'approve_plan' });
    const waiting = applyEvent(row, { ...at, type: 'LiveStateChanged', live: { ...live, waiters: [{ signal: 'approve_plan', since: at.time }] } })!;
    expect(waiting).toMatchObject({ status: 'paused', waiting_on: 'approve_plan' });
    expect(applyEvent(waiting, { ...at, type: 'SessionResumed' })).toMatchObject({ status: 'running' });
    expect(applyEvent(waiting, { ...at, type: 'SessionResumed' })!.waiting_on).toBeUndefined();
  });

  it('filters: waiting means paused on something; text matches title or id, case-insensitive', () => {
    expect(matchesFilter({ ...row, status: 'paused', waiting_on: 'approve' }, { status: 'waiting' })).toBe(true);
    expect(matchesFilter({ ...row, status: 'paused' }, { status: 'waiting' })).toBe(false);
    expect(matchesFilter(row, { text: 'IMP' })).toBe(true);
    expect(matchesFilter(row, { text: '0001' })).toBe(true);
    expect(matchesFilter(row, { engine: 'proxy' })).toBe(false);
    expect(filterQuery({ status: 'waiting', engine: 'proxy', text: 'a b' }, 'c1')).toBe('status=paused&engine=proxy&query=a+b&limit=100&cursor=c1');
  });
});
