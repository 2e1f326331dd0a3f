import { firstIssue } from '../core/zodIssues.js';
import { z } from 'zod';
import { collapseRepeats } from '../core/collapseRepeats.js';
import { InspectorError } from '../core/errors.js';
import { EngineSchema } from '../core/session.js';
import type { SpanExporter } from '../core/spanExporter.js';

/**
 * Default gzip level. Compression is the writer's largest cost and bounds its throughput (it runs
 * on one worker thread); level 1 compresses ~35% more spans per second than level 6 for a
 * somewhat larger file (zlib alone: ~55,000 realistic 2.3 KB spans/s at level 1 on the bench machine).
 */
export const DEFAULT_GZIP_LEVEL = 1;
/**
 * Default pending size that flushes a batch at once. Each batch costs a fixed toll whatever its
 * size (a message each way to the compression worker, a write to the trace and one to its index),
 * and on a small VM a thread hand-off costs tens of µs of CPU: 256 KB rather than 64 KB cut
 * 9-14 µs per 6.7 KB span (bench row "instrumentTransport recording to a trace file"). A crash
 * still loses at most the flush interval, which bounds a batch in time.
 */
export const DEFAULT_FLUSH_BYTES = 256 * 1024;
/** Default size after which a trace continues in a new part file. */
export const DEFAULT_ROTATE_BYTES = 100 * 1024 * 1024;

/** Options of createTraceWriter. */
export interface TraceWriterOptions {
  tracesDir: string;
  sessionId: string;
  title: string;
  engine: z.infer<typeof EngineSchema>;
  tags?: Record<string, string>;
  /** Longest time a written span waits before its batch is compressed and appended (what a crash may lose). Default 50 ms. */
  flushIntervalMs?: number;
  /** Pending serialised size (UTF-16 units of the JSON lines, bytes for ASCII) that triggers a flush at once. Default DEFAULT_FLUSH_BYTES (256 KiB). */
  flushBytes?: number;
  /** Size after which the next member goes to a new part file. Default 100 MiB. */
  rotateBytes?: number;
  /** zlib level 0-9. Default DEFAULT_GZIP_LEVEL (1). */
  gzipLevel?: number;
  /**
   * Receives I/O and serialisation errors (the writer never throws into the caller). Default: one
   * line on stderr, repeats of the same error collapsed into a count (see collapseRepeats).
   */
  onError?: (err: Error) => void;
  /** Called after each member is appended, with the number of spans this writer has appended so far. */
  onFlush?: (info: { spanCount: number }) => void;
  /**
   * More places the session's spans go, besides the trace file (which stays the record): each gets
   * the same batches, in order, and is flushed and shut down with the writer.
   */
  exporters?: SpanExporter[];
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

const OptionsSchema = z.object({
  tracesDir: z.string().min(1),
  sessionId: z.string(),
  title: z.string().max(10_000),
  engine: EngineSchema,
  tags: z.record(z.string(), z.string()).optional(),
  flushIntervalMs: z.number().int().min(1).max(3_600_000).default(50),
  flushBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(DEFAULT_FLUSH_BYTES),
  rotateBytes: z.number().int().min(1024).max(2 ** 47).default(DEFAULT_ROTATE_BYTES),
  gzipLevel: z.number().int().min(0).max(9).default(DEFAULT_GZIP_LEVEL),
  onError: fn.optional(),
  onFlush: fn.optional(),
  exporters: z.array(z.custom<SpanExporter>((v) => typeof v === 'object' && v !== null && typeof (v as SpanExporter).export === 'function', 'expected a SpanExporter')).optional(),
});

/** Options with defaults applied. */
export type ResolvedWriterOptions = Required<Omit<TraceWriterOptions, 'tags' | 'onFlush' | 'exporters'>> & Pick<TraceWriterOptions, 'tags' | 'onFlush' | 'exporters'>;

/** Validates writer options and applies defaults; throws INVALID_ARGUMENT naming the bad field. */
export function resolveWriterOptions(options: TraceWriterOptions): ResolvedWriterOptions {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) throw new InspectorError('INVALID_ARGUMENT', `trace writer option ${firstIssue(parsed.error, '(options)')}`);
  const o = parsed.data;
  return {
    ...o,
    onError: (o.onError as ((err: Error) => void) | undefined) ?? defaultOnError(),
    onFlush: o.onFlush as TraceWriterOptions['onFlush'],
    exporters: o.exporters as SpanExporter[] | undefined,
  } as ResolvedWriterOptions;
}

/**
 * The default error report of one writer: a line on stderr per error, except that an error
 * repeating the previous one (ENOSPC on every batch of a full disk) is counted, not repeated.
 */
export function defaultOnError(write: (text: string) => void = (text) => void process.stderr.write(text)): (err: Error) => void {
  const log = collapseRepeats((line) => write(`${line}\n`));
  return (err) => log(`mcpscope: trace writer: ${err.message.split('\n')[0]}`);
}
