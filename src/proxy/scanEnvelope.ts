import type { JsonRpcId, MessageKind } from './classifyMessage.js';

/** What {@link scanEnvelope} read from a line: a valid JSON-RPC 2.0 message that is not a batch. */
export interface Envelope {
  kind: Exclude<MessageKind, 'invalid'>;
  /** Requests and responses. */
  id: JsonRpcId | undefined;
  /** Requests and notifications. */
  method: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** What a byte is inside a JSON string: ordinary (bytes above 0x7f too), the closing quote, an escape, or invalid (a control character). */
const PLAIN = 0;
const CLOSING = 1;
const ESCAPE = 2;
const CONTROL = 3;
const STRING_BYTE = new Uint8Array(256);
STRING_BYTE.fill(CONTROL, 0, 0x20);
STRING_BYTE[QUOTE] = CLOSING;
STRING_BYTE[BACKSLASH] = ESCAPE;

/** Nesting deeper than this is left to JSON.parse (keeps the recursion shallow). */
const MAX_DEPTH = 64;
/** Longer integer ids may not be exact as numbers; left to JSON.parse and the raw-id path. */
const MAX_ID_DIGITS = 15;

// The top-level members the envelope is made of, as bits (a repeated one is left to JSON.parse, where the last wins).
const JSONRPC = 1;
const METHOD = 2;
const ID = 4;
const RESULT = 8;
const ERROR = 16;

/**
 * Reads the envelope of one JSON-RPC line straight from its bytes, without decoding the line or
 * building objects: it validates the whole line as JSON (RFC 8259, as strictly as JSON.parse)
 * and reads the top-level `jsonrpc`, `method` and `id`. This is the proxy's fast path; JSON.parse
 * plus classifyMessage stays the reference for everything else.
 *
 * Returns the envelope only when it is certain that `JSON.parse(line.toString('utf8', 0, end))`
 * succeeds and classifyMessage calls the value the same kind, with the same `id` and `method`.
 * Returns undefined for anything it does not settle cheaply, which the caller must then parse:
 * invalid JSON, invalid JSON-RPC, batches, escapes or non-ASCII in a key or in `jsonrpc`/`method`/a
 * string id, numeric ids that are not plain integers of at most 15 digits, `id: null`, a repeated
 * envelope member, nesting deeper than 64. Bytes above 0x7f inside strings are accepted: decoding
 * replaces invalid UTF-8 with U+FFFD and never takes an ASCII byte into a multi-byte character,
 * so it cannot change where a string ends (the tests fuzz this against JSON.parse).
 */
export function scanEnvelope(line: Buffer, end: number): Envelope | undefined {
  const s = new Scan(line, end);
  let i = s.ws(0);
  if (i >= end || line[i] !== OPEN_BRACE) return undefined;
  let seen = 0;
  let jsonrpcOk = false;
  let method: string | undefined;
  let id: JsonRpcId | undefined;
  let idIsNull = false;
  i = s.ws(i + 1);
  if (i < end && line[i] === CLOSE_BRACE) return undefined; // {} is not a message
  for (;;) {
    if (i >= end || line[i] !== QUOTE) return undefined;
    const keyStart = i + 1;
    i = s.string(i);
    if (i < 0 || s.escaped) return undefined;
    const member = memberBit(line, keyStart, i - 1);
    if ((seen & member) !== 0) return undefined;
    seen |= member;
    i = s.ws(i);
    if (i >= end || line[i] !== COLON) return undefined;
    i = s.ws(i + 1);
    const valueStart = i;
    const first = i < end ? line[i]! : -1;
    if (member === JSONRPC || member === METHOD || (member === ID && first === QUOTE)) {
      if (first !== QUOTE) return undefined; // jsonrpc or method not a string: invalid, or at least not ours to judge
      i = s.string(i);
      if (i < 0 || s.escaped || !isAscii(line, valueStart + 1, i - 1)) return undefined;
      if (member === JSONRPC) jsonrpcOk = i - valueStart === 5 && sameBytes(line, valueStart + 1, '2.0');
      else if (member === METHOD) method = methodText(line, valueStart + 1, i - 1);
      else id = line.toString('latin1', valueStart + 1, i - 1);
    } else if (member === ID && (first === MINUS || (first >= ZERO && first <= NINE))) {
      i = s.number(i);
      if (i < 0 || !s.plainInteger || s.digits > MAX_ID_DIGITS || (first === MINUS && line[valueStart + 1] === ZERO)) return undefined;
      let n = 0;
      for (let k = first === MINUS ? valueStart + 1 : valueStart; k < i; k++) n = n * 10 + (line[k]! - ZERO);
      id = first === MINUS ? -n : n;
    } else {
      i = s.value(i, 1);
      if (i < 0) return undefined;
      if (member === ID) {
        if (first !== 0x6e) return undefined; // an object, array or boolean id: invalid
        idIsNull = true;
      }
    }
    i = s.ws(i);
    if (i >= end) return undefined;
    const c = line[i];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return undefined;
    i = s.ws(i + 1);
  }
  if (s.ws(i + 1) !== end) return undefined;
  if (!jsonrpcOk || idIsNull) return undefined;
  if (method !== undefined) return { kind: id === undefined ? 'notification' : 'request', id, method };
  if (((seen & RESULT) !== 0) === ((seen & ERROR) !== 0) || id === undefined) return undefined;
  return { kind: 'response', id, method: undefined };
}

/** The last method read: most traffic repeats a few methods, so most lines reuse the string. */
let lastMethod = '';

/** The ASCII text of `b[start, end)` as a string, reusing the last method's string when the bytes are the same. */
function methodText(b: Buffer, start: number, end: number): string {
  if (end - start === lastMethod.length && sameBytes(b, start, lastMethod)) return lastMethod;
  lastMethod = b.toString('latin1', start, end);
  return lastMethod;
}

function isAscii(b: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k]! > 0x7f) return false;
  return true;
}

/** Which envelope member the key bytes [start, end) name (0 for any other key). */
function memberBit(b: Buffer, start: number, end: number): number {
  const n = end - start;
  const c = b[start];
  if (n === 2) return c === 0x69 && b[start + 1] === 0x64 ? ID : 0;
  if (n === 5) return c === 0x65 && sameBytes(b, start, 'error') ? ERROR : 0;
  if (n === 6) {
    if (c === 0x6d) return sameBytes(b, start, 'method') ? METHOD : 0;
    return c === 0x72 && sameBytes(b, start, 'result') ? RESULT : 0;
  }
  if (n === 7) return c === 0x6a && sameBytes(b, start, 'jsonrpc') ? JSONRPC : 0;
  return 0;
}

/** A validating JSON scanner over `b[0, end)`; each method returns the index after what it read, or -1. */
class Scan {
  /** The last string scanned had an escape. */
  escaped = false;
  /** The last number scanned had no fraction or exponent. */
  plainInteger = false;
  /** Integer digits of the last number scanned. */
  digits = 0;

  constructor(
    private readonly b: Buffer,
    private readonly end: number,
  ) {}

  ws(i: number): number {
    const { b, end } = this;
    while (i < end) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    return i;
  }

  /** `b[i]` is a quote. */
  string(i: number): number {
    const { b, end } = this;
    let escaped = false;
    i++;
    for (;;) {
      while (i < end && STRING_BYTE[b[i]!] === PLAIN) i++;
      if (i >= end) return -1;
      const t = STRING_BYTE[b[i]!];
      if (t === CLOSING) {
        this.escaped = escaped;
        return i + 1;
      }
      if (t === CONTROL || i + 1 >= end) return -1;
      escaped = true;
      const e = b[i + 1];
      if (e === 0x75) {
        if (i + 6 > end || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2; // \" \\ \/ \b \f \n \r \t
      } else {
        return -1;
      }
    }
  }

  /** `b[i]` is a minus or a digit. */
  number(i: number): number {
    const { b, end } = this;
    if (b[i] === MINUS) i++;
    const intStart = i;
    if (i >= end) return -1;
    if (b[i] === ZERO) i++;
    else {
      if (!isDigit(b[i]!)) return -1;
      while (i < end && isDigit(b[i]!)) i++;
    }
    this.digits = i - intStart;
    this.plainInteger = true;
    if (i < end && b[i] === 0x2e) {
      this.plainInteger = false;
      i++;
      if (i >= end || !isDigit(b[i]!)) return -1;
      while (i < end && isDigit(b[i]!)) i++;
    }
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      this.plainInteger = false;
      i++;
      if (i < end && (b[i] === 0x2b || b[i] === MINUS)) i++;
      if (i >= end || !isDigit(b[i]!)) return -1;
      while (i < end && isDigit(b[i]!)) i++;
    }
    return i;
  }

  /** Any JSON value starting at `b[i]` (no leading whitespace), at nesting `depth`. */
  value(i: number, depth: number): number {
    const { b, end } = this;
    if (i >= end) return -1;
    const c = b[i]!;
    if (c === QUOTE) return this.string(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) return -1;
      const object = c === OPEN_BRACE;
      const close = object ? CLOSE_BRACE : CLOSE_BRACKET;
      i = this.ws(i + 1);
      if (i < end && b[i] === close) return i + 1;
      for (;;) {
        if (object) {
          if (i >= end || b[i] !== QUOTE) return -1;
          i = this.string(i);
          if (i < 0) return -1;
          i = this.ws(i);
          if (i >= end || b[i] !== COLON) return -1;
          i = this.ws(i + 1);
        }
        i = this.value(i, depth + 1);
        if (i < 0) return -1;
        i = this.ws(i);
        if (i >= end) return -1;
        const d = b[i];
        if (d === close) return i + 1;
        if (d !== COMMA) return -1;
        i = this.ws(i + 1);
      }
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number(i);
    if (c === 0x74) return this.literal(i, 'true');
    if (c === 0x66) return this.literal(i, 'false');
    if (c === 0x6e) return this.literal(i, 'null');
    return -1;
  }

  private literal(i: number, word: string): number {
    const stop = i + word.length;
    return stop <= this.end && sameBytes(this.b, i, word) ? stop : -1;
  }
}

/** True when the bytes at `start` spell `word` (ASCII); the caller checked the length. */
function sameBytes(b: Buffer, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word.charCodeAt(k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
