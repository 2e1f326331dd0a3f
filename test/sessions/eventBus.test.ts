import { describe, expect, it } from 'vitest';
import { SessionEventSchema } from '../../src/core/events.js';
import { createEventBus } from '../../src/sessions/eventBus.js';

const SID = 'session-abc';
const resumed = () => ({ type: 'SessionResumed' as const, session_id: SID });

describe('createEventBus', () => {
  it('assigns monotonic ids <boot>-<seq> and valid timestamps', () => {
    const bus = createEventBus({ bootId: 'boot1' });
    const events = Array.from({ length: 5 }, () => bus.publish(resumed()));
    expect(events.map((e) => e.id)).toEqual(['boot1-1', 'boot1-2', 'boot1-3', 'boot1-4', 'boot1-5']);
    for (const e of events) expect(SessionEventSchema.safeParse(e).success).toBe(true);
  });

  it('keeps a given time (events merged from another process)', () => {
    const bus = createEventBus();
    const e = bus.publish({ ...resumed(), time: '2026-01-01T00:00:00.000001Z' });
    expect(e.time).toBe('2026-01-01T00:00:00.000001Z');
  });

  it('gives different boots different tokens', () => {
    const a = createEventBus().publish(resumed()).id;
    const b = createEventBus().publish(resumed()).id;
    expect(a.split('-')[0]).not.toBe(b.split('-')[0]);
  });

  it('replays events after an id, in order, without loss', () => {
    const bus = createEventBus({ bootId: 'b' });
    for (let i = 0; i < 10; i++) bus.publish(resumed());
    const r = bus.since('b-7');
    expect(r.lost).toBe(false);
    expect(r.events.map((e) => e.id)).toEqual(['b-8', 'b-9', 'b-10']);
    expect(bus.since('b-10')).toEqual({ events: [], lost: false });
    expect(bus.since(undefined).events).toHaveLength(10);
  });

  it('evicts the oldest events past capacity and reports lost', () => {
    const bus = createEventBus({ bootId: 'b', capacity: 3 });
    for (let i = 0; i < 10; i++) bus.publish(resumed());
    expect(bus.since(undefined).events.map((e) => e.id)).toEqual(['b-8', 'b-9', 'b-10']);
    const r = bus.since('b-2');
    expect(r.lost).toBe(true);
    expect(r.events.map((e) => e.id)).toEqual(['b-8', 'b-9', 'b-10']);
    // Exactly at the edge: b-7 was the last one evicted and nothing after it is missing.
    expect(bus.since('b-7')).toMatchObject({ lost: false });
  });

  it('marks ids from another boot, the future or garbage as lost', () => {
    const bus = createEventBus({ bootId: 'b' });
    bus.publish(resumed());
    for (const id of ['other-1', 'b-99', 'garbage', '-1', 'b-x']) {
      const r = bus.since(id);
      expect(r.lost).toBe(true);
      expect(r.events).toHaveLength(1);
    }
  });

  it('fans out to subscribers, survives a throwing listener, and unsubscribes', () => {
    const errors: unknown[] = [];
    const bus = createEventBus({ onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('boom');
    });
    const off = bus.subscribe((e) => seen.push(e.id));
    bus.publish(resumed());
    off();
    bus.publish(resumed());
    expect(seen).toHaveLength(1);
    expect(errors).toHaveLength(2);
  });

  it('rejects a malformed boot id', () => {
    expect(() => createEventBus({ bootId: 'a-b' })).toThrow(/bootId/);
  });
});
