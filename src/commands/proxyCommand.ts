import { parseArgs } from 'node:util';
import { resolveConfig } from '../core/config.js';
import { describeError } from '../core/errors.js';
import { assertSessionId, newSessionId } from '../core/ids.js';
import { parseBreakpointPattern } from '../sessions/breakpointPattern.js';
import { createProxySteering, type ProxySteering } from '../sessions/createProxySteering.js';
import { recordTo } from '../proxy/recordTo.js';
import type { ListenSteering } from '../proxy/listenServer.js';
import { startProxy, type OpenRecording, type UpstreamSpec } from '../proxy/startProxy.js';
import { UsageError, type Command, type CommandContext } from './command.js';
import { withUsageErrors } from './parseFlags.js';
import { startOtlpExportFor } from './otlpExportFlag.js';

const usage = `usage: mcpscope proxy [options] -- COMMAND [ARGS...]
       mcpscope proxy [options] --url URL [--header K:V]...

Runs an MCP server behind a transparent recording proxy: every JSON-RPC message is
forwarded unchanged and recorded to <traces-dir>/<session-id>.jsonl.gz.

options:
  --session-id ID   session id (default: a fresh one, printed on stderr)
  --title T         session title (default: the upstream command or URL)
  --traces-dir DIR  where traces go (default: $MCP_TRACES_DIR or ~/.mcp_traces)
  --url URL         proxy a Streamable HTTP MCP server instead of a command
  --header K:V      extra header for --url (repeatable; never recorded)
  --listen URL      serve clients over Streamable HTTP at URL (e.g. http://127.0.0.1:7801/mcp)
                    instead of stdio; each client session is its own recorded, steerable session
  --token T         access token for --listen (default: $MCPSCOPE_TOKEN or a random one)
  --idle-timeout S  with --listen: close a client session (and end its server) after S seconds
                    without an open request or stream (default 1800; 0 never)
  --max-sessions N  with --listen: client sessions at once, each with its own server (default 100)
  --allowed-host NAME[:PORT], --allowed-origin ORIGIN
                    with --listen: also accept this Host / Origin (repeatable or comma-separated;
                    default: $MCPSCOPE_ALLOWED_HOSTS / $MCPSCOPE_ALLOWED_ORIGINS), e.g. behind a reverse proxy
  --no-record       forward only, record nothing
  --max-line-bytes N
                    longest JSON-RPC line on stdio, in bytes (default 67108864 = 64 MiB, at most
                    268435456); a longer line is not forwarded: it is answered with an error and recorded.
                    With --listen also the largest request body (larger: 413 with a JSON-RPC error)
  --break-on PAT    hold matching requests until approved (send_signal approve/reject);
                    PAT is METHOD or METHOD:NAME-GLOB, e.g. tools/call, tools/call:delete_* (repeatable)
  --otlp-endpoint URL
                    also send every recorded span over OTLP/HTTP to URL (e.g. http://127.0.0.1:4318;
                    /v1/traces is added to a URL without a path); default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                    or $OTEL_EXPORTER_OTLP_ENDPOINT. OTEL_EXPORTER_OTLP_HEADERS, _PROTOCOL (http/protobuf,
                    http/json), _TIMEOUT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES apply

Each session is steerable (pause, resume, step, cancel, approve, reject) from
'mcpscope serve' through a control socket under <traces-dir>/live/.`;

const options = {
  'session-id': { type: 'string' },
  title: { type: 'string' },
  'traces-dir': { type: 'string' },
  url: { type: 'string' },
  header: { type: 'string', multiple: true },
  listen: { type: 'string' },
  token: { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-sessions': { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  'allowed-origin': { type: 'string', multiple: true },
  'no-record': { type: 'boolean' },
  'max-line-bytes': { type: 'string' },
  'break-on': { type: 'string', multiple: true },
  'otlp-endpoint': { type: 'string' },
} as const;

/** Parses `K:V` header flags; throws UsageError naming the bad one. */
export function parseHeaders(values: string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values ?? []) {
    const colon = value.indexOf(':');
    const name = colon === -1 ? '' : value.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`proxy: --header expects NAME:VALUE, got ${JSON.stringify(value.split(':')[0])}`);
    headers[name.toLowerCase()] = value.slice(colon + 1).trim();
  }
  return headers;
}

/** Parses a non-negative number flag (`integer` for counts); throws UsageError naming it. */
function numberFlag(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && (!Number.isInteger(n) || n < 1))) {
    throw new UsageError(`proxy: --${name} expects ${integer ? 'a whole number of at least 1' : 'a number of seconds (0 or more)'}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Smallest and largest --max-line-bytes: a line must hold an MCP message, and still decode to one JavaScript string (V8 caps them near 512 MiB). */
const MIN_LINE_BYTES = 1024;
const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** Parses --max-line-bytes; throws UsageError for anything but an integer in range. */
export function parseMaxLineBytes(value: string): number {
  const n = /^\d{1,12}$/.test(value) ? Number(value) : NaN;
  if (!(n >= MIN_LINE_BYTES && n <= MAX_LINE_BYTES)) throw new UsageError(`proxy: --max-line-bytes expects a whole number of bytes from ${MIN_LINE_BYTES} to ${MAX_LINE_BYTES}, got ${JSON.stringify(value)}`);
  return n;
}

/** `mcpscope proxy`: see `usage`. Resolves to the exit code (the upstream's when it exits by itself). */
export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'run an MCP server behind a transparent recording proxy',
  usage,
  async run(ctx: CommandContext): Promise<number> {
    const plan = parseProxyArgs(ctx);
    const { values } = plan;
    const config = resolveConfig({ tracesDir: values['traces-dir'], token: values.token, allowedHosts: values['allowed-host'], allowedOrigins: values['allowed-origin'] }, ctx.env);
    if (values['otlp-endpoint'] !== undefined && values['no-record']) throw new UsageError('proxy: --otlp-endpoint exports recorded spans: it cannot be used with --no-record');
    const otlp = values['no-record'] ? undefined : await startOtlpExportFor(values['otlp-endpoint'], ctx.env, ctx.stderr);
    const log = (line: string): void => {
      ctx.stderr.write(`mcpscope proxy: ${line}\n`);
    };
    // Each session's steering opens its trace writer (so live status changes reach that meta).
    const recording = (steering: ProxySteering): OpenRecording | undefined =>
      values['no-record'] ? undefined : recordTo((info) => steering.openTraceWriter(info, otlp ? [otlp.exporterFor()] : undefined), { onError: (err) => log(`recording: ${describeError(err)}`) });
    const setup: ProxySetup = { ...plan, config, log, recording, breakOn: values['break-on'] ?? [], stopExport: async () => void (await otlp?.shutdown()) };
    return values.listen !== undefined ? runListening(ctx, setup, values.listen) : runStdio(ctx, setup);
  },
};

/** The proxy's flags, checked together. */
interface ProxyPlan {
  values: ReturnType<typeof parseFlags>['values'];
  upstream: UpstreamSpec;
  sessionId: string | undefined;
  idleSeconds: number | undefined;
  maxSessions: number | undefined;
  maxLineBytes: number | undefined;
}

/** What both ways of serving clients share. */
interface ProxySetup extends ProxyPlan {
  config: ReturnType<typeof resolveConfig>;
  log: (line: string) => void;
  recording: (steering: ProxySteering) => OpenRecording | undefined;
  breakOn: string[];
  /** Sends what the OTLP export still holds, when there is one. */
  stopExport: () => Promise<void>;
}

function parseFlags(flagArgs: string[]) {
  return withUsageErrors('proxy', () => parseArgs({ args: flagArgs, options, strict: true, allowPositionals: true }));
}

/** Parses and cross-checks the flags; throws UsageError for a bad combination. */
function parseProxyArgs(ctx: CommandContext): ProxyPlan {
  const dashdash = ctx.argv.indexOf('--');
  const flagArgs = dashdash === -1 ? ctx.argv : ctx.argv.slice(0, dashdash);
  const command = dashdash === -1 ? [] : ctx.argv.slice(dashdash + 1);
  const { values, positionals } = parseFlags(flagArgs);
  if (positionals.length > 0) throw new UsageError(`proxy: unexpected argument ${JSON.stringify(positionals[0])} (put the server command after --)`);
  if (values.url !== undefined && command.length > 0) throw new UsageError('proxy: give either --url or a command after --, not both');
  if (values.url === undefined && command.length === 0) throw new UsageError('proxy: missing the server command (after --) or --url');
  if (values.header !== undefined && values.url === undefined) throw new UsageError('proxy: --header needs --url');
  if ((values['allowed-host'] ?? values['allowed-origin']) !== undefined && values.listen === undefined) throw new UsageError('proxy: --allowed-host and --allowed-origin need --listen');
  if (values.listen !== undefined && values['session-id'] !== undefined) throw new UsageError('proxy: --session-id cannot be used with --listen (each client gets its own session)');
  const idleSeconds = numberFlag('idle-timeout', values['idle-timeout'], false);
  const maxSessions = numberFlag('max-sessions', values['max-sessions'], true);
  if ((idleSeconds !== undefined || maxSessions !== undefined) && values.listen === undefined) throw new UsageError('proxy: --idle-timeout and --max-sessions need --listen');
  if (values.url !== undefined && !/^https?:\/\/[^/]/i.test(values.url)) throw new UsageError(`proxy: --url must be an http(s) URL`);
  const maxLineBytes = values['max-line-bytes'] === undefined ? undefined : parseMaxLineBytes(values['max-line-bytes']);
  const sessionId = values['session-id'] === undefined ? undefined : assertSessionId(values['session-id']);
  const upstream: UpstreamSpec =
    values.url !== undefined
      ? { kind: 'http', url: values.url, headers: parseHeaders(values.header) }
      : { kind: 'stdio', command: command[0]!, args: command.slice(1), env: ctx.env };
  return { values, upstream, sessionId, idleSeconds, maxSessions, maxLineBytes };
}

/** `--listen`: serves clients over Streamable HTTP until the command is aborted. */
async function runListening(ctx: CommandContext, s: ProxySetup, listen: string): Promise<number> {
  const { config, values, breakOn, log } = s;
  // A malformed pattern fails here (INVALID_ARGUMENT), before anything listens.
  for (const pattern of breakOn) parseBreakpointPattern(pattern);
  const steer = (id: string): ListenSteering => {
    const steering = createProxySteering({ tracesDir: config.tracesDir, sessionId: id, breakOn, log });
    const openRecording = s.recording(steering);
    return {
      gate: steering.gate,
      ...(openRecording ? { openRecording } : {}),
      attach: (handle) => steering.attach(handle),
      close: () => steering.close(),
    };
  };
  // Loaded only with --listen: the HTTP server stack adds ~160 ms to start-up here.
  const { startListenServer } = await import('../proxy/listenServer.js');
  const server = await startListenServer({
    listen,
    upstream: s.upstream,
    stderr: ctx.stderr,
    ...(config.token !== undefined ? { token: config.token } : {}),
    ...(config.allowedHosts ? { allowedHosts: config.allowedHosts } : {}),
    ...(config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {}),
    ...(values.title !== undefined ? { title: values.title } : {}),
    ...(s.idleSeconds !== undefined ? { idleTimeoutMs: s.idleSeconds * 1000 } : {}),
    ...(s.maxSessions !== undefined ? { maxSessions: s.maxSessions } : {}),
    ...(s.maxLineBytes !== undefined ? { maxLineBytes: s.maxLineBytes } : {}),
    steer,
  });
  log(`listening on ${server.url}`);
  if (config.token === undefined) log(`access token: ${server.token}`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  await s.stopExport();
  return 0;
}

/** One stdio client: runs until the upstream or the client ends; resolves to the upstream's exit code. */
async function runStdio(ctx: CommandContext, s: ProxySetup): Promise<number> {
  const { config, values, log, sessionId } = s;
  // Live control: the gate holds requests on pause/--break-on; serve steers over a socket.
  const steering = createProxySteering({ tracesDir: config.tracesDir, sessionId: sessionId ?? newSessionId(), breakOn: s.breakOn, log });
  const openRecording = s.recording(steering);
  const handle = await startProxy({
    upstream: s.upstream,
    clientIn: ctx.stdin,
    clientOut: ctx.stdout,
    cutThrough: true,
    stderr: ctx.stderr,
    sessionId: steering.sessionId,
    gate: steering.gate,
    ...(s.maxLineBytes !== undefined ? { maxLineBytes: s.maxLineBytes } : {}),
    ...(values.title !== undefined ? { title: values.title } : {}),
    ...(openRecording ? { openRecording } : {}),
  });
  await steering.attach(handle);
  if (sessionId === undefined) log(`session ${handle.sessionId}${openRecording ? ` (traces in ${config.tracesDir})` : ''}`);
  const stop = (): void => void handle.close();
  if (ctx.signal.aborted) stop();
  else ctx.signal.addEventListener('abort', stop, { once: true });
  const result = await handle.done;
  await steering.close();
  await s.stopExport();
  ctx.signal.removeEventListener('abort', stop);
  if (result.status !== 'completed') log(`session ${handle.sessionId} ${result.status}: ${result.reason ?? ''}`);
  // Nothing more to read: let the process exit.
  ctx.stdin.destroy();
  return result.exitCode;
}
