import { h } from '../dom';
import { RECENT_MAX, type EventHub } from '../eventHub';
import type { LiveEvent } from '../events';

/**
 * "Live activity": the recent events of every session, newest first, each once (it survives a
 * reload of the tab without repeats or gaps, see startEventHub). Heartbeats are left out: they
 * only move counts, which the rows show.
 */
export function mountActivity(root: HTMLElement, hub: EventHub): { destroy(): void } {
  const list = h('ol', { class: 'activity-list', id: 'activity', reversed: true });
  const empty = h('p', { class: 'muted' }, 'Nothing yet: events appear as sessions start, pause, wait and finish.');
  const details = h('details', { class: 'activity', open: true }, h('summary', {}, 'Live activity'), empty, list);
  root.append(details);
  const add = (e: LiveEvent) => {
    if (e.type === 'Heartbeat' || e.id === undefined) return;
    empty.hidden = true;
    list.prepend(
      h(
        'li',
        { 'data-event-id': e.id, 'data-type': e.type },
        h('time', { datetime: e.time ?? '' }, e.time ? new Date(e.time).toLocaleTimeString() : ''),
        ' ',
        h('strong', {}, e.type),
        ' ',
        h('a', { href: `#/s/${encodeURIComponent(e.session_id)}`, class: 'mono' }, e.session_id),
        ' ',
        h('span', { class: 'muted' }, summary(e)),
      ),
    );
    while (list.childElementCount > RECENT_MAX) list.lastElementChild!.remove();
  };
  for (const e of hub.recent()) add(e);
  const off = hub.on(add);
  const offResync = hub.onResync(() => {
    list.textContent = '';
    empty.hidden = false;
  });
  return {
    destroy() {
      off();
      offResync();
    },
  };
}

function summary(e: LiveEvent): string {
  switch (e.type) {
    case 'SessionStarted':
      return `${e.engine}: ${e.title}`;
    case 'SessionFinished':
      return e.reason ? `${e.status}: ${e.reason}` : e.status;
    case 'WaitingOnSignal':
      return e.request_id !== undefined ? `approve ${e.method ?? ''} #${e.request_id}` : e.prompt ?? e.signal;
    case 'SignalReceived':
      return e.signal;
    case 'SessionPaused':
      return e.reason ?? '';
    case 'LiveStateChanged':
      return `${e.live.held.length} held, ${e.live.waiters.length} waiting${e.live.paused ? ', paused' : ''}`;
    default:
      return '';
  }
}
