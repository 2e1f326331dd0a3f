/** What {@link EnvelopeSniffer} read from the top level of a JSON object that passed through it. */
export interface SniffedEnvelope {
  /** The `id` member's JSON text (a string with its quotes, or a number as written); undefined when absent or not a string or number. */
  idText: string | undefined;
  /** The `method` member when it is a plain string (no escapes, at most 256 bytes). */
  method: string | undefined;
  /** A top-level `result` or `error` member was seen. */
  response: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Longest `id` text kept; a longer id counts as unreadable. */
const MAX_ID_BYTES = 1024;
const MAX_METHOD_BYTES = 256;
/** Longer keys are none of ours. */
const MAX_KEY_BYTES = 16;

// Where the reader is at the top level of the object.
const START = 0;
const KEY = 1; // expecting a key
const KEY_STRING = 2;
const COLON = 3;
const VALUE = 4; // expecting a value
const VALUE_STRING = 5;
const BARE = 6; // in a number or literal
const AFTER = 7; // expecting , or }
const DONE = 8;

/**
 * Reads the envelope (`id`, `method`, whether it is a response) of one JSON object that arrives in
 * pieces, keeping only those few members: for a line too long to hold, whose `id` may come at its
 * end (the MCP SDK writes `method` and `params` before `id`). It follows strings and nesting and
 * nothing else, so it does not validate: what it reports is what a valid line would mean, and
 * anything odd (escaped keys, an object as id) reads as absent. Linear in the bytes, no copies.
 */
export class EnvelopeSniffer {
  private depth = 0;
  private mode = START;
  private inString = false;
  private escape = false;
  /** Bytes being kept (a top-level key, or the value of `id` or `method`); undefined when not wanted. */
  private buf: number[] | undefined;
  private limit = 0;
  private want: 'id' | 'method' | undefined;
  private idText: string | undefined;
  private method: string | undefined;
  private response = false;

  /** Feeds the next piece of the line. */
  push(piece: Buffer): void {
    for (let i = 0; i < piece.length && this.mode !== DONE; i++) this.byte(piece[i]!);
  }

  /** What was read so far (the whole line once it has all been pushed). */
  result(): SniffedEnvelope {
    if (this.mode === BARE) this.endValue();
    return { idText: this.idText, method: this.method, response: this.response };
  }

  private byte(c: number): void {
    if (this.inString) {
      this.keep(c);
      if (this.escape) this.escape = false;
      else if (c === BACKSLASH) this.escape = true;
      else if (c === QUOTE) {
        this.inString = false;
        if (this.mode === KEY_STRING) this.endKey();
        else if (this.mode === VALUE_STRING) this.endValue();
      }
      return;
    }
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      if (this.mode === BARE) this.endValue();
      return;
    }
    if (this.depth > 1) {
      if (c === QUOTE) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) this.depth--;
      return;
    }
    switch (this.mode) {
      case START:
        if (c === 0x7b) {
          this.depth = 1;
          this.mode = KEY;
        } else this.mode = DONE;
        return;
      case KEY:
        if (c === QUOTE) {
          this.inString = true;
          this.mode = KEY_STRING;
          this.keepFrom([], MAX_KEY_BYTES + 1);
        } else if (c === 0x7d) this.mode = DONE;
        return;
      case COLON:
        if (c === 0x3a) this.mode = VALUE;
        return;
      case VALUE:
        if (c === 0x7b || c === 0x5b) {
          // An object or array: not an id or a method.
          if (this.want === 'id') this.idText = undefined;
          if (this.want === 'method') this.method = undefined;
          this.want = undefined;
          this.depth++;
          this.mode = AFTER;
          return;
        }
        if (c === QUOTE) {
          this.inString = true;
          this.mode = VALUE_STRING;
        } else this.mode = BARE;
        if (this.want !== undefined) this.keepFrom([c], this.want === 'id' ? MAX_ID_BYTES : MAX_METHOD_BYTES);
        return;
      case BARE:
        if (c === 0x2c || c === 0x7d) {
          this.endValue();
          this.mode = c === 0x2c ? KEY : DONE;
        } else this.keep(c);
        return;
      case AFTER:
        if (c === 0x2c) this.mode = KEY;
        else if (c === 0x7d) this.mode = DONE;
        return;
    }
  }

  private keepFrom(initial: number[], limit: number): void {
    this.buf = initial;
    this.limit = limit;
  }

  private keep(c: number): void {
    const buf = this.buf;
    if (buf === undefined) return;
    if (buf.length >= this.limit) {
      this.buf = undefined; // too long: none of ours, or unreadable
      this.limit = -1;
    } else buf.push(c);
  }

  private endKey(): void {
    const bytes = this.buf;
    this.buf = undefined;
    this.mode = COLON;
    this.want = undefined;
    // Escape-free keys only: an escaped "id" is too odd to trust.
    if (bytes === undefined || bytes.includes(BACKSLASH)) return;
    const key = String.fromCharCode(...bytes.slice(0, -1));
    if (key === 'id' || key === 'method') this.want = key;
    else if (key === 'result' || key === 'error') this.response = true;
  }

  private endValue(): void {
    const bytes = this.buf;
    const unreadable = this.limit === -1;
    this.buf = undefined;
    this.mode = AFTER;
    const text = bytes === undefined || unreadable ? undefined : Buffer.from(bytes).toString('utf8');
    // A member that repeats: the last one counts, as for JSON.parse.
    if (this.want === 'id') this.idText = text === undefined ? undefined : idText(text);
    else if (this.want === 'method') this.method = text === undefined ? undefined : methodText(text);
    this.want = undefined;
  }
}

/** The text when it is a JSON string or number (valid JSON, so it can go into a reply as is). */
function idText(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' || typeof value === 'number' ? text : undefined;
  } catch {
    return undefined;
  }
}

function methodText(text: string): string | undefined {
  if (text.length < 2 || text.includes('\\')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A line over the line limit, as the proxy reports it: it was passed over, never held whole. */
export interface OversizeLine {
  envelope: SniffedEnvelope;
  /** The line's first bytes (at most {@link OVERSIZE_HEAD_BYTES}) as text, for the record. */
  head: string;
  /** Its length in bytes. */
  bytes: number;
  /** The limit it went over. */
  limit: number;
}

/** How much of an over-long line is kept for the record. */
export const OVERSIZE_HEAD_BYTES = 1024;

/** A LineFramer `oversize` sink that reads each over-long line's envelope and start as it passes, then hands them to `onLine`. */
export function oversizeReader(limit: number, onLine: (line: OversizeLine) => void): { data(piece: Buffer): void; end(bytes: number): void } {
  let sniffer = new EnvelopeSniffer();
  let head: Buffer[] = [];
  let headBytes = 0;
  return {
    data(piece) {
      sniffer.push(piece);
      if (headBytes < OVERSIZE_HEAD_BYTES) {
        const take = piece.subarray(0, OVERSIZE_HEAD_BYTES - headBytes);
        head.push(Buffer.from(take)); // a copy: the piece's memory is not ours to keep
        headBytes += take.length;
      }
    },
    end(bytes) {
      const line: OversizeLine = { envelope: sniffer.result(), head: Buffer.concat(head).toString('utf8'), bytes, limit };
      sniffer = new EnvelopeSniffer();
      head = [];
      headBytes = 0;
      onLine(line);
    },
  };
}
