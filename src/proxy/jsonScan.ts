export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const MINUS = 0x2d;
export const ZERO = 0x30;
export const NINE = 0x39;

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

/** A validating JSON scanner over `b[0, end)` (RFC 8259, as strictly as JSON.parse); each method returns the index after what it read, or -1. */
export class Scan {
  /** The last string scanned had an escape. */
  escaped = false;
  /** The last number scanned had no fraction or exponent. */
  plainInteger = false;
  /** Integer digits of the last number scanned. */
  digits = 0;

  constructor(
    private readonly b: Buffer,
    readonly end: number,
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
export function sameBytes(b: Buffer, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word.charCodeAt(k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
