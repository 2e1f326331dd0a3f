/**
 * Called once per complete line: `framed` holds the line's original bytes including its `\n`;
 * `end` is where the content ends (before `\r\n` or `\n`); `passed`: every byte of it already
 * went to `stream.data` (LineFramerOptions.stream). With `stream.reuse`, a passed line's `framed`
 * is valid during the call only.
 */
export type LineHandler = (framed: Buffer, end: number, passed: boolean) => void;

/**
 * Cut-through for long lines: the pieces of a line that spans chunks are passed on as they come,
 * instead of once the line is complete. The complete line is still delivered afterwards.
 */
export interface LineStream {
  /** Bytes of an unfinished line held at which `begin` is asked (once per line). */
  after: number;
  /**
   * The handler keeps no passed line past its call: a passed line of up to 1 MiB is then joined
   * into one buffer the framer reuses, not a new one each time.
   */
  reuse: boolean;
  /** Whether to pass this line on as it comes; `head` is its first piece. */
  begin(head: Buffer): boolean;
  /** The next piece of a passing line, in order: first what was held, then each piece as it comes; the last ends with the `\n`. */
  data(piece: Buffer): void;
  /**
   * The passing line ended: `complete` (its handler call follows), or not: it went over the line
   * limit, where it stops, and the whole line goes to `oversize` as any over-long line does.
   */
  end(complete: boolean): void;
}

/** Splits a byte stream into newline-delimited frames (JSON-RPC over stdio). */
export interface LineFramer {
  /** Feeds the next chunk; calls the handler for every line it completes. Never copies a line that lies within one chunk. */
  push(chunk: Buffer): void;
  /** Ends the stream: an unterminated last line is delivered with a `\n` appended. Idempotent. */
  end(): void;
  /** Bytes held for the line not yet terminated. */
  readonly bufferedBytes: number;
}

export interface LineFramerOptions {
  /** Longest line accepted, in bytes (line terminator included); longer lines go to `oversize`. Default {@link DEFAULT_MAX_LINE_BYTES}. */
  maxLineBytes?: number;
  /**
   * Receives each over-long line as it passes instead of it being kept: `data` with its pieces in
   * order (the first from the line's start; the newline is not passed), then `end` once with the
   * line's length when its newline, or the end of the stream, arrives. Default: dropped silently.
   */
  oversize?: { data(piece: Buffer): void; end(bytes: number): void };
  /**
   * Called around the lines of a chunk that completes more than one (`start` before the first,
   * `end` after the last), so that the messages they carry can go out in one write (cork/uncork).
   * A chunk of one line, the usual case, is delivered without it: grouping a single write costs
   * more (a buffered write and a writev) than it saves. Default: none.
   */
  group?: { start(): void; end(): void };
  /** Default: none (every line is delivered once complete, and only then). */
  stream?: LineStream;
}

/** The default line limit: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;
/**
 * Longest passed line joined into the reused buffer (LineStream.reuse). A new 100 KB buffer per
 * line cost the bare proxy a full GC every dozen calls on Node 20 (external memory against a small
 * old-generation limit): bench row `proxy: tools/call with a 100 KB result, bare vs pipe relay`.
 */
const REUSED_MAX = 1024 * 1024;

/**
 * Creates a framer that is robust to lines split across chunks (kept as a list and joined once,
 * so huge lines cost O(n)), to CRLF endings, and to invalid UTF-8 (it never decodes: bytes stay
 * bytes). Empty lines are skipped.
 */
export function createLineFramer(onLine: LineHandler, options: LineFramerOptions = {}): LineFramer {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const sink = options.oversize;
  const stream = options.stream;
  let parts: Buffer[] = [];
  let partsLength = 0;
  /** The line being collected goes to `stream` as it comes. */
  let passing = false;
  /** `stream.begin` was asked about the line being collected. */
  let asked = false;
  /** Where passed lines are joined when `stream.reuse`. */
  let reused: Buffer | undefined;
  /** Inside an over-long line: its bytes go to `oversize` as they come. */
  let discarding = false;
  /** Bytes of the over-long line passed on so far. */
  let discarded = 0;
  let ended = false;

  const deliver = (framed: Buffer, passed = false): void => {
    let end = framed.length - 1;
    if (end > 0 && framed[end - 1] === CR) end--;
    if (end === 0) return;
    if (framed.length > maxLineBytes) {
      sink?.data(framed.subarray(0, framed.length - 1));
      sink?.end(framed.length - 1);
      return;
    }
    onLine(framed, end, passed);
  };

  /** The held line ends with `last` (its `\n` included): joined, passed on when passing, delivered. */
  const finishHeld = (last: Buffer): void => {
    parts.push(last);
    const length = partsLength + last.length;
    let passed = false;
    if (passing) {
      passing = false;
      passed = length <= maxLineBytes;
      if (passed) stream!.data(last);
      stream!.end(passed);
    }
    const framed = passed && stream!.reuse && length <= REUSED_MAX ? joinReused(length) : Buffer.concat(parts, length);
    parts = [];
    partsLength = 0;
    asked = false;
    deliver(framed, passed);
  };

  /** The held parts joined into the reused buffer (grown to fit, up to REUSED_MAX). */
  const joinReused = (length: number): Buffer => {
    if (reused === undefined || reused.length < length) reused = Buffer.allocUnsafeSlow(Math.min(REUSED_MAX, Math.max(length, 2 * (reused?.length ?? 64 * 1024))));
    let at = 0;
    for (const part of parts) at += part.copy(reused, at);
    return reused.subarray(0, length);
  };

  /** Holds `rest`, the start of a line or more of it; passes it on when the line passes (or now begins to). */
  const hold = (rest: Buffer): void => {
    parts.push(rest);
    partsLength += rest.length;
    if (passing) stream!.data(rest);
    else if (stream && !asked && partsLength >= stream.after) {
      asked = true;
      if (stream.begin(parts[0]!)) {
        passing = true;
        for (const part of parts) stream.data(part);
      }
    }
  };

  /** The line being collected went over the limit: hand over what was kept and pass the rest through. */
  const startDiscarding = (rest: Buffer): void => {
    if (passing) {
      passing = false;
      stream!.end(false);
    }
    asked = false;
    discarding = true;
    discarded = partsLength + rest.length;
    for (const part of parts) sink?.data(part);
    sink?.data(rest);
    parts = [];
    partsLength = 0;
  };

  return {
    push(chunk: Buffer): void {
      if (ended) return;
      const group = options.group;
      let start = 0;
      let nl = chunk.indexOf(NEWLINE);
      // Looked up early only to decide on grouping; the loop then uses it instead of searching again.
      let next = group !== undefined && nl !== -1 ? chunk.indexOf(NEWLINE, nl + 1) : -2;
      const grouped = next >= 0;
      if (grouped) group!.start();
      try {
        while (nl !== -1) {
          if (discarding) {
            discarding = false;
            if (nl > start) sink?.data(chunk.subarray(start, nl));
            sink?.end(discarded + nl - start);
          } else if (partsLength === 0) {
            // A chunk of exactly one line (the usual case) needs no view of its own.
            deliver(start === 0 && nl + 1 === chunk.length ? chunk : chunk.subarray(start, nl + 1));
          } else {
            finishHeld(chunk.subarray(start, nl + 1));
          }
          start = nl + 1;
          nl = next === -2 ? chunk.indexOf(NEWLINE, start) : next;
          next = -2;
        }
      } finally {
        if (grouped) group!.end();
      }
      if (start < chunk.length) {
        const rest = start === 0 ? chunk : chunk.subarray(start);
        if (discarding) {
          discarded += rest.length;
          sink?.data(rest);
        } else if (partsLength + rest.length > maxLineBytes) {
          startDiscarding(rest);
        } else {
          hold(rest);
        }
      }
    },
    end(): void {
      if (ended) return;
      ended = true;
      if (discarding) {
        discarding = false;
        sink?.end(discarded);
      } else if (partsLength > 0) {
        finishHeld(Buffer.from('\n'));
      }
    },
    get bufferedBytes(): number {
      return partsLength;
    },
  };
}
