/** Called once per complete line: `framed` holds the line's original bytes including its `\n`; `end` is where the content ends (before `\r\n` or `\n`). */
export type LineHandler = (framed: Buffer, end: number) => void;

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
  /** Longest line accepted, in bytes; longer lines are dropped up to their newline and reported. Default 64 MiB. */
  maxLineBytes?: number;
  /** Called once per dropped over-long line with the number of bytes seen so far. */
  onOversize?: (bytes: number) => void;
  /**
   * Called around the lines of a chunk that completes more than one (`start` before the first,
   * `end` after the last), so that the messages they carry can go out in one write (cork/uncork).
   * A chunk of one line, the usual case, is delivered without it: grouping a single write costs
   * more (a buffered write and a writev) than it saves. Default: none.
   */
  group?: { start(): void; end(): void };
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Creates a framer that is robust to lines split across chunks (kept as a list and joined once,
 * so huge lines cost O(n)), to CRLF endings, and to invalid UTF-8 (it never decodes: bytes stay
 * bytes). Empty lines are skipped.
 */
export function createLineFramer(onLine: LineHandler, options: LineFramerOptions = {}): LineFramer {
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024 * 1024;
  let parts: Buffer[] = [];
  let partsLength = 0;
  let discarding = false;
  let ended = false;

  const deliver = (framed: Buffer): void => {
    let end = framed.length - 1;
    if (end > 0 && framed[end - 1] === CR) end--;
    if (end === 0) return;
    if (framed.length > maxLineBytes) {
      options.onOversize?.(framed.length);
      return;
    }
    onLine(framed, end);
  };

  const oversize = (bytes: number): void => {
    discarding = true;
    parts = [];
    partsLength = 0;
    options.onOversize?.(bytes);
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
          } else if (partsLength === 0) {
            // A chunk of exactly one line (the usual case) needs no view of its own.
            deliver(start === 0 && nl + 1 === chunk.length ? chunk : chunk.subarray(start, nl + 1));
          } else {
            parts.push(chunk.subarray(start, nl + 1));
            const framed = Buffer.concat(parts, partsLength + nl + 1 - start);
            parts = [];
            partsLength = 0;
            deliver(framed);
          }
          start = nl + 1;
          nl = next === -2 ? chunk.indexOf(NEWLINE, start) : next;
          next = -2;
        }
      } finally {
        if (grouped) group!.end();
      }
      if (start < chunk.length && !discarding) {
        const rest = start === 0 ? chunk : chunk.subarray(start);
        if (partsLength + rest.length > maxLineBytes) {
          oversize(partsLength + rest.length);
        } else {
          parts.push(rest);
          partsLength += rest.length;
        }
      }
    },
    end(): void {
      if (ended) return;
      ended = true;
      if (partsLength > 0 && !discarding) {
        parts.push(Buffer.from('\n'));
        const framed = Buffer.concat(parts, partsLength + 1);
        parts = [];
        partsLength = 0;
        deliver(framed);
      }
    },
    get bufferedBytes(): number {
      return partsLength;
    },
  };
}
