import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { resolveConfig, type InspectorConfig } from '../core/config.js';
import { describeError } from '../core/errors.js';
import { createInspectorContext, createInspectorServer, type InspectorContext } from '../server.js';
import { createEventBus } from '../sessions/eventBus.js';
import { createSessionControl } from '../sessions/sessionControl.js';
import type { SessionControl } from '../sessions/sessionControl.js';
import { DEFAULT_RETENTION_DAYS, DEFAULT_RETENTION_MAX_MB } from '../store/retention.js';
import { startRetention, type RetentionSchedule } from '../store/retentionSchedule.js';
import { startGateway, type GatewayHandle, type GatewayOptions } from '../http/startGateway.js';
import { UsageError, type Command, type CommandContext } from './command.js';
import { withUsageErrors } from './parseFlags.js';
import { startOtlpExportFor } from './otlpExportFlag.js';
import type { OtlpExport } from '../otel/otlpExport.js';

const usage = `usage: mcpscope serve [--traces-dir DIR] [--http] [--host HOST] [--port PORT] [--token TOKEN]
                     [--allowed-host NAME[:PORT]]... [--allowed-origin ORIGIN]... [--no-gateway]
                     [--retention-days N] [--retention-max-mb N] [--otlp-endpoint URL]

Serves the inspector as an MCP server over stdio (what Claude Desktop launches): tools
list_sessions, get_trace, get_span, search_spans, pause_workflow, resume_workflow,
cancel_workflow, send_signal; resources inspector://sessions, inspector://sessions/{id},
inspector://traces/{id}; prompt debug_session. Logs go to stderr. Stops when stdin closes.

options:
  --traces-dir DIR  traces to serve (default: $MCP_TRACES_DIR or ~/.mcp_traces)
  --no-control      read traces only: do not discover or steer live sessions
  --http            serve only the HTTP gateway (routes under /_inspector, /mcp, the page at /),
                    not stdio; runs until interrupted (this is \`npm start\`)
  --host HOST       gateway address (default: $MCPSCOPE_HOST or 127.0.0.1; a non-loopback
                    address requires --token and then every route needs it)
  --port PORT       gateway port, 0 picks a free one (default: $MCPSCOPE_PORT or 7800)
  --token TOKEN     gateway access token, 16+ characters (default: $MCPSCOPE_TOKEN or random)
  --allowed-host NAME[:PORT]
                    also accept this Host header (repeatable or comma-separated; default:
                    $MCPSCOPE_ALLOWED_HOSTS), e.g. the public name of a reverse proxy in front;
                    NAME alone accepts NAME and NAME:<port>
  --allowed-origin ORIGIN
                    also accept requests from this Origin and send it CORS headers (repeatable
                    or comma-separated; default: $MCPSCOPE_ALLOWED_ORIGINS), e.g.
                    https://inspector.example.com
  --no-gateway      stdio only: do not start the HTTP gateway beside it
  --retention-days N
                    delete sessions last written more than N days ago (default: $MCPSCOPE_RETENTION_DAYS
                    or ${DEFAULT_RETENTION_DAYS}; 0 keeps them forever)
  --retention-max-mb N
                    then delete the oldest sessions while the traces total more than N MiB (default:
                    $MCPSCOPE_RETENTION_MAX_MB or ${DEFAULT_RETENTION_MAX_MB}; 0: no size limit)
                    Retention runs at start and hourly, and never touches a live session.
  --otlp-endpoint URL
                    send the spans this gateway records (those it takes at /v1/traces) on over
                    OTLP/HTTP to URL, e.g. a collector (default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
                    $OTEL_EXPORTER_OTLP_ENDPOINT; the other OTEL_EXPORTER_OTLP_* variables apply)

Over stdio the gateway starts too, unless --no-gateway; when its port is taken it is skipped
with a warning. The gateway URL, with its token, is printed on stderr. The gateway also takes
OpenTelemetry traces (OTLP/HTTP, protobuf or JSON, at most 4 MiB) at POST /v1/traces with the
token, stored as sessions of engine otlp.`;

const flags = {
  'traces-dir': { type: 'string' },
  'no-control': { type: 'boolean' },
  http: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  'allowed-origin': { type: 'string', multiple: true },
  'no-gateway': { type: 'boolean' },
  'retention-days': { type: 'string' },
  'retention-max-mb': { type: 'string' },
  'otlp-endpoint': { type: 'string' },
} as const;

/** Options of {@link startServe}. */
export interface ServeOptions {
  tracesDir: string;
  /** MCP over stdio on these streams. */
  stdin: Readable;
  stdout: Writable;
  /** One line per message, to stderr. */
  log: (line: string) => void;
  /** Stops serving when aborted. */
  signal?: AbortSignal;
  /** Discover and steer live sessions of other processes under the traces directory. Default true. */
  control?: boolean;
}

/** A running `serve`: resolves `closed` once everything it started has stopped. */
export interface ServeHandle {
  context: InspectorContext;
  control?: SessionControl;
  closed: Promise<void>;
  /** Stops serving and releases everything. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the inspector MCP server on stdio: a shared context over `tracesDir` (with live
 * control unless `control` is false; a control that fails to start is logged and skipped),
 * one MCP server on a StdioServerTransport. Stops on `signal`, on stdin's end, or on close().
 * Further front ends (the HTTP gateway) can be started beside it from the same context.
 */
export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const { log } = options;
  let control: SessionControl | undefined;
  if (options.control !== false) {
    try {
      control = await createSessionControl({ tracesDir: options.tracesDir, bus: createEventBus(), log });
    } catch (err) {
      log(`mcpscope: live-session control unavailable (${describeError(err)}); serving traces read-only`);
    }
  }
  const context = createInspectorContext({ tracesDir: options.tracesDir, ...(control ? { control } : {}), log });
  const mcp = createInspectorServer(context);
  const transport = new StdioServerTransport(options.stdin, options.stdout);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      options.signal?.removeEventListener('abort', onStop);
      options.stdin.off('end', onInputEnd).off('close', onInputEnd);
      await mcp.close().catch((err: unknown) => log(`mcpscope: closing the MCP server: ${describeError(err)}`));
      await context.close();
      await control?.close().catch((err: unknown) => log(`mcpscope: closing live control: ${describeError(err)}`));
      resolveClosed();
    })());
  const onStop = () => void close();
  // stdin may end right after the last request (a piped client): answer what is in flight first.
  const inflight = new Set<string | number>();
  const onInputEnd = () => void drain(inflight).then(close);
  options.signal?.addEventListener('abort', onStop, { once: true });
  options.stdin.once('end', onInputEnd).once('close', onInputEnd);
  transport.onerror = (err) => log(`mcpscope: stdio transport: ${describeError(err)}`);
  await mcp.server.connect(transport);
  trackRequests(transport, inflight);
  if (options.signal?.aborted) void close();
  return { context, ...(control ? { control } : {}), closed, close };
}

/** Keeps `inflight` to the ids of requests received and not yet answered. */
function trackRequests(transport: StdioServerTransport, inflight: Set<string | number>): void {
  const receive = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message) inflight.add(message.id);
    receive?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    await send(message);
    if (!('method' in message) && 'id' in message && message.id !== undefined) inflight.delete(message.id);
  };
}

/** Resolves once `inflight` is empty, or after 5 s. */
async function drain(inflight: Set<string | number>): Promise<void> {
  for (let waited = 0; inflight.size > 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
}

/** `mcpscope serve`: see `usage`. Resolves to 0 once stdin closes or the process is asked to stop. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve recorded sessions to an MCP client over stdio (tools, resources, prompt)',
  usage,
  async run(ctx: CommandContext): Promise<number> {
    const { values } = withUsageErrors('serve', () => parseArgs({ args: ctx.argv, options: flags, strict: true, allowPositionals: false }));
    if (values.http && values['no-gateway']) throw new UsageError('serve: --http and --no-gateway cannot be combined');
    const config = resolveConfig(
      {
        ...(values['traces-dir'] === undefined ? {} : { tracesDir: values['traces-dir'] }),
        ...(values.host === undefined ? {} : { host: values.host }),
        ...(values.port === undefined ? {} : { port: values.port }),
        ...(values.token === undefined ? {} : { token: values.token }),
        ...(values['allowed-host'] === undefined ? {} : { allowedHosts: values['allowed-host'] }),
        ...(values['allowed-origin'] === undefined ? {} : { allowedOrigins: values['allowed-origin'] }),
        ...(values['retention-days'] === undefined ? {} : { retentionDays: values['retention-days'] }),
        ...(values['retention-max-mb'] === undefined ? {} : { retentionMaxMb: values['retention-max-mb'] }),
      },
      ctx.env,
    );
    const log = (line: string) => void ctx.stderr.write(`${line}\n`);
    if (values['otlp-endpoint'] !== undefined && values['no-gateway']) throw new UsageError('serve: --otlp-endpoint exports what the gateway records: it cannot be used with --no-gateway');
    const otlp = values['no-gateway'] ? undefined : await startOtlpExportFor(values['otlp-endpoint'], ctx.env, ctx.stderr);
    const retention = startServeRetention(config, log);
    try {
      return await serveUntilDone(values, config, log, ctx, otlp);
    } finally {
      await retention.close();
      await otlp?.shutdown();
    }
  },
};

/** Starts retention with the configured (or default) limits and says on stderr what they are. */
function startServeRetention(config: InspectorConfig, log: (line: string) => void): RetentionSchedule {
  const days = config.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const maxMb = config.retentionMaxMb ?? DEFAULT_RETENTION_MAX_MB;
  const limits = [days > 0 ? `last written over ${days} days ago` : '', maxMb > 0 ? `the oldest while traces exceed ${maxMb} MiB` : ''].filter(Boolean);
  log(limits.length === 0 ? 'mcpscope: retention off: sessions are kept forever' : `mcpscope: retention: deleting finished sessions ${limits.join(', and ')} (--retention-days, --retention-max-mb)`);
  return startRetention({ tracesDir: config.tracesDir, days, maxBytes: maxMb * 1048576, log });
}

/** `serve` proper: the gateway alone (`--http`), or MCP on stdio with the gateway beside it; resolves to the exit code. */
async function serveUntilDone(values: { http?: boolean; 'no-control'?: boolean; 'no-gateway'?: boolean }, config: InspectorConfig, log: (line: string) => void, ctx: CommandContext, otlp: OtlpExport | undefined): Promise<number> {
  if (values.http) return serveHttp(config, log, ctx.signal, values['no-control'] !== true, otlp);
  const handle = await startServe({ tracesDir: config.tracesDir, stdin: ctx.stdin, stdout: ctx.stdout, log, signal: ctx.signal, control: values['no-control'] !== true });
  log(`mcpscope: serving MCP on stdio; traces in ${config.tracesDir}${handle.control ? '' : ' (read-only)'}`);
  let gateway: GatewayHandle | undefined;
  if (values['no-gateway'] !== true) {
    try {
      gateway = await startGateway(gatewayOptions(config, handle.context, handle.control, log, otlp));
    } catch (err) {
      log(`mcpscope: warning: HTTP gateway not started (${describeError(err)}); serving stdio only`);
    }
  }
  await handle.closed;
  await gateway?.close();
  return 0;
}

function gatewayOptions(config: InspectorConfig, context: InspectorContext, control: SessionControl | undefined, log: (line: string) => void, otlp: OtlpExport | undefined): GatewayOptions {
  return {
    // Ingested sessions go on under their own service name, as a collector would pass them.
    ...(otlp ? { otlp: { exporters: (key) => [otlp.exporterFor(key.serviceName === undefined ? {} : { serviceName: key.serviceName })] } } : {}),
    tracesDir: config.tracesDir,
    host: config.host,
    port: config.port,
    ...(config.token === undefined ? {} : { token: config.token }),
    ...(config.allowedHosts === undefined ? {} : { allowedHosts: config.allowedHosts }),
    ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: config.allowedOrigins }),
    ...(control ? { control } : {}),
    catalog: context.catalog,
    createMcpServer: () => createInspectorServer(context),
    log,
  };
}

/** `serve --http`: the gateway alone (with /mcp), until `signal` aborts. A gateway that cannot start is fatal here. */
async function serveHttp(config: InspectorConfig, log: (line: string) => void, signal: AbortSignal, withControl: boolean, otlp: OtlpExport | undefined): Promise<number> {
  let control: SessionControl | undefined;
  if (withControl) {
    try {
      control = await createSessionControl({ tracesDir: config.tracesDir, bus: createEventBus(), log });
    } catch (err) {
      log(`mcpscope: live-session control unavailable (${describeError(err)}); serving traces read-only`);
    }
  }
  const context = createInspectorContext({ tracesDir: config.tracesDir, ...(control ? { control } : {}), log });
  const release = async () => {
    await context.close();
    await control?.close().catch((err: unknown) => log(`mcpscope: closing live control: ${describeError(err)}`));
  };
  let gateway: GatewayHandle;
  try {
    gateway = await startGateway(gatewayOptions(config, context, control, log, otlp));
  } catch (err) {
    await release();
    throw err;
  }
  log(`mcpscope: serving the HTTP gateway; traces in ${config.tracesDir}${control ? '' : ' (read-only)'}`);
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await gateway.close();
  await release();
  return 0;
}
