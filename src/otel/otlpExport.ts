import type { ReadableSpan, SpanExporter as OtelSpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpExportConfig } from '../core/otlpConfig.js';
import type { Span } from '../core/span.js';
import type { SpanBatch, SpanExporter } from '../core/spanExporter.js';
import { packageInfo } from '../core/version.js';
import { createExportQueue, type DropCounter } from './exportQueue.js';
import { plainResource, toReadableSpan } from './toReadableSpan.js';

/** Options of {@link startOtlpExport}. */
export interface OtlpExportOptions {
  /** Receives the drop reports (rate-limited) and other problems; default stderr. */
  log?: (line: string) => void;
  /** Queue bound in spans. Default 2048. */
  maxQueue?: number;
  /** Spans per export request. Default 512. */
  maxBatch?: number;
  /** Least time between two drop reports. Default 10 s. */
  reportIntervalMs?: number;
}

/** One session's exporter: a SpanExporter for the trace writer's `exporters`, counting what it drops. */
export interface SessionOtlpExporter extends SpanExporter {
  /** Spans of this session given up on so far (the writer puts it in the meta as `otlp_dropped`). */
  dropped(): number;
}

/** A running OTLP export: one official exporter and one bounded queue shared by every session. */
export interface OtlpExport {
  readonly url: string;
  /** A new session's exporter; `serviceName` overrides the configured one (e.g. an ingested session's own). */
  exporterFor(options?: { serviceName?: string }): SessionOtlpExporter;
  /** Totals over every session. */
  stats(): { sent: number; dropped: number; queued: number };
  /** Sends what is queued (waiting at most the export timeout), then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void>;
}

interface Queued {
  span: Span;
  identity: { resource: object; scope: { name: string; version: string } };
}

/**
 * Starts exporting over OTLP/HTTP with the official `@opentelemetry/exporter-trace-otlp-proto`
 * (or `-http` for http/json), loaded here on demand so that runs without export never load
 * them. Spans reach it through a bounded queue (see createExportQueue): exporting never waits
 * on the collector, and a slow or dead collector costs dropped spans, counted per session and
 * reported on stderr at most every `reportIntervalMs`, never slower traffic.
 */
export async function startOtlpExport(config: OtlpExportConfig, options: OtlpExportOptions = {}): Promise<OtlpExport> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const exporterConfig = { url: config.url, headers: { ...config.headers }, timeoutMillis: config.timeoutMs };
  const exporter: OtelSpanExporter =
    config.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(exporterConfig)
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(exporterConfig);
  const shownUrl = withoutCredentials(config.url);
  const report = dropReporter(shownUrl, log, options.reportIntervalMs ?? 10_000);
  let sent = 0;
  let dropped = 0;
  const queue = createExportQueue<Queued>({
    send: (batch) =>
      new Promise<void>((resolve, reject) => {
        const spans: ReadableSpan[] = batch.map((q) => toReadableSpan(q.span, q.identity));
        exporter.export(spans, (result) => {
          if (result.code === 0) {
            sent += batch.length;
            resolve();
          } else reject(result.error ?? new Error('export failed'));
        });
      }),
    ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    timeoutMs: config.timeoutMs,
    onDrop: (count, reason) => {
      dropped += count;
      report.drop(count, reason);
    },
  });
  const scope = { name: packageInfo().name, version: packageInfo().version };
  const identities = new Map<string, Queued['identity']>();
  const identityOf = (serviceName: string): Queued['identity'] => {
    let identity = identities.get(serviceName);
    if (!identity) {
      identity = { resource: plainResource({ ...config.resourceAttributes, 'service.name': serviceName }), scope };
      identities.set(serviceName, identity);
    }
    return identity;
  };
  const sessions = new Set<DropCounter>();
  let stopping: Promise<void> | undefined;

  return {
    url: shownUrl,
    exporterFor(o = {}) {
      const identity = identityOf(o.serviceName ?? config.serviceName);
      const counter: DropCounter = { dropped: 0, pending: 0 };
      sessions.add(counter);
      let closed = false;
      return {
        export(batch: SpanBatch) {
          if (closed || stopping) return;
          queue.add(batch.spans.map((span) => ({ span, identity })), counter);
        },
        forceFlush: () => queue.drain(counter, config.timeoutMs),
        async shutdown() {
          closed = true;
          await queue.drain(counter, config.timeoutMs);
          sessions.delete(counter);
        },
        dropped: () => counter.dropped,
      };
    },
    stats: () => ({ sent, dropped, queued: queue.size }),
    shutdown() {
      stopping ??= (async () => {
        await Promise.all([...sessions].map((c) => queue.drain(c, config.timeoutMs)));
        await exporter.shutdown().catch(() => undefined);
        report.flush();
      })();
      return stopping;
    },
  };
}

/** Drop reports: the first at once, later ones summed over `intervalMs`, so a dead collector makes one line per interval. */
function dropReporter(url: string, log: (line: string) => void, intervalMs: number): { drop(count: number, reason: string): void; flush(): void } {
  let total = 0;
  let unreported = 0;
  let lastReason = '';
  let lastAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (unreported === 0) return;
    log(`mcpscope: otlp export to ${url}: ${unreported} span${unreported === 1 ? '' : 's'} dropped (${lastReason}); ${total} in total`);
    unreported = 0;
    lastAt = Date.now();
  };
  return {
    drop(count, reason) {
      total += count;
      unreported += count;
      lastReason = reason;
      const wait = lastAt + intervalMs - Date.now();
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait).unref();
    },
    flush,
  };
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href;
}
