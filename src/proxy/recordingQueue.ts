import { performance } from 'node:perf_hooks';
import type { MessageKind } from '../core/jsonRpc.js';
import type { ProxyRecorder } from './proxyRecorder.js';

/** What the queue drives: an RpcRecorder (src/instrumentation) created with `autoFlush: false`. */
export interface QueuedRecorderTarget {
  received(message: unknown, raw: string | undefined, context: { time: number }): unknown;
  sent(message: unknown, raw: string | undefined, context: { time: number }): unknown;
  malformed(direction: 'received' | 'sent', raw: string, error: string, time: number): void;
  /** Runs the recorder's deferred span building now. */
  flush(): void;
  close(reason?: string): unknown;
  stats(): { requests: number; toolCalls: number; errors: number; spans: number };
}

export interface RecordingQueueOptions {
  /** Most time one turn of the event loop spends recording before letting I/O in again. Default 0.25 ms. */
  sliceMs?: number;
  /**
   * How long the first message into an empty queue waits before recording starts, so that the
   * messages of that window are recorded together in one go. 0: at the next turn. Default 10 ms.
   */
  delayMs?: number;
  /** Unrecorded messages at which recording starts at the next turn without waiting out `delayMs`. Default 256. */
  backlogMessages?: number;
  /**
   * Requests in flight (seen and not yet answered, either direction) at or above which the proxy
   * counts as busy: it then records at the next turn, as messages come, instead of in batches.
   * Default 2 (one request at a time is ping-pong).
   */
  busyInFlight?: number;
  /**
   * Most time a message may wait unrecorded: past it a slice keeps recording beyond `sliceMs`
   * until the oldest waiting message is younger again. It bounds what a crash can cost (what
   * waits here is lost with the process) and, when recording cannot keep up with the traffic,
   * slows forwarding to the pace of recording (each turn still ends). Default 20 ms.
   */
  maxLagMs?: number;
}

const RECEIVED = 0;
const SENT = 1;
const MALFORMED_RECEIVED = 2;
const MALFORMED_SENT = 3;
const RECEIVED_LINE = 4;
const SENT_LINE = 5;
/** Slots per queued message: kind, message (or raw line), raw (or error, or where the line ends), time. */
const SLOTS = 4;

/**
 * A ProxyRecorder that keeps recording off the forwarding path: each call only notes the
 * message and the time it was seen (a few array slots, no allocation per message beyond the
 * array's growth); the recorder sees the messages in order, with those times, later: `delayMs`
 * after the first message of a batch (sooner once `backlogMessages` are waiting), then in slices
 * of at most `sliceMs` with I/O let in between (setImmediate), so that a backlog never holds up
 * the next message to forward, unless its oldest message has waited `maxLagMs`: then the slice
 * records until it is younger, which bounds what a crash can lose here. Why batch rather than record at the next turn: the proxy's
 * peers (client, upstream) often share its core, and a pipe write wakes the reader onto the
 * writer's core expecting the writer to sleep, so recording right after each forward puts
 * cold-cache work between every wake-up and the woken peer; batched, it runs with warm caches
 * and touches one round trip in dozens (bench "proxy: tools/call sequential, recording vs
 * bare"). With several requests in flight (`busyInFlight`) the peers are running anyway and
 * recording at the next turn is faster (bench "proxy: tools/call 16 in flight, recording vs bare").
 * `stats()` and `close()` first record everything queued. Messages must not be mutated after
 * they are handed over (the router never does).
 */
export function createRecordingQueue(target: QueuedRecorderTarget, options: RecordingQueueOptions = {}): ProxyRecorder {
  const sliceMs = options.sliceMs ?? 0.25;
  const delayMs = options.delayMs ?? 10;
  const backlogSlots = SLOTS * Math.max(1, options.backlogMessages ?? 256);
  const busyInFlight = options.busyInFlight ?? 2;
  const maxLagUs = 1000 * (options.maxLagMs ?? 20);
  /** Requests seen and not yet answered, as far as ids tell (a request never answered keeps counting). */
  let inFlight = 0;
  let queue: unknown[] = [];
  let head = 0;
  /** The armed `delayMs` timer, if any. */
  let timer: NodeJS.Timeout | undefined;
  /** A slice is queued with setImmediate. */
  let immediate = false;
  let closed = false;
  // nowMicros() from core/time, without reading the timeOrigin getter per message.
  const origin = performance.timeOrigin;
  const now = (): number => Math.round((origin + performance.now()) * 1000);

  const recordOne = (): void => {
    const kind = queue[head] as number;
    const a = queue[head + 1];
    const b = queue[head + 2];
    const time = queue[head + 3] as number;
    queue[head + 1] = undefined;
    queue[head + 2] = undefined;
    head += SLOTS;
    if (kind === RECEIVED) target.received(a, b as string | undefined, { time });
    else if (kind === SENT) target.sent(a, b as string | undefined, { time });
    else if (kind === RECEIVED_LINE || kind === SENT_LINE) recordLine(kind === RECEIVED_LINE, a as Buffer, b as number, time);
    else target.malformed(kind === MALFORMED_RECEIVED ? 'received' : 'sent', a as string, b as string, time);
  };

  /** A line the router forwarded unparsed (scanEnvelope vouched for it): parsed here, off the forwarding path. */
  const recordLine = (received: boolean, line: Buffer, end: number, time: number): void => {
    const text = line.toString('utf8', 0, end);
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      // Cannot happen for a line scanEnvelope accepted; if it ever does, the record says so.
      target.malformed(received ? 'received' : 'sent', text, `parse error: ${(err as Error).message}`, time);
      return;
    }
    if (received) target.received(message, text, { time });
    else target.sent(message, text, { time });
  };

  const reset = (): void => {
    if (queue.length > 1024) queue = [];
    else queue.length = 0;
    head = 0;
  };

  /** Records everything queued, now. */
  const drainAll = (): void => {
    while (head < queue.length) recordOne();
    target.flush();
    reset();
  };

  const slice = (): void => {
    immediate = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    const deadline = performance.now() + sliceMs;
    while (head < queue.length) {
      recordOne();
      target.flush();
      if (performance.now() >= deadline && (head >= queue.length || now() - (queue[head + 3] as number) < maxLagUs)) break;
    }
    if (head >= queue.length) reset();
    else sliceSoon(); // a backlog: keep at it, letting I/O in between
  };

  const sliceSoon = (): void => {
    if (immediate) return;
    immediate = true;
    setImmediate(slice);
  };

  const push = (kind: number, a: unknown, b: unknown, messageKind?: MessageKind): void => {
    if (closed) return;
    queue.push(kind, a, b, now());
    if (messageKind === undefined && kind <= SENT && a !== null && typeof a === 'object') {
      const m = a as { id?: unknown; method?: unknown };
      if (m.id !== undefined) messageKind = m.method !== undefined ? 'request' : 'response';
    }
    if (messageKind === 'request') inFlight++;
    else if (messageKind === 'response') inFlight = Math.max(0, inFlight - 1);
    if (immediate) return;
    if (inFlight >= busyInFlight || delayMs <= 0 || queue.length - head >= backlogSlots) sliceSoon();
    else timer ??= setTimeout(slice, delayMs);
  };

  return {
    received: (message, raw) => push(RECEIVED, message, raw),
    sent: (message, raw) => push(SENT, message, raw),
    receivedLine: (line, end, kind) => push(RECEIVED_LINE, line, end, kind),
    sentLine: (line, end, kind) => push(SENT_LINE, line, end, kind),
    malformed: (direction, raw, error) => push(direction === 'received' ? MALFORMED_RECEIVED : MALFORMED_SENT, raw, error),
    close(reason) {
      if (closed) return undefined;
      drainAll();
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      return target.close(reason);
    },
    stats() {
      if (!closed) drainAll();
      return target.stats();
    },
  };
}
