import type { JsonRpcId, MessageKind } from '../core/jsonRpc.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, MINUS, NINE, OPEN_BRACE, OPEN_BRACKET, QUOTE, Scan, ZERO, sameBytes } from './jsonScan.js';

/** What {@link scanEnvelope} read from a line: a JSON-RPC 2.0 message that is not a batch. */
export interface Envelope {
  kind: Exclude<MessageKind, 'invalid'>;
  /** Requests and responses. */
  id: JsonRpcId | undefined;
  /** The id's JSON text when it is an integer of more than 15 digits (JSON.parse may round it). */
  idToken: string | undefined;
  /** Requests and notifications. */
  method: string | undefined;
}

/**
 * How much of a line {@link scanEnvelope} checks: `all` of it, as strictly as JSON.parse; or
 * only the `envelope`: the members before the first object or array value are read forwards,
 * those after the last one backwards from the line's end, and the bytes between are never read
 * (for a line whose consumer validates it anyway: see MessageRouter).
 */
export type ScanCheck = 'all' | 'envelope';

/** Longer integer ids may not be exact as numbers: read with their text as the id token. */
const EXACT_ID_DIGITS = 15;

// The top-level members the envelope is made of, as bits (a repeated one is left to JSON.parse, where the last wins).
const JSONRPC = 1;
const METHOD = 2;
const ID = 4;
const RESULT = 8;
const ERROR = 16;

/** The envelope members read so far. */
interface Members {
  seen: number;
  jsonrpcOk: boolean;
  method: string | undefined;
  id: JsonRpcId | undefined;
  idToken: string | undefined;
  idIsNull: boolean;
}

/**
 * Reads the envelope of one JSON-RPC line straight from its bytes, without decoding the line or
 * building objects: the top-level `jsonrpc`, `method` and `id`, checking the line as JSON (RFC
 * 8259, as strictly as JSON.parse) as far as `check` asks. This is the proxy's fast path;
 * JSON.parse plus classifyMessage stays the reference for everything else.
 *
 * With `check` `all` (the default) it returns the envelope only when it is certain that
 * `JSON.parse(line.toString('utf8', 0, end))` succeeds and classifyMessage calls the value the
 * same kind, with the same `id` and `method`. With `envelope` the same holds for every valid line
 * except one with an envelope member between two object or array values (never written by the
 * MCP SDK), and an invalid line may be read as an envelope too (its payload is not read).
 * Returns undefined for anything it does not settle cheaply, which the caller must then parse:
 * invalid JSON, invalid JSON-RPC, batches, escapes or non-ASCII in a key or in `jsonrpc`/`method`/a
 * string id, numeric ids that are not plain integers, `id: null`, a repeated envelope member,
 * nesting deeper than 64. Bytes above 0x7f inside strings are accepted: decoding replaces invalid
 * UTF-8 with U+FFFD and never takes an ASCII byte into a multi-byte character, so it cannot
 * change where a string ends (the tests fuzz this against JSON.parse).
 */
export function scanEnvelope(line: Buffer, end: number, check: ScanCheck = 'all'): Envelope | undefined {
  const s = new Scan(line, end);
  let i = s.ws(0);
  if (i >= end || line[i] !== OPEN_BRACE) return undefined;
  const m: Members = { seen: 0, jsonrpcOk: false, method: undefined, id: undefined, idToken: undefined, idIsNull: false };
  i = s.ws(i + 1);
  if (i < end && line[i] === CLOSE_BRACE) return undefined; // {} is not a message
  for (;;) {
    if (i >= end || line[i] !== QUOTE) return undefined;
    const keyStart = i + 1;
    i = s.string(i);
    if (i < 0 || s.escaped) return undefined;
    const member = memberBit(line, keyStart, i - 1);
    if ((m.seen & member) !== 0) return undefined;
    m.seen |= member;
    i = s.ws(i);
    if (i >= end || line[i] !== COLON) return undefined;
    const valueStart = s.ws(i + 1);
    i = readValue(s, line, valueStart, member, m, check);
    if (i === READ_TAIL) return readTail(s, line, valueStart, m) ? envelopeOf(m) : undefined;
    if (i < 0) return undefined;
    i = s.ws(i);
    if (i >= end) return undefined;
    const c = line[i];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return undefined;
    i = s.ws(i + 1);
  }
  return s.ws(i + 1) === end ? envelopeOf(m) : undefined;
}

/** The envelope the members make, if they make a valid one. */
function envelopeOf(m: Members): Envelope | undefined {
  if (!m.jsonrpcOk || m.idIsNull) return undefined;
  const { id, idToken, method } = m;
  if (method !== undefined) return { kind: id === undefined ? 'notification' : 'request', id, idToken, method };
  if (((m.seen & RESULT) !== 0) === ((m.seen & ERROR) !== 0) || id === undefined) return undefined;
  return { kind: 'response', id, idToken, method: undefined };
}

/** Reads the value of `member` at `i` into `m`; returns the index after it, or -1 when the line is not for the fast path. */
function readValue(s: Scan, line: Buffer, i: number, member: number, m: Members, check: ScanCheck): number {
  const valueStart = i;
  const first = i < s.end ? line[i]! : -1;
  if (member === JSONRPC || member === METHOD || (member === ID && first === QUOTE)) {
    if (first !== QUOTE) return -1; // jsonrpc or method not a string: invalid, or at least not ours to judge
    i = s.string(i);
    if (i < 0 || s.escaped || !isAscii(line, valueStart + 1, i - 1)) return -1;
    if (member === JSONRPC) m.jsonrpcOk = i - valueStart === 5 && sameBytes(line, valueStart + 1, '2.0');
    else if (member === METHOD) m.method = methodText(line, valueStart + 1, i - 1);
    else m.id = line.toString('latin1', valueStart + 1, i - 1);
    return i;
  }
  if (member === ID && (first === MINUS || (first >= ZERO && first <= NINE))) {
    i = s.number(i);
    if (i < 0 || !s.plainInteger || (first === MINUS && line[valueStart + 1] === ZERO)) return -1;
    if (s.digits > EXACT_ID_DIGITS) {
      m.idToken = line.toString('latin1', valueStart, i);
      m.id = Number(m.idToken);
      return i;
    }
    let n = 0;
    for (let k = first === MINUS ? valueStart + 1 : valueStart; k < i; k++) n = n * 10 + (line[k]! - ZERO);
    m.id = first === MINUS ? -n : n;
    return i;
  }
  if (member === ID) {
    if (first !== 0x6e) return -1; // an object, array or boolean id: invalid
    m.idIsNull = true;
  }
  if (check === 'envelope' && (first === OPEN_BRACE || first === OPEN_BRACKET)) return READ_TAIL;
  return s.value(i, 1);
}

/** readValue's answer for the first object or array value when only the envelope is checked. */
const READ_TAIL = -2;

/**
 * Reads the members after the object or array value at `from` backwards from the line's end,
 * stopping at the next value that is an object or array: the bytes between are never read, which
 * is what makes a big result cost nothing to forward. The MCP SDK writes `result` or `error`
 * first and `jsonrpc` and `id` after it. For a valid line this is exact unless an envelope member
 * sits between two object or array values (then it goes unseen); an invalid line may read as an
 * envelope. Returns false when what it reads is not plain (escaped keys, repeated envelope
 * members, anything but scalars and punctuation).
 */
function readTail(s: Scan, line: Buffer, from: number, m: Members): boolean {
  let i = back(line, s.end - 1, from);
  if (line[i] !== CLOSE_BRACE) return false;
  for (;;) {
    i = back(line, i - 1, from);
    const c = line[i]!;
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) return i > from && c === line[from]! + 2; // { is } - 2, [ is ] - 2
    const valueEnd = i + 1;
    let valueStart = i;
    if (c === QUOTE) valueStart = openingQuote(line, i, from);
    else while (valueStart > from && isScalarByte(line[valueStart - 1]!)) valueStart--;
    if (valueStart <= from) return false;
    i = back(line, valueStart - 1, from);
    if (line[i] !== COLON) return false;
    const keyEnd = back(line, i - 1, from);
    const keyStart = line[keyEnd] === QUOTE ? openingQuote(line, keyEnd, from) : -1;
    const escape = keyStart <= from ? -1 : line.indexOf(BACKSLASH, keyStart);
    if (keyStart <= from || (escape !== -1 && escape < keyEnd)) return false;
    const member = memberBit(line, keyStart + 1, keyEnd);
    if ((m.seen & member) !== 0) return false;
    m.seen |= member;
    if (member !== 0 && readValue(s, line, valueStart, member, m, 'all') !== valueEnd) return false;
    i = back(line, keyStart - 1, from);
    if (line[i] !== COMMA) return false;
  }
}

/** The index of the last byte at or before `i` (and after `from`) that is not whitespace, or `from`. */
function back(b: Buffer, i: number, from: number): number {
  while (i > from) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i--;
  }
  return from;
}

/** The quote that opens the string whose closing quote is at `close`: the first one before it not escaped; `from` when none. */
function openingQuote(b: Buffer, close: number, from: number): number {
  for (let q = b.lastIndexOf(QUOTE, close - 1); q > from; q = b.lastIndexOf(QUOTE, q - 1)) {
    let k = q - 1;
    while (k > from && b[k] === BACKSLASH) k--;
    if (((q - 1 - k) & 1) === 0) return q;
  }
  return from;
}

/** Bytes a number or literal is made of. */
function isScalarByte(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x7a) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x45;
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
