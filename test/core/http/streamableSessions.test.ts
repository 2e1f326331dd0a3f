import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamableSessions, type SessionActivity } from '../../../src/core/http/streamableSessions.js';

type S = SessionActivity & { name: string };
const session = (name: string): S => ({ name, active: 0, lastSeen: Date.now() });

describe('StreamableSessions', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts sessions being opened against the cap until released, once per release', () => {
    const table = new StreamableSessions<S>({ idleMs: 0, maxSessions: 2, onIdle: () => {} });
    const r1 = table.reserve()!;
    const r2 = table.reserve()!;
    expect(table.reserve()).toBeUndefined();
    table.set('a', session('a'));
    r1();
    r1();
    expect(table.reserve()).toBeUndefined(); // a + the one still opening
    r2();
    expect(table.reserve()).toBeDefined();
    table.stop();
  });

  it('closes a session idle for idleMs, not one with a request open, and only once per idle spell', () => {
    vi.useFakeTimers();
    const idle: string[] = [];
    const table = new StreamableSessions<S>({ idleMs: 1000, maxSessions: 10, onIdle: (s, id) => idle.push(`${s.name}:${id}`) });
    const busy = session('busy');
    table.set('1', session('quiet'));
    table.set('2', busy);
    const res = new EventEmitter();
    table.hold(busy, res);
    vi.advanceTimersByTime(3000);
    expect(idle).toEqual(['quiet:1']);
    res.emit('close');
    expect(busy.active).toBe(0);
    vi.advanceTimersByTime(3000);
    expect(idle).toEqual(['quiet:1', 'busy:2']);
    table.stop();
    vi.advanceTimersByTime(10_000);
    expect(idle).toHaveLength(2);
  });
});
