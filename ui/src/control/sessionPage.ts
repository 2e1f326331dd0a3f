import { ApiError, getJson, sessionPath, type SessionDetail, type SessionRow } from '../api';
import { announce, h } from '../dom';
import type { EventHub } from '../eventHub';
import type { LiveEvent } from '../events';
import { applyEvent, describeStatus, isFinal } from '../list/sessionModel';
import { setRoute } from '../router';
import { mountSessionView, type SessionViewHandle } from '../trace/sessionView';
import { controlPanel } from './controlPanel';
import { sessionHeader } from './sessionHeader';

/**
 * The session page at `#/s/{id}`: the live header and, while the session is live, the control
 * panel, above the session view (charts, tree, waterfall, log). Everything above the view
 * follows the event stream; a resync (events lost) re-reads the session.
 */
export function mountSessionPage(root: HTMLElement, hub: EventHub, sessionId: string, spanId: string | undefined, signedIn: () => boolean): { selectSpan(spanId: string | undefined): void; destroy(): void } {
  const header = sessionHeader();
  const panel = controlPanel(sessionId, signedIn);
  panel.element.hidden = true;
  const message = h('p', { class: 'muted', id: 'session-message' }, 'Loading…');
  const viewRoot = h('div', { class: 'session-view-root' });
  root.append(h('div', { class: 'session-page' }, header.element, message, panel.element, viewRoot));
  let row: SessionRow | undefined;
  let view: SessionViewHandle | undefined;
  let selected = spanId;
  let destroyed = false;

  const setLive = (live: boolean) => {
    view?.setLive(live);
    if (!live) panel.element.hidden = true;
  };

  const load = async () => {
    let detail: SessionDetail;
    try {
      detail = await getJson<SessionDetail>(sessionPath('sessions', sessionId));
    } catch (err) {
      if (destroyed) return;
      message.classList.add('error');
      message.textContent = '';
      if (err instanceof ApiError && err.status === 404) message.append(`No session ${sessionId}: ${err.message} `, h('a', { href: '#/' }, 'All sessions'));
      else message.append(`Could not load the session: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (destroyed) return;
    message.textContent = '';
    message.classList.remove('error');
    row = detail.session;
    header.update(row);
    const live = detail.live !== undefined && !isFinal(row.status);
    if (live) {
      panel.element.hidden = false;
      panel.update(detail.live!);
    } else panel.element.hidden = true;
    if (!view) {
      view = mountSessionView(viewRoot, {
        sessionId,
        ...(selected === undefined ? {} : { spanId: selected }),
        live,
        onSelectSpan: (id) => {
          selected = id;
          setRoute(id === undefined ? { name: 'session', sessionId } : { name: 'session', sessionId, spanId: id }, true);
        },
      });
    } else view.setLive(live);
  };

  const onEvent = (e: LiveEvent) => {
    if (e.session_id !== sessionId) return;
    if (row === undefined) {
      if (e.type === 'SessionStarted') void load();
      return;
    }
    const next = applyEvent(row, e);
    if (next) {
      const wasFinal = isFinal(row.status);
      if (next.status !== row.status || next.waiting_on !== row.waiting_on) announce(`This session is ${describeStatus(next)}`);
      row = next;
      header.update(row);
      if (!wasFinal && isFinal(row.status)) setLive(false);
    }
    if (e.type === 'LiveStateChanged' && !isFinal(row.status)) {
      panel.element.hidden = false;
      panel.update(e.live);
    }
  };
  const offEvent = hub.on(onEvent);
  const offResync = hub.onResync(() => void load());
  const tick = setInterval(() => header.tick(), 1000);
  void load();

  return {
    selectSpan(id) {
      selected = id;
      view?.selectSpan(id);
    },
    destroy() {
      destroyed = true;
      offEvent();
      offResync();
      clearInterval(tick);
      view?.destroy();
    },
  };
}
