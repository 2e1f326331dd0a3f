import type { SpanRow } from './spanRow.js';

/** What a log entry shows of its span. */
export enum MessageKind {
  Request = 0,
  Response = 1,
  /** A notification, or a line that is not a request (an invalid line, an orphan error). */
  Single = 2,
}

/** One JSON-RPC message: `row` is the span's idx, `kind` which half of it. */
export interface MessageRef {
  row: number;
  kind: MessageKind;
  time: number;
}

/**
 * Direction of a message as seen by the recorded side: `in` (received) or `out` (sent). A
 * request travels in the span's direction (`inbound`: received), its response the other way.
 */
export function messageDirection(row: SpanRow, kind: MessageKind): 'in' | 'out' | '' {
  const d = row.direction === 'inbound' ? 'in' : row.direction === 'outbound' ? 'out' : '';
  if (kind !== MessageKind.Response || d === '') return d;
  return d === 'in' ? 'out' : 'in';
}

/**
 * The JSON-RPC messages of the session in time order, derived from the spans: a request span
 * gives its request (at its start) and, when it was answered, its response (at its end), so
 * each request is paired with its response through the shared row. Kept as two typed arrays
 * (entry = row * 4 + kind, sorted by time), 16 bytes a message.
 */
export class MessageLog {
  entries: Int32Array = new Int32Array(0);
  private times: Float64Array = new Float64Array(0);
  /** Entry position of each row's request (or single) and response, -1 when absent. */
  private requestAt: Int32Array = new Int32Array(0);
  private responseAt: Int32Array = new Int32Array(0);

  /** Rebuilds from all rows (cheap enough to do on demand: 100,000 messages sort in ~30 ms). */
  rebuild(rows: readonly SpanRow[]): void {
    const codes: number[] = [];
    const times: number[] = [];
    for (const row of rows) {
      const isRequest = row.requestId !== undefined && row.method !== '';
      if (isRequest) {
        codes.push(row.idx * 4 + MessageKind.Request);
        times.push(row.start);
        if (row.answered) {
          codes.push(row.idx * 4 + MessageKind.Response);
          times.push(row.end);
        }
      } else {
        codes.push(row.idx * 4 + MessageKind.Single);
        times.push(row.start);
      }
    }
    const perm = Int32Array.from(codes.keys());
    // Ties (a response and the next request in the same µs) keep request-before-response.
    perm.sort((a, b) => times[a]! - times[b]! || (codes[a]! & 3) - (codes[b]! & 3) || codes[a]! - codes[b]!);
    this.entries = Int32Array.from(perm, (p) => codes[p]!);
    this.times = Float64Array.from(perm, (p) => times[p]!);
    this.requestAt = new Int32Array(rows.length).fill(-1);
    this.responseAt = new Int32Array(rows.length).fill(-1);
    this.entries.forEach((code, pos) => {
      if ((code & 3) === MessageKind.Response) this.responseAt[code >> 2] = pos;
      else this.requestAt[code >> 2] = pos;
    });
  }

  get length(): number {
    return this.entries.length;
  }

  /** The entry at `pos`. */
  at(pos: number): MessageRef {
    const code = this.entries[pos]!;
    return { row: code >> 2, kind: (code & 3) as MessageKind, time: this.times[pos]! };
  }

  /** Position of the other half of the pair at `pos` (request <-> response), or -1. */
  partner(pos: number): number {
    const { row, kind } = this.at(pos);
    if (kind === MessageKind.Request) return this.responseAt[row] ?? -1;
    if (kind === MessageKind.Response) return this.requestAt[row] ?? -1;
    return -1;
  }

  /** Position of the first message of row `idx` (its request or single message), or -1. */
  positionOf(idx: number): number {
    return this.requestAt[idx] ?? -1;
  }
}
