import type { SessionRow } from '../api';
import { badgeOf, formatDuration, formatTime, h } from '../dom';
import { isFinal } from '../list/sessionModel';

/** The session page's header: title, engine, status badge, outcome and reason, start, duration, counts. */
export function sessionHeader(): { element: HTMLElement; update(row: SessionRow): void; tick(): void } {
  const title = h('h1', { id: 'session-title' });
  const badge = h('span', { id: 'session-status' });
  const reason = h('p', { class: 'reason', id: 'session-reason' });
  const facts = h('dl', { class: 'facts' });
  const element = h('header', { class: 'session-header' }, h('a', { href: '#/', class: 'back' }, '← Sessions'), h('div', { class: 'title-line' }, title, badge), reason, facts);
  let current: SessionRow | undefined;
  const duration = h('dd', { id: 'session-duration' });
  const render = () => {
    const r = current!;
    title.textContent = r.title || r.id;
    const b = badgeOf(r.status, r.waiting_on);
    badge.className = b.cls;
    badge.dataset.status = r.status;
    badge.textContent = b.label;
    reason.textContent = r.reason ? (isFinal(r.status) ? `Outcome: ${r.status} — ${r.reason}` : r.reason) : isFinal(r.status) ? `Outcome: ${r.status}` : '';
    facts.textContent = '';
    const fact = (label: string, value: Node | string, id?: string) => facts.append(h('div', {}, h('dt', {}, label), typeof value === 'string' ? h('dd', id ? { id } : {}, value) : value));
    fact('Session', r.id, 'session-id');
    fact('Engine', r.engine, 'session-engine');
    fact('Started', formatTime(r.started_at), 'session-started');
    duration.textContent = durationText(r);
    fact('Duration', duration);
    fact('Spans', String(r.span_count), 'session-spans');
    fact('Errors', String(r.error_count), 'session-errors');
  };
  return {
    element,
    update(row) {
      current = row;
      render();
    },
    tick() {
      if (current && !isFinal(current.status)) duration.textContent = durationText(current);
    },
  };
}

function durationText(r: SessionRow): string {
  if (r.duration_ms !== undefined) return formatDuration(r.duration_ms);
  const start = Date.parse(r.started_at);
  const end = r.ended_at ? Date.parse(r.ended_at) : Date.now();
  return Number.isNaN(start) || Number.isNaN(end) ? '' : formatDuration(Math.max(0, end - start));
}
