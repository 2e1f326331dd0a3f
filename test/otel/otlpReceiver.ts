import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { decodeTraceRequest } from '../../src/otel/decodeOtlp.js';
import type { OtelSpanData } from '../../src/otel/otelSpan.js';

/** One export request the receiver took. */
export interface ReceivedExport {
  headers: IncomingHttpHeaders;
  path: string;
  spans: OtelSpanData[];
}

/** A local OTLP/HTTP trace receiver on 127.0.0.1 (a stand-in for a collector), decoding with the project's decoder. */
export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT (no path). */
  url: string;
  received: ReceivedExport[];
  spans(): OtelSpanData[];
  /** Requests that arrived, answered or not. */
  requests: number;
  close(): Promise<void>;
}

/**
 * Starts a receiver. `delayMs` holds every answer that long (a slow collector); the held
 * responses are ended when the receiver closes, so no timer outlives the test.
 */
export async function startOtlpReceiver(options: { delayMs?: number } = {}): Promise<OtlpReceiver> {
  const received: ReceivedExport[] = [];
  const held = new Set<{ timer: NodeJS.Timeout; res: ServerResponse }>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const json = (req.headers['content-type'] ?? '').includes('json');
      void decodeTraceRequest(body, json ? 'json' : 'protobuf').then(
        (spans) => {
          received.push({ headers: req.headers, path: req.url ?? '', spans });
          const answer = (): void => {
            res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
            res.end(json ? '{}' : Buffer.alloc(0));
          };
          if (!options.delayMs) return answer();
          const entry = { timer: setTimeout(() => { held.delete(entry); answer(); }, options.delayMs), res };
          held.add(entry);
        },
        (err: Error) => {
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    spans: () => received.flatMap((r) => r.spans),
    get requests() {
      return requests;
    },
    async close() {
      for (const h of held) {
        clearTimeout(h.timer);
        h.res.destroy();
      }
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A base URL where nothing listens (a port taken and released). */
export async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
