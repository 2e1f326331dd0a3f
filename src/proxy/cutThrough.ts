import type { LineStream } from './lineFramer.js';

const NEWLINE = Buffer.from('\n');
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;

/** Options of {@link createCutThrough}. */
export interface CutThroughOptions {
  /** Writes bytes to the client, with the proxy's backpressure. */
  write(bytes: Buffer): void;
  /** Bytes of an unfinished line at which it may start to pass (the size from which the router reads only a line's envelope). */
  after: number;
  /** Nothing keeps a passed line once the router has read it (no recording): see LineStream.reuse. */
  reuse: boolean;
  /** Whether a line may start to pass now (false once the session ends or the client is gone). */
  mayPass(): boolean;
}

/** The client side of cut-through forwarding. */
export interface CutThrough {
  /** For the upstream's line framer. */
  readonly stream: LineStream;
  /** Writes one whole message for the client; while a line is passing, after it. */
  writeMessage(framed: Buffer): void;
}

/**
 * Cut-through forwarding of the upstream's long lines (stdio clients). A line that spans reads
 * goes to the client piece by piece as it arrives, as a pipe relay's would, instead of once it is
 * complete: a 100 KB result no longer waits for its last read before its first byte moves on (bench
 * row `proxy: tools/call with a 100 KB result, bare vs pipe relay`). Only a line that begins as a
 * JSON object passes (a batch is the router's to deliver), and only from `after` bytes on, where
 * the router forwards on the envelope alone anyway. While a line passes, every other message for
 * the client waits, so none lands inside it. A passing line that goes over the line limit is ended
 * with a newline where it stopped: the client sees one invalid line, then the proxy's error for it.
 */
export function createCutThrough(o: CutThroughOptions): CutThrough {
  let passing = false;
  let waiting: Buffer[] = [];
  return {
    stream: {
      after: o.after,
      reuse: o.reuse,
      begin(head) {
        if (!startsAnObject(head) || !o.mayPass()) return false;
        passing = true;
        return true;
      },
      data(piece) {
        o.write(piece);
      },
      end(complete) {
        if (!complete) o.write(NEWLINE);
        passing = false;
        const queued = waiting;
        waiting = [];
        for (const framed of queued) o.write(framed);
      },
    },
    writeMessage(framed) {
      if (passing) waiting.push(framed);
      else o.write(framed);
    },
  };
}

function startsAnObject(head: Buffer): boolean {
  for (const byte of head) {
    if (byte === SPACE || byte === TAB || byte === CR) continue;
    return byte === OPEN_BRACE;
  }
  return false;
}
