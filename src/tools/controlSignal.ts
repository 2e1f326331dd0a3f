import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import type { SignalResult } from '../sessions/liveSessionTypes.js';
import type { ToolContext } from './toolContext.js';
import { toolResult } from './toolResult.js';

/** Output schema of the steering tools: what the signal did. */
export const SignalResultShape = {
  session_id: z.string(),
  signal: z.string(),
  status: z.string(),
  message: z.string(),
};

/**
 * Delivers `signal` to a live session through `context.control`. Throws UNAVAILABLE when
 * this server has no live control, SESSION_NOT_FOUND (with close matches) for unknown ids,
 * SESSION_NOT_LIVE for finished sessions; the control's own errors pass through.
 */
export async function controlSignal(context: ToolContext, sessionId: string, signal: string, payload?: unknown) {
  const id = assertSessionId(sessionId);
  const control = context.control;
  if (!control) {
    throw new InspectorError(
      'UNAVAILABLE',
      `cannot send "${signal}" to ${id}: this inspector was started without live-session control, so it can read traces but not steer sessions`,
    );
  }
  if (!control.getLive(id)) {
    const meta = await context.getSession(id); // throws SESSION_NOT_FOUND with suggestions
    throw new InspectorError('SESSION_NOT_LIVE', `session ${id} is ${meta.status}${meta.reason ? ` (${meta.reason})` : ''}, so "${signal}" cannot be delivered`);
  }
  const result: SignalResult = await control.signal(id, signal, payload);
  const structured = { session_id: result.session_id, signal: result.signal, status: result.status, message: result.message };
  return toolResult(`${signal} → session ${result.session_id}: ${result.message} (status now ${result.status}).`, structured);
}
