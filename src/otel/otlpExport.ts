import type { OtlpExportConfig } from '../core/otlpConfig.js';
import type { SpanBatch, SpanExporter } from '../core/spanExporter.js';
import { packageInfo } from '../core/version.js';
import { createExportQueue, type DropCounter } from './exportQueue.js';
import { createOtlpSender, type LineGroup, type OtlpSender, type SenderConfig } from './otlpSender.js';
import { createWorkerSender, workerAvailable } from './otlpWorkerSender.js';

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
  /** Run the exporter on a worker thread. Default: yes when built (the worker module exists), else on this thread. */
  worker?: boolean;
}

/** One session's exporter: a SpanExporter for the trace writer's `exporters`, counting what it drops. */
export interface SessionOtlpExporter extends SpanExporter {
  /** Spans of this session given up on so far (the writer puts it in the meta as `otlp_dropped`). */
  dropped(): number;
}

/** A running OTLP export: one official exporter and one bounded queue shared by every session. */
export interface OtlpExport {
  /** The traces URL, without credentials. */
  readonly url: string;
  /** A new session's exporter; `serviceName` overrides the configured one (e.g. an ingested session's own). */
  exporterFor(options?: { serviceName?: string }): SessionOtlpExporter;
  /** Totals over every session. */
  stats(): { sent: number; dropped: number; queued: number };
  /** Sends what is queued (waiting at most the export timeout), then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void>;
}

interface Queued {
  line: string;
  serviceName: string;
}

/**
 * Starts exporting over OTLP/HTTP with the official `@opentelemetry/exporter-trace-otlp-proto`
 * (or `-http` for http/json), loaded only here, so runs without export never load them. The
 * exporter runs on a worker thread (encoding costs tens of µs per span); this thread only queues
 * the span lines the trace writer serialised anyway. The queue is bounded (createExportQueue):
 * exporting never waits on the collector, and a slow or dead collector costs dropped spans,
 * counted per session and reported at most every `reportIntervalMs`, never slower traffic.
 */
export async function startOtlpExport(config: OtlpExportConfig, options: OtlpExportOptions = {}): Promise<OtlpExport> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const senderConfig: SenderConfig = {
    url: config.url,
    protocol: config.protocol,
    headers: config.headers,
    timeoutMs: config.timeoutMs,
    resourceAttributes: config.resourceAttributes,
    scope: { name: packageInfo().name, version: packageInfo().version },
  };
  const sender: OtlpSender = (options.worker ?? workerAvailable()) ? createWorkerSender(senderConfig) : await createOtlpSender(senderConfig);
  const shownUrl = withoutCredentials(config.url);
  const report = dropReporter(shownUrl, log, options.reportIntervalMs ?? 10_000);
  let sent = 0;
  let dropped = 0;
  const queue = createExportQueue<Queued>({
    async send(batch) {
      const groups = new Map<string, LineGroup>();
      for (const q of batch) {
        let g = groups.get(q.serviceName);
        if (!g) groups.set(q.serviceName, (g = { serviceName: q.serviceName, lines: [] }));
        g.lines.push(q.line);
      }
      await sender.send([...groups.values()]);
      sent += batch.length;
    },
    ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    timeoutMs: config.timeoutMs,
    onDrop: (count, reason) => {
      dropped += count;
      report.drop(count, reason);
    },
  });
  const sessions = new Set<DropCounter>();
  let stopping: Promise<void> | undefined;

  return {
    url: shownUrl,
    exporterFor(o = {}) {
      const serviceName = o.serviceName ?? config.serviceName;
      const counter: DropCounter = { dropped: 0, pending: 0 };
      sessions.add(counter);
      let closed = false;
      return {
        export(batch: SpanBatch) {
          if (closed || stopping) return;
          queue.add(batch.lines.map((line) => ({ line, serviceName })), counter);
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
        await sender.shutdown();
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
