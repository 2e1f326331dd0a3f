import { describe, expect, it } from 'vitest';
import { Listeners } from '../../src/core/listeners.js';

describe('Listeners', () => {
  it('tells every listener in order, reports one that throws, and still tells the rest', () => {
    const errors: unknown[] = [];
    const heard: string[] = [];
    const listeners = new Listeners<number>((err) => errors.push(err));
    listeners.add((n) => heard.push(`a${n}`));
    listeners.add(() => {
      throw new Error('boom');
    });
    listeners.add((n) => heard.push(`c${n}`));
    listeners.emit(1);
    expect(heard).toEqual(['a1', 'c1']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  it('applies additions and removals made during an emit from the next emit on', () => {
    const heard: string[] = [];
    const listeners = new Listeners<number>(() => {});
    let removeB: () => void = () => {};
    listeners.add((n) => {
      heard.push(`a${n}`);
      removeB();
      listeners.add((m) => heard.push(`late${m}`));
    });
    removeB = listeners.add((n) => heard.push(`b${n}`));
    listeners.emit(1);
    expect(heard).toEqual(['a1', 'b1']);
    heard.length = 0;
    listeners.clear();
    listeners.emit(2);
    expect(heard).toEqual([]);
    expect(listeners.size).toBe(0);
  });
});
