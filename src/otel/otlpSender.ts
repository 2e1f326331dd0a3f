import type { SpanExporter as OtelSpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpExportConfig } from '../core/otlpConfig.js';
import type { Span } from '../core/span.js';
import { plainResource, toReadableSpan, type ExportIdentity } from './toReadableSpan.js';

/** What crosses to the thread that exports: the parts of the config the exporter needs (all cloneable). */
export type SenderConfig = Pick<OtlpExportConfig, 'url' | 'protocol' | 'headers' | 'timeoutMs' | 'resourceAttributes'> & { scope: ExportIdentity['scope'] };

/** Trace lines (our JSON spans) of one service. */
export interface LineGroup {
  serviceName: string;
  lines: string[];
}

/** Sends batches of trace lines over OTLP with the official exporter. */
export interface OtlpSender {
  /** Resolves when the collector accepted the batch (one request); rejects with the exporter's error otherwise. */
  send(groups: LineGroup[]): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The sender on this thread: loads `@opentelemetry/exporter-trace-otlp-proto` (or `-http` for
 * http/json) on demand, parses each line and converts it to a ReadableSpan under one shared
 * resource per service name (so the encoder groups them), and exports. Encoding to protobuf is
 * the costly step (tens of µs per span), which is why the export runs it on a worker thread.
 */
export async function createOtlpSender(config: SenderConfig): Promise<OtlpSender> {
  const options = { url: config.url, headers: { ...config.headers }, timeoutMillis: config.timeoutMs };
  const exporter: OtelSpanExporter =
    config.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(options)
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(options);
  const identities = new Map<string, { resource: object; scope: ExportIdentity['scope'] }>();
  const identityOf = (serviceName: string) => {
    let identity = identities.get(serviceName);
    if (!identity) {
      identity = { resource: plainResource({ ...config.resourceAttributes, 'service.name': serviceName }), scope: config.scope };
      identities.set(serviceName, identity);
    }
    return identity;
  };
  return {
    send(groups) {
      return new Promise<void>((resolve, reject) => {
        const spans = groups.flatMap(({ serviceName, lines }) => {
          const identity = identityOf(serviceName);
          return lines.map((line) => toReadableSpan(JSON.parse(line) as Span, identity));
        });
        exporter.export(spans, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed'))));
      });
    },
    shutdown: () => exporter.shutdown().catch(() => undefined),
  };
}
