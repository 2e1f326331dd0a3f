import { getJson, type SessionPage } from '../api';
import { badgeOf, formatDuration, formatTime, h } from '../dom';
import { routeHash } from '../router';

/**
 * The session list at `#/` (first page only in this version).
 */
export function mountSessionList(root: HTMLElement): { destroy(): void } {
  const body = h('tbody');
  const table = h('table', { class: 'sessions' }, h('thead', {}, h('tr', {}, h('th', {}, 'Session'), h('th', {}, 'Engine'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', {}, 'Duration'), h('th', {}, 'Spans'), h('th', {}, 'Errors'))), body);
  const status = h('p', { class: 'muted' }, 'loading…');
  root.append(h('section', { class: 'list' }, h('h1', {}, 'Sessions'), status, table));
  let destroyed = false;
  void getJson<SessionPage>('/_inspector/sessions?limit=100').then(
    (page) => {
      if (destroyed) return;
      status.textContent = page.sessions.length === 0 ? 'no sessions yet' : '';
      for (const s of page.sessions) {
        const badge = badgeOf(s.status, s.waiting_on);
        body.append(h('tr', {}, h('td', {}, h('a', { href: routeHash({ name: 'session', sessionId: s.id }) }, s.title || s.id)), h('td', {}, s.engine), h('td', {}, h('span', { class: badge.cls }, badge.label)), h('td', {}, formatTime(s.started_at)), h('td', {}, formatDuration(s.duration_ms)), h('td', { class: 'num' }, String(s.span_count)), h('td', { class: 'num' }, String(s.error_count))));
      }
    },
    (err: unknown) => {
      status.textContent = err instanceof Error ? err.message : String(err);
      status.className = 'error';
    },
  );
  return {
    destroy() {
      destroyed = true;
    },
  };
}
