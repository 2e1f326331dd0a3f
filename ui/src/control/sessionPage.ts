import { h } from '../dom';
import { setRoute } from '../router';
import { mountSessionView, type SessionViewHandle } from '../trace/sessionView';

/** The session page at `#/s/{id}`: header and control panel above the session view. */
export function mountSessionPage(root: HTMLElement, sessionId: string, spanId: string | undefined, _signedIn: () => boolean): { selectSpan(spanId: string | undefined): void; destroy(): void } {
  const header = h('header', { class: 'session-header' }, h('a', { href: '#/', class: 'back' }, '← Sessions'), h('h1', {}, sessionId));
  const viewRoot = h('div', { class: 'session-view-root' });
  root.append(header, viewRoot);
  const view: SessionViewHandle = mountSessionView(viewRoot, {
    sessionId,
    ...(spanId === undefined ? {} : { spanId }),
    live: false,
    onSelectSpan: (id) => setRoute(id === undefined ? { name: 'session', sessionId } : { name: 'session', sessionId, spanId: id }, true),
  });
  return {
    selectSpan: (id) => view.selectSpan(id),
    destroy() {
      view.destroy();
    },
  };
}
