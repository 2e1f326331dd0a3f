import './styles/base.css';
import { mountSessionPage } from './control/sessionPage';
import { h } from './dom';
import { mountSessionList } from './list/sessionList';
import { watchRoute, type Route } from './router';

type Mounted = { key: string; destroy(): void; selectSpan?(spanId: string | undefined): void };

const app = document.getElementById('app')!;
let current: Mounted | undefined;

function keyOf(route: Route): string {
  return route.name === 'session' ? `s:${route.sessionId}` : route.name;
}

function show(route: Route): void {
  const key = keyOf(route);
  // Same session, another span: let the view select it instead of remounting.
  if (current && current.key === key && route.name === 'session') {
    current.selectSpan?.(route.spanId);
    return;
  }
  current?.destroy();
  app.textContent = '';
  const main = h('main', { id: 'main' });
  app.append(main);
  if (route.name === 'list') current = { key, ...mountSessionList(main) };
  else if (route.name === 'session') current = { key, ...mountSessionPage(main, route.sessionId, route.spanId) };
  else {
    main.append(h('h1', {}, 'Not found'), h('p', {}, 'No page at this address. '), h('a', { href: '#/' }, 'All sessions'));
    current = { key, destroy() {} };
  }
  app.removeAttribute('aria-busy');
}

watchRoute(show);
