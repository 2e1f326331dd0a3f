import './styles/base.css';
import { ApiError, setUnauthorizedHandler } from './api';
import { mountSessionPage } from './control/sessionPage';
import { announce, h } from './dom';
import { startEventHub, type EventHub } from './eventHub';
import type { StreamState } from './events';
import { mountSessionList } from './list/sessionList';
import { parseRoute, setRoute, watchRoute, type Route } from './router';
import { authState, renderSignIn, signIn, signOut, takeCredentialFromHash, type AuthState } from './signIn';

type Mounted = { key: string; destroy(): void; selectSpan?(spanId: string | undefined): void };

const app = document.getElementById('app')!;
let current: Mounted | undefined;
let auth: AuthState = { signed_in: false, sign_in_required_to_read: false };
let signInProblem: string | undefined;

const authBadge = h('span', { class: 'auth-state', id: 'auth-state' });
const connection = h('span', { class: 'conn', id: 'connection', role: 'status' });
const topbar = h('header', { class: 'topbar' }, h('a', { href: '#/', class: 'brand' }, 'mcpscope'), h('span', { class: 'spacer' }), connection, authBadge);
let hub: EventHub | undefined;

const CONNECTION_TEXT: Record<StreamState, string> = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', offline: 'offline' };
function renderConnection(state: StreamState, detail?: string): void {
  connection.className = `conn conn-${state}`;
  connection.dataset.state = state;
  connection.textContent = CONNECTION_TEXT[state];
  connection.title = detail ?? (state === 'live' ? 'receiving live events' : '');
}
const main = h('main', { id: 'main' });

function renderAuth(): void {
  authBadge.textContent = '';
  if (auth.signed_in) {
    authBadge.append(h('span', { class: 'muted' }, 'signed in'));
    if (auth.via === 'cookie') {
      const out = h('button', { type: 'button', class: 'link', id: 'sign-out' }, 'Sign out');
      out.addEventListener('click', () => {
        signOut().then(
          () => {
            auth = { ...auth, signed_in: false };
            delete auth.via;
            renderAuth();
            if (auth.sign_in_required_to_read) setRoute({ name: 'signIn' });
            else show(parseRoute(location.hash), true);
          },
          (err: unknown) => announce(`Could not sign out: ${err instanceof Error ? err.message : String(err)}`),
        );
      });
      authBadge.append(' ', out);
    }
  }
  else authBadge.append(h('a', { href: '#/sign-in' }, 'Sign in to steer sessions'));
}

function keyOf(route: Route): string {
  return route.name === 'session' ? `s:${route.sessionId}` : route.name;
}

function show(route: Route, remount = false): void {
  if (auth.sign_in_required_to_read && !auth.signed_in && route.name !== 'signIn') {
    setRoute({ name: 'signIn' }, true);
    route = { name: 'signIn' };
  }
  const key = keyOf(route);
  // Same session, another span: let the view select it instead of remounting.
  if (!remount && current && current.key === key && route.name === 'session') {
    current.selectSpan?.(route.spanId);
    return;
  }
  current?.destroy();
  main.textContent = '';
  if (route.name === 'list') current = { key, ...mountSessionList(main, hub!) };
  else if (route.name === 'session') current = { key, ...mountSessionPage(main, hub!, route.sessionId, route.spanId, () => auth.signed_in) };
  else if (route.name === 'signIn') {
    renderSignIn(main, signInProblem, () => {
      signInProblem = undefined;
      auth = { ...auth, signed_in: true, via: 'cookie' };
      renderAuth();
      setRoute({ name: 'list' });
    });
    current = { key, destroy() {} };
  } else {
    main.append(h('h1', {}, 'Not found'), h('p', {}, 'No page at this address. '), h('a', { href: '#/' }, 'All sessions'));
    current = { key, destroy() {} };
  }
  app.removeAttribute('aria-busy');
}

async function boot(): Promise<void> {
  app.textContent = '';
  app.append(topbar, main);
  setUnauthorizedHandler(() => {
    if (!auth.signed_in && !auth.sign_in_required_to_read) return;
    auth = { ...auth, signed_in: false };
    signInProblem = 'Your sign-in is no longer valid (the gateway may have restarted).';
    renderAuth();
    setRoute({ name: 'signIn' });
  });
  const credential = takeCredentialFromHash();
  if (credential) {
    try {
      await signIn(credential);
    } catch (err) {
      signInProblem = err instanceof ApiError ? err.message : String(err);
      setRoute({ name: 'signIn' }, true);
    }
  }
  try {
    auth = await authState();
  } catch (err) {
    signInProblem ??= err instanceof Error ? err.message : String(err);
  }
  renderAuth();
  hub = startEventHub();
  hub.onState(renderConnection);
  watchRoute(show);
}

void boot();
