import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startGateway, type GatewayHandle, type GatewayOptions } from '../../src/http/startGateway.js';

/** A temp traces dir plus a gateway on 127.0.0.1:0, with its log lines captured. */
export interface GatewayFixture {
  /** Temp root; the traces dir is `<root>/traces`. */
  root: string;
  dir: string;
  gateway: GatewayHandle;
  logs: string[];
  /** `Host` header value the gateway accepts. */
  host: string;
  close(): Promise<void>;
}

/** Starts a fixture; `options` may be a function of the traces dir (e.g. to build an index over it). */
export async function startFixture(options: Partial<GatewayOptions> | ((dir: string) => Partial<GatewayOptions>) = {}): Promise<GatewayFixture> {
  const root = await mkdtemp(join(tmpdir(), 'inspector-http-'));
  const dir = join(root, 'traces');
  await mkdir(dir);
  const logs: string[] = [];
  let gateway: GatewayHandle;
  try {
    const extra = typeof options === 'function' ? options(dir) : options;
    gateway = await startGateway({ host: '127.0.0.1', port: 0, log: (l) => logs.push(l), ...extra, tracesDir: dir });
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return {
    root,
    dir,
    gateway,
    logs,
    host: `127.0.0.1:${gateway.port}`,
    async close() {
      await gateway.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** One NDJSON line of `size` bytes or more (a plausible span), newline included. */
export function spanLine(i: number, pad = 0): string {
  return `${JSON.stringify({ trace_id: 'a'.repeat(32), span_id: (i + 1).toString(16).padStart(16, '0'), name: `tools/call t${i}`, kind: 'SERVER', start_time: '2026-01-01T00:00:00.000000Z', end_time: '2026-01-01T00:00:00.001000Z', status: { status_code: 'OK' }, attributes: { pad: 'x'.repeat(pad) } })}\n`;
}

/**
 * Writes a trace as gzip members: `parts[p][m]` is the NDJSON text of member m of part p
 * (part 0 is `<id>.jsonl.gz`, part n is `<id>.<n>.jsonl.gz`). Returns the NDJSON of it all.
 */
export async function writeTrace(dir: string, id: string, parts: string[][]): Promise<Buffer> {
  const all: Buffer[] = [];
  for (let p = 0; p < parts.length; p++) {
    const members = parts[p]!.map((text) => gzipSync(Buffer.from(text, 'utf8')));
    await writeFile(join(dir, p === 0 ? `${id}.jsonl.gz` : `${id}.${p}.jsonl.gz`), Buffer.concat(members));
    all.push(...parts[p]!.map((t) => Buffer.from(t, 'utf8')));
  }
  return Buffer.concat(all);
}

/** Appends one member to part 0 of a trace, as a writer flush would. */
export async function appendMember(dir: string, id: string, text: string): Promise<void> {
  await appendFile(join(dir, `${id}.jsonl.gz`), gzipSync(Buffer.from(text, 'utf8')));
}

/** A raw HTTP/1.1 exchange over a socket, for request targets no client library would send. */
export function rawRequest(port: number, text: string, timeoutMs = 5000): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('latin1');
      const split = all.indexOf('\r\n\r\n');
      const head = split === -1 ? all : all.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split === -1 ? '' : all.slice(split + 4) });
    });
    socket.write(text);
  });
}
