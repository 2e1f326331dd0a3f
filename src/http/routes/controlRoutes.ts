import { z } from 'zod';
import type { SessionCatalog } from '../../catalog/sessionCatalog.js';
import { assertSessionId } from '../../core/ids.js';
import { firstIssue } from '../../core/zodIssues.js';
import { HttpError, sendJson } from '../errors.js';
import { readJsonBody } from '../readJsonBody.js';
import type { Route, RouteContext } from '../router.js';

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
 * the catalog's steering rule and answer its SignalResult. Errors follow the MCP tools: 404
 * SESSION_NOT_FOUND, 409 SESSION_NOT_LIVE / SIGNAL_NOT_EXPECTED, 400 INVALID_ARGUMENT /
 * UNKNOWN_SIGNAL, 503 UNAVAILABLE without live control. Bodies: JSON only (415), at most 64 KB
 * (413). Both need the access token.
 */
export function controlRoutes(catalog: Pick<SessionCatalog, 'signal'>): Route[] {
  const deliver = (sessionId: string, signal: string, payload: unknown) => catalog.signal(sessionId, signal, payload);

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
  throw new HttpError(400, 'INVALID_ARGUMENT', `invalid request body: ${firstIssue(parsed.error)}`);
}
