import type { SpanBatch, SpanExporter } from '../core/spanExporter.js';
import { createMemberCompressor, type MemberCompressor } from './memberCompressor.js';
import { createTracePart, reopenTracePart, type AppendMember, type TracePartFile } from './tracePartFile.js';

/** Extra room in a batch buffer past the expected size, so most batches need no second buffer. */
const BATCH_SLACK = 16 * 1024;

/** Most ready members written with one call. */
const GROUP_MAX = 64;

/** One batch on its way to the file. */
interface Pending {
  spans: number;
  errors: number;
  /** Uncompressed (NDJSON) byte length. */
  ndjsonLength: number;
  member: Buffer | undefined;
  error: unknown;
  /** Settles (never rejects) once `member` or `error` is set. */
  done: Promise<void>;
}

type ReadyMember = Pending & { member: Buffer } & AppendMember;

/** Options of createGzipFileExporter. */
export interface GzipFileExporterOptions {
  tracesDir: string;
  sessionId: string;
  rotateBytes: number;
  gzipLevel: number;
  /** Usual batch size, to size the recycled batch buffers. */
  flushBytes: number;
  /**
   * Resolves once the session is set up, to the index of its last existing part (-1: none), or
   * to undefined when it could not be set up: then every batch is dropped.
   */
  ready: Promise<number | undefined>;
  /** After each group of members is written: the span count of each member appended, in order (none if all failed). */
  appended(spanCounts: number[]): void;
  /** A failure that does not stop the exporter (one group lost, rolled back). */
  report(err: unknown): void;
  /** A failure after which nothing more can be appended: later batches are dropped. */
  fail(err: unknown): void;
}

/**
 * The trace file exporter: each batch becomes one gzip member of `<tracesDir>/<sessionId>.jsonl.gz`
 * (or its current part), appended in order; members ready together go out in one writev. The
 * compression worker thread is private to this exporter (createMemberCompressor): batches are
 * gzipped off the event loop, a batch waits for it 30 ms at most. A part file is created with
 * its first member and a new part begun when the next member would pass `rotateBytes`.
 */
export function createGzipFileExporter(o: GzipFileExporterOptions): SpanExporter {
  return new GzipFileExporter(o);
}

class GzipFileExporter implements SpanExporter {
  private readonly compressor: MemberCompressor;
  /** Batches handed to the compressor and not yet appended, oldest first. */
  private queue: Pending[] = [];
  private pumping: Promise<void> | undefined;
  private file: TracePartFile | undefined;
  /** Part the next created file gets (when `file` is undefined). */
  private nextPart = 0;
  private broken = false;
  private shutting: Promise<void> | undefined;
  private readonly opened: Promise<boolean>;

  constructor(private readonly o: GzipFileExporterOptions) {
    this.compressor = createMemberCompressor(o.gzipLevel);
    this.opened = this.open().catch((err: unknown) => {
      this.fatal(err);
      return false;
    });
  }

  private async open(): Promise<boolean> {
    const last = await this.o.ready;
    if (last === undefined) return false;
    this.file = await reopenTracePart(this.o.tracesDir, this.o.sessionId, last);
    this.nextPart = this.file ? this.file.part + 1 : Math.max(0, last);
    return true;
  }

  export(batch: SpanBatch): void {
    if (this.shutting || batch.spans.length === 0) return;
    const data = this.encode(batch);
    const p: Pending = { spans: batch.spans.length, errors: batch.errors, ndjsonLength: data.length, member: undefined, error: undefined, done: undefined! };
    p.done = this.compressor.compressOwned(data).then(
      (m) => void (p.member = m),
      (err: unknown) => void (p.error = err ?? new Error('compression failed')),
    );
    this.queue.push(p);
    this.pumping ??= this.pump();
  }

  /** The batch as NDJSON in a recycled buffer (whose memory moves to the compressor). */
  private encode(batch: SpanBatch): Buffer {
    let buf = this.compressor.batchBuffer(Math.max(this.o.flushBytes, batch.chars) + BATCH_SLACK);
    let used = 0;
    for (const line of batch.lines) {
      // A UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when the worst case does not fit.
      if (used + line.length * 3 + 1 > buf.length) {
        const need = used + Buffer.byteLength(line) + 1;
        if (need > buf.length) {
          const bigger = this.compressor.batchBuffer(Math.max(need, 2 * buf.length));
          buf.copy(bigger, 0, 0, used);
          buf = bigger;
        }
      }
      used += buf.write(line, used);
      buf[used++] = 0x0a;
    }
    return buf.subarray(0, used);
  }

  async forceFlush(): Promise<void> {
    for (let i = 0; i < 1_000_000 && this.pumping; i++) await this.pumping;
  }

  shutdown(): Promise<void> {
    this.shutting ??= (async () => {
      await this.forceFlush();
      await this.compressor.close();
      if (this.file) {
        await this.file.close(false).catch((err: unknown) => this.o.report(err));
        this.file = undefined;
      }
    })();
    return this.shutting;
  }

  /** Appends compressed batches in order, several at once when they are ready together. Never rejects. */
  private async pump(): Promise<void> {
    try {
      const ok = await this.opened;
      while (this.queue.length > 0) {
        await this.queue[0]!.done;
        let n = 1;
        while (n < this.queue.length && this.queue[n]!.member && n < GROUP_MAX) n++;
        const group = this.queue.splice(0, n);
        if (!ok || this.broken) continue;
        const failed = group.find((b) => !b.member);
        if (failed) this.fatal(failed.error);
        else await this.appendGroup(group as ReadyMember[]);
      }
    } catch (err) {
      this.fatal(err);
    } finally {
      this.pumping = undefined;
    }
  }

  /** Writes ready members to the part file (creating or rotating it as needed), then reports them. */
  private async appendGroup(group: ReadyMember[]): Promise<void> {
    const counts: number[] = [];
    for (let i = 0; i < group.length; ) {
      let file = this.file;
      if (file && file.size > 0 && file.size + group[i]!.member.length > this.o.rotateBytes) {
        this.file = undefined;
        this.nextPart = file.part + 1;
        await file.close(false);
        file = undefined;
      }
      // As many members as fit before the next rotation (always at least one).
      let j = i + 1;
      for (let size = (file?.size ?? 0) + group[i]!.member.length; j < group.length && size + group[j]!.member.length <= this.o.rotateBytes; j++) size += group[j]!.member.length;
      const part = group.slice(i, j);
      i = j;
      try {
        // Under a burst, index records go out a few members at a time; when idle, at once.
        if (file) await file.append(part, this.queue.length === 0);
        else this.file = await createTracePart(this.o.tracesDir, this.o.sessionId, this.nextPart, part);
      } catch (err) {
        this.o.report(err);
        if (file) await file.rollback().catch((e: unknown) => this.fatal(e));
        continue;
      }
      for (const b of part) counts.push(b.spans);
    }
    this.o.appended(counts);
  }

  private fatal(err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    this.o.fail(err);
  }
}
