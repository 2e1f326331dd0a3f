/** Hash routes of the page (no token anywhere): `#/`, `#/s/{id}`, `#/s/{id}/span/{spanId}`. */
export type Route = { name: 'list' } | { name: 'signIn' } | { name: 'session'; sessionId: string; spanId?: string } | { name: 'notFound'; hash: string };

/** Parses a location hash (with or without the leading `#`). */
export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  if (h === '' || h === '/') return { name: 'list' };
  if (h === '/sign-in') return { name: 'signIn' };
  const m = /^\/s\/([^/]+)(?:\/span\/([^/]+))?\/?$/.exec(h);
  if (m) {
    try {
      const sessionId = decodeURIComponent(m[1]!);
      return m[2] === undefined ? { name: 'session', sessionId } : { name: 'session', sessionId, spanId: decodeURIComponent(m[2]) };
    } catch {
      return { name: 'notFound', hash: h };
    }
  }
  return { name: 'notFound', hash: h };
}

/** The hash of a route, for links and history. */
export function routeHash(route: Route): string {
  if (route.name === 'session') {
    const base = `#/s/${encodeURIComponent(route.sessionId)}`;
    return route.spanId === undefined ? base : `${base}/span/${encodeURIComponent(route.spanId)}`;
  }
  return route.name === 'signIn' ? '#/sign-in' : '#/';
}

/** Calls `onRoute` now and on every hash change; returns the unsubscribe function. */
export function watchRoute(onRoute: (route: Route) => void): () => void {
  const fire = () => onRoute(parseRoute(location.hash));
  window.addEventListener('hashchange', fire);
  fire();
  return () => window.removeEventListener('hashchange', fire);
}

/**
 * Sets the hash without a new history entry when `replace` (used when selecting a span, so
 * Back leaves the session instead of stepping through every click).
 */
export function setRoute(route: Route, replace = false): void {
  const hash = routeHash(route);
  if (location.hash === hash) return;
  if (replace) history.replaceState(history.state, '', hash);
  else location.hash = hash;
}
