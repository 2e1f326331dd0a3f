import { InspectorError, isInspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import type { SessionMeta } from '../core/session.js';
import type { SessionControl } from '../sessions/sessionControl.js';
import type { SignalResult } from '../sessions/liveSessionTypes.js';

/**
 * Delivers `signal` to a live session: the one rule for "not live" versus "not found".
 * An id nobody knows is SESSION_NOT_FOUND as `get` words it (with close matches). Without a
 * control, a known session is UNAVAILABLE (this inspector reads traces only). The control's own
 * answer passes through, including SESSION_NOT_LIVE for a session it saw end. When the
 * control does not know the id, a session `find` knows (recorded on disk) is SESSION_NOT_LIVE
 * naming its status.
 */
export async function steerSession(
  lookup: { control?: SessionControl | undefined; find(id: string): Promise<SessionMeta | undefined>; get(id: string): Promise<SessionMeta> },
  sessionId: string,
  signal: string,
  payload?: unknown,
): Promise<SignalResult> {
  const id = assertSessionId(sessionId);
  const { control } = lookup;
  if (!control) {
    await lookup.get(id);
    throw new InspectorError(
      'UNAVAILABLE',
      `cannot send "${signal}" to ${id}: this inspector was started without live-session control, so it can read traces but not steer sessions`,
    );
  }
  try {
    return await control.signal(id, signal, payload);
  } catch (err) {
    if (!isInspectorError(err, 'SESSION_NOT_FOUND')) throw err;
    const meta = (await lookup.find(id).catch(() => undefined)) ?? (await lookup.get(id)); // get throws SESSION_NOT_FOUND with suggestions
    throw new InspectorError('SESSION_NOT_LIVE', `session ${id} is not live: it ${endedAs(meta)}, so "${signal}" cannot be delivered`);
  }
}

/** How a session that is not live ended, as far as its record says. */
function endedAs(meta: SessionMeta): string {
  // A record still saying running or paused belongs to a process that is gone.
  if (meta.status === 'running' || meta.status === 'paused') return 'is no longer running';
  return `is ${meta.status}${meta.reason ? ` (${meta.reason})` : ''}`;
}
