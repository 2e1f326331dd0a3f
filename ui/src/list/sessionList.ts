import { ApiError, getJson, sessionPath, type SessionDetail, type SessionPage, type SessionRow } from '../api';
import { announce, badgeOf, formatDuration, formatTime, h } from '../dom';
import type { EventHub } from '../eventHub';
import type { LiveEvent } from '../events';
import { routeHash, setRoute } from '../router';
import { mountActivity } from './activity';
import { applyEvent, compareRows, describeStatus, filterQuery, isFinal, matchesFilter, type ListFilter } from './sessionModel';

const STATUSES = ['running', 'paused', 'waiting', 'failed', 'completed', 'cancelled'] as const;
const ENGINES = ['proxy', 'inbound', 'client', 'workflow', 'otlp'] as const;
const FILTER_KEY = 'mcpscope.listFilter';

/**
 * The session list at `#/`: newest first, filtered by status, engine and text (on the server,
 * then kept up to date from the event stream), paged with "Load more" so every session is
 * reachable. Rows: badge, live span and error counts, duration (ticking while running).
 * Keyboard: up/down move between rows, Enter opens one, `/` focuses the text filter.
 */
export function mountSessionList(root: HTMLElement, hub: EventHub): { destroy(): void } {
  let filter: ListFilter = loadFilter();
  const rows = new Map<string, SessionRow>();
  let order: string[] = [];
  let cursor: string | undefined;
  let loading: AbortController | undefined;
  let focusedId: string | undefined;
  const lookedUp = new Set<string>();

  const text = h('input', { type: 'search', id: 'filter-text', placeholder: 'Filter by title or id  ( / )', 'aria-label': 'Filter sessions by text', autocomplete: 'off', value: filter.text ?? '' });
  const status = select('filter-status', 'Status', ['', ...STATUSES], filter.status ?? '');
  const engine = select('filter-engine', 'Engine', ['', ...ENGINES], filter.engine ?? '');
  const count = h('span', { class: 'muted', id: 'list-count', 'aria-live': 'off' });
  const message = h('p', { class: 'muted', id: 'list-message' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'sessions', id: 'sessions', 'aria-label': 'Sessions' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Session'), h('th', { class: 'col-engine' }, 'Engine'), h('th', {}, 'Status'), h('th', { class: 'col-started' }, 'Started'), h('th', { class: 'num col-duration' }, 'Duration'), h('th', { class: 'num' }, 'Spans'), h('th', { class: 'num' }, 'Errors'))),
    body,
  );
  const more = h('button', { type: 'button', id: 'load-more', hidden: true }, 'Load more');
  const activityRoot = h('div');
  const listSection = h(
    'section',
    { class: 'list' },
    h('div', { class: 'list-head' }, h('h1', {}, 'Sessions'), count),
    h('div', { class: 'toolbar', role: 'search' }, text, status.wrap, engine.wrap),
    message,
    h('div', { class: 'table-scroll' }, table),
    more,
  );
  root.append(h('div', { class: 'list-layout' }, listSection, activityRoot));
  const activity = mountActivity(activityRoot, hub);

  const render = () => {
    const visible = order.map((id) => rows.get(id)!).filter((r) => matchesFilter(r, filter));
    count.textContent = `${visible.length}${cursor ? '+' : ''} shown`;
    if (visible.length === 0 && !loading) {
      message.textContent = filter.status || filter.engine || filter.text ? 'No session matches the filter.' : 'No sessions yet. Sessions appear here as they start.';
    } else if (!message.classList.contains('error')) message.textContent = '';
    const hadFocus = body.contains(document.activeElement);
    body.textContent = '';
    if (focusedId === undefined || !visible.some((r) => r.id === focusedId)) focusedId = visible[0]?.id;
    for (const r of visible) body.append(rowElement(r, r.id === focusedId));
    if (hadFocus) focusRow(focusedId);
    more.hidden = cursor === undefined;
  };
  let renderQueued = false;
  const scheduleRender = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  };

  const insertSorted = (row: SessionRow) => {
    rows.set(row.id, row);
    if (!order.includes(row.id)) {
      order.push(row.id);
      order.sort((a, b) => compareRows(rows.get(a)!, rows.get(b)!));
    }
  };

  const load = async (reset: boolean) => {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    if (reset) message.textContent = 'Loading…';
    message.classList.remove('error');
    try {
      const page = await getJson<SessionPage>(`/_inspector/sessions?${filterQuery(filter, reset ? undefined : cursor)}`, controller.signal);
      if (controller.signal.aborted) return;
      if (reset) {
        rows.clear();
        order = [];
      }
      for (const r of page.sessions) {
        if (!rows.has(r.id)) order.push(r.id);
        rows.set(r.id, r);
      }
      order.sort((a, b) => compareRows(rows.get(a)!, rows.get(b)!));
      cursor = page.next_cursor;
      message.textContent = '';
    } catch (err) {
      if (controller.signal.aborted) return;
      message.textContent = `Could not load sessions: ${err instanceof Error ? err.message : String(err)}`;
      message.classList.add('error');
    } finally {
      if (loading === controller) loading = undefined;
    }
    render();
  };

  // A session the page has not loaded (older than the first page, or started before a reload):
  // fetch its row once, and show it if it belongs in what is loaded.
  const lookUp = (id: string) => {
    if (lookedUp.has(id)) return;
    lookedUp.add(id);
    getJson<SessionDetail>(sessionPath('sessions', id)).then(
      (d) => {
        const oldest = order.length > 0 ? rows.get(order[order.length - 1]!) : undefined;
        if (rows.has(id) || (cursor !== undefined && oldest && compareRows(d.session, oldest) > 0)) return;
        insertSorted(d.session);
        scheduleRender();
      },
      (err: unknown) => {
        if (!(err instanceof ApiError && err.status === 404)) lookedUp.delete(id);
      },
    );
  };

  const onEvent = (e: LiveEvent) => {
    if (e.session_id === undefined) return;
    const before = rows.get(e.session_id);
    const after = applyEvent(before, e);
    if (after === undefined) {
      if (before === undefined && e.type !== 'SessionStarted') lookUp(e.session_id);
      return;
    }
    insertSorted(after);
    if (before && (before.status !== after.status || before.waiting_on !== after.waiting_on)) announce(`${after.title || after.id}: ${describeStatus(after)}`);
    else if (!before) announce(`New session: ${after.title || after.id}`);
    scheduleRender();
  };

  const rowElement = (r: SessionRow, focusable: boolean) => {
    const badge = badgeOf(r.status, r.waiting_on);
    const href = routeHash({ name: 'session', sessionId: r.id });
    const tr = h(
      'tr',
      { 'data-session-id': r.id, tabindex: focusable ? 0 : -1, class: 'session-row' },
      h('td', { class: 'col-title' }, h('a', { href, tabindex: -1, title: r.title || r.id }, r.title || r.id), h('div', { class: 'muted mono small' }, r.id), r.reason ? h('div', { class: 'reason small', title: r.reason }, r.reason) : undefined),
      h('td', { class: 'col-engine' }, r.engine),
      h('td', {}, h('span', { class: badge.cls, 'data-status': r.status }, badge.label)),
      h('td', { class: 'col-started' }, formatTime(r.started_at)),
      h('td', { class: 'num col-duration', 'data-duration': '' }, durationOf(r)),
      h('td', { class: 'num', 'data-spans': '' }, String(r.span_count)),
      h('td', { class: `num${r.error_count > 0 ? ' error' : ''}`, 'data-errors': '' }, String(r.error_count)),
    );
    return tr;
  };

  const focusRow = (id: string | undefined) => {
    if (id === undefined) return;
    focusedId = id;
    for (const tr of body.querySelectorAll<HTMLTableRowElement>('tr')) tr.tabIndex = tr.dataset.sessionId === id ? 0 : -1;
    body.querySelector<HTMLTableRowElement>(`tr[data-session-id="${CSS.escape(id)}"]`)?.focus();
  };

  body.addEventListener('keydown', (e) => {
    const tr = (e.target as HTMLElement).closest('tr');
    if (!tr) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLTableRowElement | null;
      if (next) focusRow(next.dataset.sessionId);
      else if (e.key === 'ArrowDown' && cursor !== undefined) more.focus();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      setRoute({ name: 'session', sessionId: tr.dataset.sessionId! });
    }
  });
  body.addEventListener('click', (e) => {
    const tr = (e.target as HTMLElement).closest('tr');
    if (!tr || (e.target as HTMLElement).closest('a')) return;
    setRoute({ name: 'session', sessionId: tr.dataset.sessionId! });
  });
  body.addEventListener('focusin', (e) => {
    const tr = (e.target as HTMLElement).closest('tr');
    if (tr?.dataset.sessionId) focusedId = tr.dataset.sessionId;
  });

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable) {
      e.preventDefault();
      text.focus();
      text.select();
    } else if (e.key === 'ArrowDown' && t === text) {
      e.preventDefault();
      focusRow(focusedId);
    }
  };
  document.addEventListener('keydown', onKey);

  let textTimer: ReturnType<typeof setTimeout> | undefined;
  const setFilter = (next: ListFilter) => {
    filter = next;
    try {
      sessionStorage.setItem(FILTER_KEY, JSON.stringify(filter));
    } catch {
      // not kept: fine
    }
    cursor = undefined;
    void load(true);
  };
  text.addEventListener('input', () => {
    if (textTimer !== undefined) clearTimeout(textTimer);
    textTimer = setTimeout(() => setFilter(withValue(filter, 'text', text.value.trim())), 250);
  });
  status.el.addEventListener('change', () => setFilter(withValue(filter, 'status', status.el.value)));
  engine.el.addEventListener('change', () => setFilter(withValue(filter, 'engine', engine.el.value)));
  more.addEventListener('click', () => void load(false));

  // Durations of running sessions tick; one timer for the table, only the cells change.
  const tick = setInterval(() => {
    for (const tr of body.querySelectorAll<HTMLTableRowElement>('tr')) {
      const r = rows.get(tr.dataset.sessionId!);
      if (r && !isFinal(r.status)) tr.querySelector('[data-duration]')!.textContent = durationOf(r);
    }
  }, 1000);

  const offEvent = hub.on(onEvent);
  const offResync = hub.onResync(() => void load(true));
  void load(true);

  return {
    destroy() {
      loading?.abort();
      offEvent();
      offResync();
      activity.destroy();
      clearInterval(tick);
      if (textTimer !== undefined) clearTimeout(textTimer);
      document.removeEventListener('keydown', onKey);
    },
  };
}

function durationOf(r: SessionRow): string {
  if (r.duration_ms !== undefined) return formatDuration(r.duration_ms);
  const start = Date.parse(r.started_at);
  if (Number.isNaN(start)) return '';
  const end = r.ended_at ? Date.parse(r.ended_at) : isFinal(r.status) ? NaN : Date.now();
  return Number.isNaN(end) ? '' : formatDuration(Math.max(0, end - start));
}

function select(id: string, label: string, values: readonly string[], value: string): { wrap: HTMLElement; el: HTMLSelectElement } {
  const el = h('select', { id, 'aria-label': label });
  for (const v of values) el.append(h('option', { value: v, selected: v === value }, v === '' ? `${label}: any` : v));
  return { wrap: h('label', { class: 'select' }, el), el };
}

function withValue(filter: ListFilter, key: keyof ListFilter, value: string): ListFilter {
  const next: Record<string, string> = { ...(filter as Record<string, string>) };
  if (value) next[key] = value;
  else delete next[key];
  return next as ListFilter;
}

function loadFilter(): ListFilter {
  try {
    const f = JSON.parse(sessionStorage.getItem(FILTER_KEY) ?? '{}') as Record<string, unknown>;
    const out: ListFilter = {};
    if (typeof f.status === 'string' && (STATUSES as readonly string[]).includes(f.status)) out.status = f.status as ListFilter['status'];
    if (typeof f.engine === 'string' && (ENGINES as readonly string[]).includes(f.engine)) out.engine = f.engine;
    if (typeof f.text === 'string' && f.text.length <= 200) out.text = f.text;
    return out;
  } catch {
    return {};
  }
}
