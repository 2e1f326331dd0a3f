import { Agent, request } from 'undici';
import { z } from 'zod';
import { InspectorError, type InspectorErrorCode } from '../core/errors.js';
import { SessionEventSchema, type SessionEvent } from '../core/events.js';
import { MAX_JSON_DEPTH, jsonValueTooDeep } from '../core/jsonDepth.js';
import { LiveStateSchema } from '../core/liveState.js';
import { SessionMetaSchema } from '../core/session.js';
import type { LiveSessionState, SignalResult } from './liveSessionTypes.js';

const HeldSchema = z.object({ request_id: z.union([z.string(), z.number()]), method: z.string(), target: z.string().optional(), awaiting_approval: z.boolean() });
/** LiveSessionState as it crosses the socket. */
export const LiveSessionStateSchema = z.object({
  meta: SessionMetaSchema,
  gate: z.object({ paused: z.boolean(), cancelled: z.boolean(), held: z.array(HeldSchema) }).optional(),
  live: LiveStateSchema.optional(),
});
const SignalResultSchema = z.object({ session_id: z.string(), signal: z.string(), status: SessionMetaSchema.shape.status, message: z.string() });
const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const StreamLineSchema = z.union([z.object({ state: LiveSessionStateSchema }), z.object({ event: SessionEventSchema })]);

/** One line of GET /events. */
export type ControlStreamItem = { state: LiveSessionState } | { event: SessionEvent };

/** HTTP client of one session's control socket (undici over a Unix socket). */
export interface ControlClient {
  state(): Promise<LiveSessionState>;
  /** Throws INVALID_ARGUMENT, without sending, for a payload nested deeper than MAX_JSON_DEPTH - 1. */
  signal(signal: string, payload?: unknown): Promise<SignalResult>;
  /** Streams the session's events after `since` until the stream ends or `abort` fires; resolves when it ends. */
  events(since: string | undefined, onItem: (item: ControlStreamItem) => void, abort: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

const CODES = new Set(['INVALID_SESSION_ID', 'INVALID_ARGUMENT', 'SESSION_NOT_FOUND', 'SPAN_NOT_FOUND', 'SESSION_NOT_LIVE', 'SIGNAL_NOT_EXPECTED', 'UNKNOWN_SIGNAL', 'INVALID_CURSOR', 'CORRUPT_TRACE', 'IO_ERROR', 'CONFLICT', 'UNAVAILABLE', 'INTERNAL']);

/** True when `err` means nobody listens on the socket (connection refused or socket file missing). */
export function isRefused(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTSOCK';
}

/** Creates a client for the control socket at `socketPath`. Requests time out after `timeoutMs` (default 5000). */
export function createControlClient(socketPath: string, options: { timeoutMs?: number } = {}): ControlClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  let closed = false;
  const agent = new Agent({ connect: { socketPath }, headersTimeout: timeoutMs, bodyTimeout: 0 });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    let res;
    try {
      res = await request(`http://control${path}`, {
        method, dispatcher: agent, signal: AbortSignal.timeout(timeoutMs),
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw new InspectorError('UNAVAILABLE', `control socket ${socketPath} unreachable: ${(err as Error).message}`, { cause: err });
    }
    const json: unknown = await res.body.json().catch(() => undefined);
    if (res.statusCode >= 400) {
      const e = ErrorBodySchema.safeParse(json);
      const code = (e.success && CODES.has(e.data.error.code) ? e.data.error.code : 'INTERNAL') as InspectorErrorCode;
      throw new InspectorError(code, e.success ? e.data.error.message : `control socket answered HTTP ${res.statusCode}`);
    }
    return json;
  };
  const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new InspectorError('INTERNAL', `control socket ${socketPath} answered an unexpected body`);
    return r.data;
  };
  return {
    async state() {
      return parse(LiveSessionStateSchema, await call('GET', '/state')) as LiveSessionState;
    },
    async signal(signal, payload) {
      // Checked here, not left to JSON.stringify, whose stack overflow would read as "unreachable".
      if (jsonValueTooDeep(payload, MAX_JSON_DEPTH - 1)) throw new InspectorError('INVALID_ARGUMENT', `signal payload nests deeper than ${MAX_JSON_DEPTH - 1} levels`);
      return parse(SignalResultSchema, await call('POST', '/signal', { signal, ...(payload === undefined ? {} : { payload }) }));
    },
    async events(since, onItem, abort) {
      const query = since === undefined ? '' : `?since=${encodeURIComponent(since)}`;
      const res = await request(`http://control/events${query}`, { method: 'GET', dispatcher: agent, signal: abort });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new InspectorError('UNAVAILABLE', `control socket ${socketPath} answered HTTP ${res.statusCode} to /events`);
      }
      let buffered = '';
      try {
        for await (const chunk of res.body) {
          buffered += (chunk as Buffer).toString('utf8');
          let nl: number;
          while ((nl = buffered.indexOf('\n')) !== -1) {
            const text = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (text.trim() === '') continue;
            let raw: unknown;
            try {
              raw = JSON.parse(text);
            } catch {
              continue;
            }
            const item = StreamLineSchema.safeParse(raw);
            if (item.success) onItem(item.data as ControlStreamItem);
          }
        }
      } catch (err) {
        if (abort.aborted) return;
        throw err;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await agent.destroy().catch(() => undefined);
    },
  };
}
