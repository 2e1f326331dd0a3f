import { createRedactor, type RedactionOptions, type Redactor } from '../instrumentation/redaction.js';
import type { EventBus } from '../sessions/eventBus.js';
import { decodeTraceRequest, encodeTraceResponse, type OtlpFormat } from './decodeOtlp.js';
import { groupSpans } from './groupSpans.js';
import { createSessionWriterPool, type SessionWriterPool, type SessionWriterPoolOptions } from './sessionWriterPool.js';

/** Options of {@link createOtlpIngest}. */
export interface OtlpIngestOptions {
  tracesDir: string;
  bus?: EventBus;
  /** Quiet time after which an ingested session is closed as completed. Default 30 s. */
  idleMs?: number;
  /** Most sessions recorded at once. Default 256. */
  maxOpen?: number;
  redaction?: RedactionOptions;
  log?: (line: string) => void;
  /** More places each ingested session's spans go besides its trace file (e.g. an OTLP export onward). */
  exporters?: SessionWriterPoolOptions['exporters'];
}

/** What one export request did. */
export interface OtlpIngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
  /** The encoded ExportTraceServiceResponse, in the request's format. */
  response: Uint8Array;
}

/** Stores OTLP trace export requests as sessions (engine `otlp`). */
export interface OtlpIngest {
  /**
   * Decodes and stores one request. The whole request is decoded and converted before anything
   * is written, so a malformed request (INVALID_ARGUMENT) stores nothing. Spans with invalid ids,
   * or of a session another process records, are rejected and reported in `partialSuccess`.
   */
  ingest(body: Uint8Array, format: OtlpFormat): Promise<OtlpIngestResult>;
  readonly pool: SessionWriterPool;
  close(): Promise<void>;
}

/** Creates the ingest; its writer pool opens writers on demand (see createSessionWriterPool). */
export function createOtlpIngest(options: OtlpIngestOptions): OtlpIngest {
  const redactor: Redactor = createRedactor(options.redaction);
  const pool = createSessionWriterPool({
    tracesDir: options.tracesDir,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
    ...(options.maxOpen !== undefined ? { maxOpen: options.maxOpen } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.exporters ? { exporters: options.exporters } : {}),
  });
  return {
    pool,
    async ingest(body, format) {
      const grouped = groupSpans(await decodeTraceRequest(body, format), redactor);
      let { rejected } = grouped;
      let errorMessage = grouped.firstProblem;
      let accepted = 0;
      for (const { key, spans } of grouped.sessions) {
        if (await pool.write(key, spans)) {
          accepted += spans.length;
        } else {
          rejected += spans.length;
          errorMessage ||= `session ${key.sessionId} is being recorded elsewhere`;
        }
      }
      return { accepted, rejected, errorMessage, response: await encodeTraceResponse(format, rejected, errorMessage) };
    },
    close: () => pool.close(),
  };
}
