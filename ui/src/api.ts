/**
 * The page's one way to talk to the gateway: same-origin fetch with the sign-in cookie
 * (credentials: 'same-origin'), JSON in and out, and the gateway's `{ error: { code, message } }`
 * turned into an {@link ApiError}. No token is ever put in a URL or in storage here.
 */

/** Status of a session as the gateway reports it. */
export type SessionStatus = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
/** The engine that recorded a session. */
export type Engine = 'proxy' | 'inbound' | 'client' | 'workflow' | 'otlp';

/** A row of `GET /_inspector/sessions` (and `session` of `GET /_inspector/sessions/{id}`). */
export interface SessionRow {
  id: string;
  title: string;
  engine: Engine;
  status: SessionStatus;
  started_at: string;
  span_count: number;
  error_count: number;
  waiting_on?: string;
  reason?: string;
  ended_at?: string;
  duration_ms?: number;
}

/** One item a live session holds (CONTRACTS 1). */
export interface HeldItem {
  id: string | number;
  kind: string;
  method: string;
  target?: string;
  awaiting_approval: boolean;
  since: string;
}

/** A named signal a live session waits on. */
export interface Waiter {
  signal: string;
  prompt?: string;
  schema?: Record<string, unknown>;
  since: string;
}

/** The live state of a session (CONTRACTS 1). */
export interface LiveState {
  paused: boolean;
  cancelled: boolean;
  held: HeldItem[];
  waiters: Waiter[];
}

/** `GET /_inspector/sessions/{id}`. */
export interface SessionDetail {
  session: SessionRow;
  live?: LiveState;
}

/** A page of sessions, newest first. */
export interface SessionPage {
  sessions: SessionRow[];
  next_cursor?: string;
}

/** A non-2xx answer (or a network failure: status 0). `code` is the gateway's error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Called with every 401/403 UNAUTHORIZED answer, so the shell can show how to sign in. */
let onUnauthorized: (() => void) | undefined;

/** Registers the shell's handler for answers that say the page is not signed in. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/**
 * `fetch` against the gateway with the sign-in cookie. Resolves with the Response when it is
 * 2xx (or 206/304); otherwise rejects with an ApiError carrying the server's message. The
 * session view uses it for NDJSON and Range requests too.
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...init });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the gateway: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.ok || res.status === 304) return res;
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  if (code === 'UNAUTHORIZED') onUnauthorized?.();
  throw new ApiError(res.status, code, message);
}

/** GET a JSON body. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await apiFetch(path, { headers: { Accept: 'application/json' }, ...(signal ? { signal } : {}) });
  return (await res.json()) as T;
}

/** POST a JSON body and read the JSON answer. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await apiFetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

/** `/_inspector/...` path for a session id (encoded). */
export function sessionPath(prefix: 'sessions' | 'trace' | 'signal' | 'cancel', sessionId: string): string {
  return `/_inspector/${prefix}/${encodeURIComponent(sessionId)}`;
}
