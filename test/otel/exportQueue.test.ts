import { afterEach, describe, expect, it, vi } from 'vitest';
import { createExportQueue, type DropCounter } from '../../src/otel/exportQueue.js';

/** A send whose batches the test settles by hand. */
function manualSend() {
  const calls: Array<{ batch: number[]; resolve: () => void; reject: (e: Error) => void }> = [];
  const send = (batch: number[]) => new Promise<void>((resolve, reject) => calls.push({ batch, resolve, reject }));
  return { calls, send };
}

const counter = (): DropCounter => ({ dropped: 0, pending: 0 });
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('createExportQueue', () => {
  afterEach(() => vi.useRealTimers());

  it('sends one batch at a time, up to maxBatch, and batches what arrives meanwhile', async () => {
    const { calls, send } = manualSend();
    const q = createExportQueue<number>({ send, maxBatch: 3 });
    const c = counter();
    q.add([1, 2], c);
    expect(calls).toHaveLength(0);
    await turn();
    expect(calls.map((x) => x.batch)).toEqual([[1, 2]]);
    q.add([3, 4, 5, 6, 7], c);
    await turn();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]!.batch).toEqual([3, 4, 5]);
    calls[1]!.resolve();
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    expect(calls[2]!.batch).toEqual([6, 7]);
    calls[2]!.resolve();
    await q.drain(c, 1000);
    expect(c).toEqual({ dropped: 0, pending: 0 });
  });

  it('drops what does not fit and what fails, counted per session and reported', async () => {
    const { calls, send } = manualSend();
    const drops: Array<[number, string]> = [];
    const q = createExportQueue<number>({ send, maxQueue: 4, onDrop: (n, why) => drops.push([n, why]) });
    const a = counter();
    const b = counter();
    q.add([1, 2, 3], a);
    q.add([4, 5, 6], b);
    expect(b.dropped).toBe(2);
    expect(drops).toEqual([[2, 'queue full (4 spans)']]);
    await turn();
    calls[0]!.reject(new Error('503 Service Unavailable'));
    await q.drain(a, 1000);
    await q.drain(b, 1000);
    expect(a).toEqual({ dropped: 3, pending: 0 });
    expect(b).toEqual({ dropped: 3, pending: 0 });
    expect(drops[1]).toEqual([4, '503 Service Unavailable']);
  });

  it('counts a send that never settles as failed after the timeout, and drain gives up on queued items after its wait', async () => {
    vi.useFakeTimers();
    const send = vi.fn(() => new Promise<void>(() => undefined));
    const q = createExportQueue<number>({ send, maxBatch: 2, timeoutMs: 5000 });
    const c = counter();
    q.add([1, 2, 3, 4], c);
    await vi.advanceTimersByTimeAsync(0);
    expect(send).toHaveBeenCalledTimes(1);
    let drained = false;
    void q.drain(c, 1000).then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(1000);
    // The two still queued are given up at once; the one in flight waits for its timeout.
    expect(c).toEqual({ dropped: 2, pending: 2 });
    expect(drained).toBe(false);
    await vi.advanceTimersByTimeAsync(4000);
    expect(c).toEqual({ dropped: 4, pending: 0 });
    expect(drained).toBe(true);
    expect(q.size).toBe(0);
  });
});
