import { join } from 'node:path';
import type { HeldRequestInfo } from '../../src/sessions/gateTypes.js';
import { createControlClient } from '../../src/sessions/controlClient.js';
import { liveDirPath, readRegistration } from '../../src/sessions/liveRegistration.js';
import { until } from '../until.js';

/**
 * What a live session's gate holds now, read from the session's own control socket: the positive
 * signal that a request reached the gate and waits (so "it has not been answered" means something).
 * Empty while the session is not registered yet.
 */
export async function heldBy(tracesDir: string, sessionId: string): Promise<HeldRequestInfo[]> {
  const reg = await readRegistration(join(liveDirPath(tracesDir), `${sessionId}.json`));
  if (!reg) return [];
  const control = createControlClient(reg.socket);
  try {
    return (await control.state()).gate?.held ?? [];
  } finally {
    await control.close();
  }
}

/** Polls (bounded) until the session's gate holds at least `n` requests; returns them. */
export function untilHeld(tracesDir: string, sessionId: string, n: number): Promise<HeldRequestInfo[]> {
  return until(async () => {
    const held = await heldBy(tracesDir, sessionId);
    return held.length >= n && held;
  }, `${n} held request(s) in ${sessionId}`);
}
