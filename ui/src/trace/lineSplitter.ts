/** One complete NDJSON line: its text (without `\n`) and where its bytes sit in the body. */
export interface Line {
  text: string;
  /** Byte offset of the line's first byte in the whole body. */
  offset: number;
  /** Byte length of the line, without its `\n`. */
  length: number;
}

const decoder = new TextDecoder('utf-8');

/** UTF-8 byte length of `s` (lone surrogates count as the 3-byte replacement character). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Splits a byte stream that arrives in arbitrary chunks into complete lines with their byte
 * offsets, so a line can be fetched again later with `Range: bytes=offset-(offset+length-1)`.
 * A line cut by a chunk boundary waits for its end; `pending` says how many bytes wait.
 * Decodes a whole chunk at once (one TextDecoder call, not one per line); byte lengths are
 * recounted only for chunks that are not pure ASCII.
 */
export class LineSplitter {
  private carry: Uint8Array = new Uint8Array(0);
  private carryOffset: number;

  /** `startOffset`: the byte offset of the first chunk's first byte in the body. */
  constructor(startOffset = 0) {
    this.carryOffset = startOffset;
  }

  /** Bytes of an unfinished line held back. */
  get pending(): number {
    return this.carry.length;
  }

  /** Offset of the next byte expected (everything before it was consumed or is pending). */
  get nextOffset(): number {
    return this.carryOffset + this.carry.length;
  }

  /** Feeds one chunk; returns the lines it completed. */
  push(chunk: Uint8Array): Line[] {
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry, 0);
      bytes.set(chunk, this.carry.length);
    }
    const last = bytes.lastIndexOf(0x0a);
    if (last < 0) {
      this.carry = bytes.slice();
      return [];
    }
    const base = this.carryOffset;
    const body = bytes.subarray(0, last);
    const text = decoder.decode(body);
    const parts = text.split('\n');
    const out: Line[] = [];
    const ascii = text.length === body.length;
    let offset = base;
    for (const part of parts) {
      const length = ascii ? part.length : utf8Length(part);
      if (length > 0) out.push({ text: part, offset, length });
      offset += length + 1;
    }
    this.carry = bytes.slice(last + 1);
    this.carryOffset = base + last + 1;
    return out;
  }
}
