import { z } from 'zod';
import { InspectorError, isInspectorError } from '../../core/errors.js';
import { assertSessionId } from '../../core/ids.js';
import type { SessionMeta } from '../../core/session.js';
import type { SessionControl } from '../../sessions/sessionControl.js';
import { HttpError, sendJson } from '../errors.js';
import { readJsonBody } from '../readJsonBody.js';
import type { Route, RouteContext } from '../router.js';

/** Looks up a recorded (possibly finished) session; used to tell "not live" from "unknown". */
export type RecordedSessionLookup = (sessionId: string) => Promise<SessionMeta | undefined>;

const SignalBodySchema = z
  .object({
    signal: z.string().min(1).max(64),
    payload: z.unknown().optional(),
  })
  .strict();

const CancelBodySchema = z.object({ reason: z.string().max(500).optional() }).strict();

/**
 * `POST /_inspector/signal/{session_id}` with `{ signal, payload? }` and
 * `POST /_inspector/cancel/{session_id}` with an optional `{ reason? }`: deliver a signal through
 * the SessionControl and answer its SignalResult. Errors follow the MCP tools: 404
 * SESSION_NOT_FOUND, 409 SESSION_NOT_LIVE / SIGNAL_NOT_EXPECTED, 400 INVALID_ARGUMENT /
 * UNKNOWN_SIGNAL. Bodies: JSON only (415), at most 64 KB (413). Both need the access token.
 */
export function controlRoutes(control: SessionControl | undefined, lookup: RecordedSessionLookup): Route[] {
  const deliver = async (sessionId: string, signal: string, payload: unknown) => {
    try {
      if (!control) throw new InspectorError('SESSION_NOT_FOUND', `session ${sessionId} not found`);
      return await control.signal(sessionId, signal, payload);
    } catch (err) {
      // A recorded session that is no longer running is "not live", not "unknown".
      if (isInspectorError(err, 'SESSION_NOT_FOUND') && (await lookup(sessionId).catch(() => undefined))) {
        throw new InspectorError('SESSION_NOT_LIVE', `session ${sessionId} is not live: it can no longer be steered`);
      }
      throw err;
    }
  };

  const signal = async ({ req, res, params }: RouteContext) => {
    const sessionId = assertSessionId(params.id);
    const body = parseBody(SignalBodySchema, await readJsonBody(req));
    sendJson(res, await deliver(sessionId, body.signal, body.payload));
  };
  const cancel = async ({ req, res, params }: RouteContext) => {
    const sessionId = assertSessionId(params.id);
    const body = parseBody(CancelBodySchema, (await readJsonBody(req, { allowEmpty: true })) ?? {});
    sendJson(res, await deliver(sessionId, 'cancel', body));
  };
  return [
    { path: '/_inspector/signal/:id', methods: { POST: signal }, auth: 'token' },
    { path: '/_inspector/cancel/:id', methods: { POST: cancel }, auth: 'token' },
  ];
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new HttpError(400, 'INVALID_ARGUMENT', `invalid request body: ${where}${issue.message}`);
}
