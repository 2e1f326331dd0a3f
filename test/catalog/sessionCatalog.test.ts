import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeLive, mergeSessionLists } from '../../src/catalog/mergeLive.js';
import { createSessionCatalog, type SessionCatalog } from '../../src/catalog/sessionCatalog.js';
import type { SessionChange } from '../../src/catalog/sessionChanges.js';
import type { SessionMeta } from '../../src/core/session.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry, registerLiveSession, type LiveSessionRegistry } from '../../src/sessions/liveSessionRegistry.js';
import { createRequestGate } from '../../src/sessions/requestGate.js';
import { createLocalSessionControl, type SessionControl } from '../../src/sessions/sessionControl.js';
import { createTraceWriter, type TraceWriter } from '../../src/store/traceWriter.js';
import { fixtureSpan, tempTracesDir, writeFixtureTrace } from '../fixtures/traces/generateTrace.js';

const base: SessionMeta = { id: 'merge-one', title: 'on disk', engine: 'proxy', status: 'running', started_at: '2026-01-01T00:00:00.000000Z', span_count: 3, error_count: 0 };

describe('mergeLive', () => {
  it('takes status, waiting_on and counts from the live meta, everything else from the disk, gaps from the live meta', () => {
    const disk: SessionMeta = { ...base, waiting_on: 'stale', tags: { from: 'disk' } };
    const live: SessionMeta = { ...base, title: 'live title', status: 'paused', span_count: 9, error_count: 2, tags: { from: 'live' }, pid: 4242 };
    expect(mergeLive(disk, live)).toEqual({ ...base, title: 'on disk', status: 'paused', span_count: 9, error_count: 2, tags: { from: 'disk' }, pid: 4242 });
    expect(mergeLive(disk, { ...live, waiting_on: 'approve' })?.waiting_on).toBe('approve');
    expect(mergeLive(undefined, live)).toBe(live);
    expect(mergeLive(disk, undefined)).toBe(disk);
    expect(mergeLive(undefined, undefined)).toBeUndefined();
  });

  it('lists each id once, newest first, live-only sessions included', () => {
    const older = { ...base, id: 'older', started_at: '2026-01-01T00:00:00Z' };
    const newer = { ...base, id: 'newer', started_at: '2026-01-02T00:00:00Z' };
    const liveOnly = { ...base, id: 'live-only', started_at: '2026-01-03T00:00:00Z' };
    const merged = mergeSessionLists([newer, older], [{ ...older, status: 'paused' }, liveOnly]);
    expect(merged.map((m) => [m.id, m.status])).toEqual([['live-only', 'running'], ['newer', 'running'], ['older', 'paused']]);
  });
});

describe('session catalog', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let registry: LiveSessionRegistry;
  let control: SessionControl;
  let writer: TraceWriter;
  let catalog: SessionCatalog;
  let readOnly: SessionCatalog;
  const LIVE = 'catalog-live-01';

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'catalog-done', spans: 4, status: 'completed' });
    const bus = createEventBus();
    registry = createLiveSessionRegistry({ bus });
    writer = createTraceWriter({ tracesDir: dir, sessionId: LIVE, title: 'title on disk', engine: 'workflow' });
    writer.write(fixtureSpan(LIVE, 0, {}));
    await writer.flush();
    await registerLiveSession(registry, {
      sessionId: LIVE,
      title: 'title of the live session',
      engine: 'workflow',
      writer,
      gate: createRequestGate({ bus, sessionId: LIVE }),
      stats: () => ({ requests: 0, toolCalls: 0, errors: 2, spans: 7 }),
      cancel: async () => undefined,
    });
    control = createLocalSessionControl({ registry });
    catalog = createSessionCatalog({ tracesDir: dir, control, watch: false });
    readOnly = createSessionCatalog({ tracesDir: dir, watch: false });
  });
  afterAll(async () => {
    await catalog?.close();
    await readOnly?.close();
    await control?.close();
    await registry?.close();
    await writer?.close();
    await cleanup?.();
  });

  it('merges a session on disk and live by the one rule, in the list and by id', async () => {
    const listed = (await catalog.list()).filter((m) => m.id === LIVE);
    expect(listed).toHaveLength(1);
    const got = await catalog.get(LIVE);
    expect(listed[0]).toEqual(got);
    expect(got).toMatchObject({ title: 'title on disk', status: 'running', span_count: 7, error_count: 2 });
    expect((await readOnly.get(LIVE)).title).toBe('title on disk');
    expect((await catalog.query({ status: 'completed' })).sessions.map((m) => m.id)).toEqual(['catalog-done']);
  });

  it('answers unknown ids with close matches, and find with undefined', async () => {
    await expect(catalog.get('catalog-live-02')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', message: expect.stringMatching(/Did you mean: catalog-live-01/) });
    expect(await catalog.find('nothing-like-it')).toBeUndefined();
    await expect(catalog.find('../etc')).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
  });

  it('steers live sessions; a recorded one is not live, an unknown one not found, without control unavailable', async () => {
    const changes: SessionChange[] = [];
    const seen = new Promise<void>((resolve) => {
      const stop = catalog.subscribe((c) => {
        changes.push(c);
        if (c.sessionId === LIVE && c.kind === 'status') {
          stop();
          resolve();
        }
      });
    });
    expect(await catalog.signal(LIVE, 'pause')).toMatchObject({ session_id: LIVE, status: 'paused' });
    await seen;
    expect((await catalog.get(LIVE)).status).toBe('paused');
    expect(await catalog.signal(LIVE, 'resume')).toMatchObject({ status: 'running' });
    await expect(catalog.signal('catalog-done', 'pause')).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE', message: expect.stringMatching(/not live: it is completed/) });
    await expect(catalog.signal('catalog-dne', 'pause')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', message: expect.stringMatching(/Did you mean: catalog-done/) });
    await expect(readOnly.signal(LIVE, 'pause')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(readOnly.signal('catalog-dne', 'pause')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('describes a session with its summary', async () => {
    const { meta, summary } = await catalog.describe('catalog-done', 20_000);
    expect(meta.id).toBe('catalog-done');
    expect(summary.span_count).toBe(4);
  });
});
