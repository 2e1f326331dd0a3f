import type { LiveState } from '../core/liveState.js';
import { clipText } from './clipText.js';

/** Items and waiters listed by name before the rest is counted. */
const SHOWN = 5;

/**
 * A few lines saying what a live session holds and waits on, and which signal answers each
 * (for a model reading get_trace); empty when it holds and waits on nothing.
 */
export function liveStateLines(live: LiveState): string[] {
  const lines: string[] = [];
  for (const w of live.waiters.slice(0, SHOWN)) {
    const schema = w.schema === undefined ? '' : `; payload schema ${clipText(JSON.stringify(w.schema), 300)}`;
    lines.push(`Waiting on signal '${w.signal}' since ${w.since}${w.prompt ? `: ${clipText(w.prompt, 200)}` : ''}${schema}. Answer with send_signal signal="${w.signal}" and a payload.`);
  }
  if (live.waiters.length > SHOWN) lines.push(`… and ${live.waiters.length - SHOWN} more waiters.`);
  const held = live.held;
  if (held.length > 0) {
    const approvals = held.filter((h) => h.awaiting_approval).length;
    const shown = held.slice(0, SHOWN).map((h) => `${h.method}${h.target === undefined ? '' : ` ${clipText(h.target, 80)}`} (id ${JSON.stringify(h.id)}${h.awaiting_approval ? ', at a breakpoint' : ''})`);
    const more = held.length > SHOWN ? `, … ${held.length - SHOWN} more` : '';
    const how = [approvals > 0 ? "'approve'/'reject' (request_id) for breakpoints" : '', held.length > approvals ? "'resume' or 'step' for the paused ones" : ''].filter((s) => s !== '').join('; ');
    lines.push(`Holding ${held.length}: ${shown.join(', ')}${more}. Release with send_signal ${how}.`);
  } else if (live.paused) {
    lines.push("Paused: nothing held yet; send_signal 'resume' to go on.");
  }
  return lines;
}
