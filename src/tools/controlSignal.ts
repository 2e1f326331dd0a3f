import { z } from 'zod';
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
 * Delivers `signal` to a live session through the catalog's one steering rule and formats
 * what it did. Throws UNAVAILABLE without live control, SESSION_NOT_FOUND (with close
 * matches) for unknown ids, SESSION_NOT_LIVE for finished sessions; the control's own errors pass through.
 */
export async function controlSignal(context: ToolContext, sessionId: string, signal: string, payload?: unknown) {
  const result: SignalResult = await context.signalSession(sessionId, signal, payload);
  const structured = { session_id: result.session_id, signal: result.signal, status: result.status, message: result.message };
  return toolResult(`${signal} → session ${result.session_id}: ${result.message} (status now ${result.status}).`, structured);
}
