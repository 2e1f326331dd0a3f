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
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * True when `chunk` ends more than one line, so that the messages it carries are worth
 * gathering into one write (cork/uncork). A chunk of one message, the usual case, is written
 * as it comes: corking it costs more (a buffered write and a writev) than it saves.
 */
export function endsSeveralLines(chunk: Buffer): boolean {
  const first = chunk.indexOf(NEWLINE);
  return first !== -1 && first !== chunk.lastIndexOf(NEWLINE);
}

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
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, start);
        if (nl === -1) break;
        if (discarding) {
          discarding = false;
        } else if (partsLength === 0) {
          deliver(chunk.subarray(start, nl + 1));
        } else {
          parts.push(chunk.subarray(start, nl + 1));
          const framed = Buffer.concat(parts, partsLength + nl + 1 - start);
          parts = [];
          partsLength = 0;
          deliver(framed);
        }
        start = nl + 1;
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
