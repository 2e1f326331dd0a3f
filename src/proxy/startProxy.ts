import type { Readable, Writable } from 'node:stream';
import { InspectorError, describeError } from '../core/errors.js';
import { assertSessionId, newSessionId } from '../core/ids.js';
import type { RequestGate } from '../sessions/gateTypes.js';
import type { HttpUpstreamSpec } from './httpUpstream.js';
import { oversizeReader, type OversizeLine } from './envelopeSniffer.js';
import { createLineFramer, DEFAULT_MAX_LINE_BYTES } from './lineFramer.js';
import { createCutThrough, type CutThrough } from './cutThrough.js';
import { MessageRouter, RpcErrorCode, UPSTREAM_FULL_CHECK_BELOW } from './messageRouter.js';
import type { ProxyRecorder } from './proxyRecorder.js';
import { createStdioUpstream, type StdioUpstreamSpec } from './stdioUpstream.js';
import { upstreamTitle } from './upstreamTitle.js';
import type { Upstream, UpstreamOutcome } from './upstream.js';

/** Final state of a proxy session. */
export type ProxyStatus = 'completed' | 'failed' | 'cancelled';
export interface ProxyResult {
  status: ProxyStatus;
  reason?: string;
  /** What the proxy process should exit with. */
  exitCode: number;
}

/** The record of one proxy session (see recordTo for the trace-file one). */
export interface ProxyRecording {
  recorder: ProxyRecorder;
  /** Ends the record with the session's final status. Must not reject. */
  finish(status: ProxyStatus, reason?: string): Promise<void>;
}

/** Opens the record of a session; called once per session before any traffic. */
export type OpenRecording = (info: { sessionId: string; title: string; transport: 'stdio' | 'streamable-http' }) => ProxyRecording | Promise<ProxyRecording>;

/** Where the upstream is: a command to spawn, or a Streamable HTTP URL. */
export type UpstreamSpec = ({ kind: 'stdio' } & StdioUpstreamSpec) | ({ kind: 'http' } & HttpUpstreamSpec);

export interface ProxyOptions {
  upstream: UpstreamSpec;
  /** Client-facing input (the MCP client's messages, newline-delimited JSON). */
  clientIn: Readable;
  /** Client-facing output. Not ended by the proxy unless `endClientOut` is true. */
  clientOut: Writable;
  /** Ends `clientOut` when the session ends. Default false (process.stdout must not be ended). */
  endClientOut?: boolean;
  /** Diagnostics and the upstream's stderr. */
  stderr: Writable;
  /** Default: a fresh id from newSessionId(). */
  sessionId?: string;
  /** Default: the upstream command line or URL (credentials removed). */
  title?: string;
  /** Undefined: nothing is recorded (the bare forwarding proxy). */
  openRecording?: OpenRecording;
  /** Client-facing transport named in the record. Default 'stdio'. */
  clientTransport?: 'stdio' | 'streamable-http';
  /** Undefined: every request is forwarded at once. */
  gate?: RequestGate;
  /** Grace period for the upstream to end on its own when closing, before escalating. Default 2000 ms. */
  graceMs?: number;
  /**
   * A stdio upstream's lines of 16 KiB and more go to the client piece by piece as they arrive,
   * instead of once complete (cutThrough.ts). Only for a byte-stream `clientOut`: `proxy --listen`
   * takes one write per message. Default false.
   */
  cutThrough?: boolean;
  /**
   * Longest line accepted on stdio (from the client, and from a stdio upstream), in bytes. A longer
   * line is passed over without being held, answered with a JSON-RPC error and recorded. Default 64 MiB.
   */
  maxLineBytes?: number;
}

/** A running proxy session. */
export interface ProxyHandle {
  sessionId: string;
  title: string;
  /** Settles once the session has ended and its record is closed. Never rejects. */
  done: Promise<ProxyResult>;
  /** Answers pending requests with -32800, cancels in-flight ones upstream, ends the session 'cancelled'. */
  cancel(reason?: string): Promise<void>;
  /** Traffic counters (and the recorder's, when recording). */
  stats(): ProxyStats;
  /** Stops gracefully (the upstream gets EOF or DELETE); the session ends 'completed'. Idempotent. */
  close(): Promise<void>;
}

export interface ProxyStats {
  fromClient: number;
  toClient: number;
  pending: number;
  recorded?: { requests: number; toolCalls: number; errors: number; spans: number };
}

/**
 * Starts one transparent proxy session: connects the upstream, then forwards every message
 * between `clientIn`/`clientOut` and the upstream byte for byte, recording both legs.
 * Ends when either side closes: client EOF -> 'completed' (exit 0); upstream exit -> its
 * pending requests are answered with -32000, status 'completed' or 'failed' with the
 * upstream's exit code. Rejects only for invalid options.
 */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const sessionId = options.sessionId === undefined ? newSessionId() : assertSessionId(options.sessionId);
  const spec = options.upstream;
  if (spec.kind === 'stdio' && spec.command === '') throw new InspectorError('INVALID_ARGUMENT', 'proxy: the upstream command is empty');
  if (spec.kind === 'http' && !/^https?:\/\//i.test(spec.url)) throw new InspectorError('INVALID_ARGUMENT', `proxy: upstream URL must be http(s): ${upstreamTitle(spec)}`);
  const title = options.title ?? upstreamTitle(spec);
  const { clientIn, clientOut, stderr } = options;
  const log = (line: string): void => {
    stderr.write(`mcpscope proxy: ${line}\n`);
  };

  const recording = options.openRecording ? await options.openRecording({ sessionId, title, transport: options.clientTransport ?? 'stdio' }) : undefined;

  let clientGone = false;
  // Backpressure, both ways: while the client's side holds more than its high-water mark unwritten,
  // the upstream is not read; while the upstream's input does, the client is not read.
  let upstreamPaused = false;
  let clientPaused = false;
  const resumeUpstream = (): void => {
    upstreamPaused = false;
    upstream.resume?.();
  };
  const writeClient = (bytes: Buffer): void => {
    if (clientGone || clientOut.write(bytes) || upstreamPaused || upstream.pause === undefined) return;
    upstreamPaused = true;
    upstream.pause();
    clientOut.once('drain', resumeUpstream);
  };
  const cut: CutThrough | undefined = options.cutThrough
    ? createCutThrough({ write: writeClient, after: UPSTREAM_FULL_CHECK_BELOW, reuse: recording === undefined, mayPass: () => !clientGone && !ending })
    : undefined;
  const router: MessageRouter = new MessageRouter({
    writeClient: cut ? (framed) => cut.writeMessage(framed) : writeClient,
    sendUpstream: (framed, end, meta) => {
      if (upstream.send(framed, end, meta) !== false || clientPaused) return;
      clientPaused = true;
      clientIn.pause();
    },
    ...(recording ? { recorder: recording.recorder } : {}),
    ...(options.gate ? { gate: options.gate } : {}),
  });

  let ending: { status: ProxyStatus; reason: string; exitCode: number } | undefined;
  let resolveDone!: (r: ProxyResult) => void;
  const done = new Promise<ProxyResult>((resolve) => (resolveDone = resolve));

  const onUpstreamClosed = (outcome: UpstreamOutcome): void => {
    router.upstreamClosed();
    if (ending) return;
    // The upstream went away by itself: answer what it left unanswered, then end.
    router.failPending(RpcErrorCode.UPSTREAM_CLOSED, `upstream closed: ${outcome.reason}`);
    void end(outcome.failed ? 'failed' : 'completed', outcome.reason, outcome.exitCode, false);
  };
  const handlers = {
    message: (framed: Buffer, e: number, passed?: boolean) => router.fromUpstream(framed, e, passed),
    ...(cut ? { stream: cut.stream } : {}),
    sendFailed: (meta: Parameters<typeof router.sendFailed>[0], reason: string) => router.sendFailed(meta, reason),
    closed: onUpstreamClosed,
    chunkStart: () => clientOut.cork(),
    chunkEnd: () => clientOut.uncork(),
    oversize: (line: OversizeLine) => router.oversizeFromUpstream(line),
    drained: () => {
      if (!clientPaused) return;
      clientPaused = false;
      if (!ending) clientIn.resume();
    },
    log,
  };
  const graceMs = options.graceMs ?? 2000;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // httpUpstream is loaded only for an HTTP upstream: undici adds ~150 ms to start-up here.
  const upstream: Upstream =
    spec.kind === 'stdio'
      ? createStdioUpstream({ ...spec, handlers, stderr, graceMs, maxLineBytes })
      : (await import('./httpUpstream.js')).createHttpUpstream({ url: spec.url, ...(spec.headers ? { headers: spec.headers } : {}), ...(spec.resume ? { resume: spec.resume } : {}), handlers, graceMs });

  const framer = createLineFramer((framed, e) => router.fromClient(framed, e), {
    maxLineBytes,
    oversize: oversizeReader(maxLineBytes, (line) => {
      log(`client sent a line of ${line.bytes} bytes, over the limit of ${maxLineBytes}: not forwarded`);
      router.oversizeFromClient(line);
    }),
    ...(upstream.cork && upstream.uncork ? { group: { start: () => upstream.cork!(), end: () => upstream.uncork!() } } : {}),
  });
  const onData = (chunk: Buffer | string): void => framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const onEnd = (): void => {
    framer.end();
    void end('completed', 'client closed the connection', 0, true, false);
  };
  const onClientError = (err: Error): void => {
    clientGone = true;
    log(`client output failed: ${describeError(err)}`);
    void end('completed', 'client closed the connection', 0, true, false);
  };
  clientIn.on('data', onData);
  clientIn.once('end', onEnd);
  clientIn.once('close', onEnd);
  clientIn.on('error', onClientError);
  clientOut.on('error', onClientError);

  const end = async (status: ProxyStatus, reason: string, exitCode: number, closeUpstream: boolean, answerPending = true): Promise<void> => {
    if (ending) return;
    ending = { status, reason, exitCode };
    // Requests the gate still holds will never be forwarded now: answer them while the record is
    // open (a gate that lets go of them later finds them answered), so their spans carry the answer.
    if (!answerPending) router.failHeld(RpcErrorCode.REQUEST_CANCELLED, `request cancelled: ${reason}`);
    if (closeUpstream) {
      await upstream.close();
      router.upstreamClosed();
      // A client that left gets no answers (the recorder ends its open requests as ERROR);
      // one we are stopping under (close/cancel) hears why its requests will not complete.
      if (answerPending) router.failPending(RpcErrorCode.UPSTREAM_CLOSED, reason.startsWith('proxy closed') ? reason : `proxy closed: ${reason}`);
    } else {
      // It closed by itself; what it started may still run (npx's server): end that too.
      await upstream.close();
    }
    clientIn.off('data', onData);
    clientIn.off('end', onEnd);
    clientIn.off('close', onEnd);
    clientIn.pause();
    if (recording) {
      try {
        recording.recorder.close(reason);
        await recording.finish(status, reason);
      } catch (err) {
        log(`recording failed to close: ${describeError(err)}`);
      }
    }
    if (options.endClientOut && !clientGone) await new Promise<void>((resolve) => clientOut.end(resolve));
    resolveDone({ status, reason, exitCode });
  };

  return {
    sessionId,
    title,
    done,
    async cancel(reason = 'cancelled'): Promise<void> {
      if (!ending) {
        router.cancelAll(reason);
        void end('cancelled', reason, 1, true);
      }
      await done;
    },
    stats(): ProxyStats {
      const s: ProxyStats = { fromClient: router.fromClientCount, toClient: router.toClientCount, pending: router.pendingCount };
      if (recording) s.recorded = recording.recorder.stats();
      return s;
    },
    async close(): Promise<void> {
      void end('completed', 'proxy closed', 0, true);
      await done;
    },
  };
}
