import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../store/storeTestKit.js';
import { CLI, ROOT, tempDir } from '../e2e/proxyHelpers.js';
import { deadEndpoint } from './otlpReceiver.js';

// A module hook that names on stderr every OpenTelemetry module (and our export module) Node loads.
const HOOKS = `import { writeSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.includes('/@opentelemetry/') || url.includes('/otel/otlpExport.js')) writeSync(2, 'LOADED ' + url + '\\n');
  return next(url, context);
}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`)}`;

/** Runs a proxy session in front of a server that reads stdin and says nothing; the client leaves at once. Resolves to stderr. */
function proxyOnce(tracesDir: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', REGISTER, CLI, 'proxy', '--traces-dir', tracesDir, ...args, '--', process.execPath, '-e', 'process.stdin.resume()'], {
      cwd: ROOT,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(stderr);
    });
    child.stdin.end();
  });
}

describe('the OTLP exporters load only when export is on (built CLI)', () => {
  it('a proxy without --otlp-endpoint loads no @opentelemetry module; with it, the official exporter', async () => {
    ensureBuilt();
    const dir = await tempDir();
    try {
      const off = await proxyOnce(dir.path, [], {});
      expect(off).toMatch(/mcpscope proxy: session /);
      expect(off).not.toMatch(/LOADED/);
      const on = await proxyOnce(dir.path, ['--otlp-endpoint', await deadEndpoint()], {});
      expect(on).toMatch(/LOADED .*\/otel\/otlpExport\.js/);
      expect(on).toMatch(/LOADED .*@opentelemetry\/exporter-trace-otlp-proto/);
      const fromEnv = await proxyOnce(dir.path, [], { OTEL_EXPORTER_OTLP_ENDPOINT: await deadEndpoint(), OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      expect(fromEnv).toMatch(/LOADED .*@opentelemetry\/exporter-trace-otlp-http/);
      expect(fromEnv).not.toMatch(/LOADED .*exporter-trace-otlp-proto/);
    } finally {
      await dir.cleanup();
    }
  }, 90_000);

  it('refuses --otlp-endpoint with --no-record, and a bad endpoint, before starting anything', async () => {
    const dir = await tempDir();
    try {
      expect(await proxyOnce(dir.path, ['--no-record', '--otlp-endpoint', 'http://127.0.0.1:4318'], {})).toMatch(/--otlp-endpoint exports recorded spans: it cannot be used with --no-record/);
      expect(await proxyOnce(dir.path, ['--otlp-endpoint', 'collector:4318'], {})).toMatch(/--otlp-endpoint: expected an http\(s\) URL/);
      expect(await proxyOnce(dir.path, [], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/not supported: use http\/protobuf \(default\) or http\/json/);
    } finally {
      await dir.cleanup();
    }
  }, 60_000);
});
