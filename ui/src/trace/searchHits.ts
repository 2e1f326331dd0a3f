import { scanPayloads } from './payloadScan';
import type { SpanIndex } from './spanIndex';
import type { SpanRow } from './spanRow';
import { EMPTY_QUERY, isActive, matches, type SpanQuery } from './spanSearch';

/**
 * Which rows match the current search: one flag byte per row, kept up to date as rows
 * arrive, plus an optional scan of the payloads (text the rows do not hold) whose hits
 * stream in. `version` changes whenever the set does, so views know to repaint.
 */
export class SearchHits {
  query: SpanQuery = EMPTY_QUERY;
  count = 0;
  version = 0;
  private flags = new Uint8Array(0);
  private scan: AbortController | undefined;

  /** `onChange(note)`: the hits changed; `note` says how a payload scan is going ('' when none runs). */
  constructor(
    private readonly index: SpanIndex,
    private readonly url: string,
    private readonly onChange: (note: string) => void,
  ) {}

  get active(): boolean {
    return isActive(this.query);
  }

  isHit(idx: number): boolean {
    return this.flags[idx] === 1;
  }

  /** Re-evaluates every row for `query`; with `inPayloads`, also scans the payloads for its text. */
  set(query: SpanQuery, inPayloads: boolean): void {
    this.scan?.abort();
    this.scan = undefined;
    this.query = query;
    const rows = this.index.rows;
    this.flags = new Uint8Array(Math.max(16, rows.length));
    this.count = 0;
    this.version++;
    if (this.active) for (const row of rows) if (matches(row, query)) this.mark(row.idx);
    this.onChange('');
    if (inPayloads && query.text !== '' && rows.length > 0) this.scanPayloads();
  }

  /** Evaluates rows that just arrived. */
  add(rows: SpanRow[]): void {
    if (!this.active) return;
    let changed = false;
    for (const row of rows) {
      if (matches(row, this.query)) {
        this.mark(row.idx);
        changed = true;
      }
    }
    if (changed) {
      this.version++;
      this.onChange('');
    }
  }

  destroy(): void {
    this.scan?.abort();
  }

  private mark(idx: number): void {
    if (idx >= this.flags.length) {
      const grown = new Uint8Array(Math.max(idx + 1, this.flags.length * 2));
      grown.set(this.flags);
      this.flags = grown;
    }
    if (this.flags[idx]) return;
    this.flags[idx] = 1;
    this.count++;
  }

  private scanPayloads(): void {
    const controller = new AbortController();
    this.scan = controller;
    const rows = this.index.rows.slice();
    const last = rows[rows.length - 1]!;
    const end = last.offset + last.length + 1;
    const rest: SpanQuery = { ...this.query, text: '' };
    const live = () => !controller.signal.aborted;
    scanPayloads({
      url: this.url,
      text: this.query.text,
      end,
      offsetOf: (i) => rows[i]!.offset,
      count: rows.length,
      signal: controller.signal,
      onHits: (positions) => {
        if (!live()) return;
        for (const p of positions) if (matches(rows[p]!, rest)) this.mark(rows[p]!.idx);
        this.version++;
      },
      onProgress: (scanned) => live() && this.onChange(scanned >= end ? '' : `searching payloads ${Math.floor((100 * scanned) / end)}%`),
    }).then(
      () => live() && this.onChange(''),
      (err: unknown) => live() && this.onChange(`payload search failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
}
