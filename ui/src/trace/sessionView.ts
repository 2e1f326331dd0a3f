import './trace.css';
import { announce, h } from '../dom';
import { ChartsStrip } from './charts';
import { DetailsPane } from './detailsPane';
import { LiveTail } from './liveTail';
import { MessagePane } from './messagePane';
import { SearchBar } from './searchBar';
import { SessionStats } from './sessionStats';
import { SpanIndex } from './spanIndex';
import type { SpanRow } from './spanRow';
import { SearchHits } from './searchHits';
import { stepHit } from './spanSearch';
import { sessionSpanCount, TraceLoader } from './traceLoader';
import { TreePane } from './treePane';
import { createViewToolbar, type ViewTab } from './viewToolbar';

/** Options of {@link mountSessionView} (CONTRACTS 3). */
export interface SessionViewOptions {
  sessionId: string;
  /** Select and scroll to this span. */
  spanId?: string;
  /** The session is running: keep tailing. */
  live: boolean;
  /** The shell updates the hash (shareable link). */
  onSelectSpan(spanId: string | undefined): void;
}

/** What the shell can do with a mounted view. */
export interface SessionViewHandle {
  setLive(live: boolean): void;
  selectSpan(spanId: string | undefined): void;
  destroy(): void;
}

/** Layout is O(n log n): during a load it runs at most this often (ms), or 5x its own cost. */
const LAYOUT_EVERY_MS = 150;
const CHARTS_EVERY_MS = 500;

/**
 * Renders the trace of one session into `root`: charts, the span tree beside a waterfall, the
 * message log, span details and search. Loads the trace progressively by byte ranges (first
 * rows after the first 128 KiB), keeps each span as a compact row and fetches a span's full
 * line again only when it is opened; a live session is tailed with `Range: bytes=N-`.
 */
export function mountSessionView(root: HTMLElement, options: SessionViewOptions): SessionViewHandle {
  const url = `/_inspector/trace/${encodeURIComponent(options.sessionId)}`;
  const index = new SpanIndex();
  const stats = new SessionStats();
  let selected: number | undefined;
  let pendingSpanId = options.spanId;
  let tab: ViewTab = 'timeline';
  let live = options.live;
  let loadedOnce = false;
  let destroyed = false;

  const hits = new SearchHits(index, url, (note) => {
    search.setCount(0, hits.count, hits.active, note);
    tree.schedule();
    messages.schedule();
  });
  const host = {
    index,
    isHit: (idx: number) => hits.isHit(idx),
    hitsVersion: () => hits.version,
    selected: () => selected,
    onSelect: (idx: number) => select(idx, true),
    onActivate: (idx: number) => {
      select(idx, true);
      details.el.focus();
    },
  };
  const tree = new TreePane(host);
  const messages = new MessagePane(host);
  const details = new DetailsPane(url, options.sessionId, 0);
  const charts = new ChartsStrip();
  const search = new SearchBar(
    (q) => {
      hits.set(q, search.inPayloads);
      // Every hit must be reachable: open the subtrees that hide one.
      if (hits.active && index.collapsed.size > 0) {
        index.collapsed.clear();
        index.layout();
      }
      if (hits.active) announce(hits.count === 0 ? 'no match' : `${hits.count} matches`);
    },
    (step) => stepSearch(step),
  );

  const toolbar = createViewToolbar({ search: search.el, tree, selected: () => selected, onTab: (t) => showTab(t) });
  const progress = toolbar.progress;
  const main = h('div', { class: 'tv-main', role: 'tabpanel', 'aria-labelledby': 'tv-tab-timeline' }, tree.el);
  const body = h('div', { class: 'tv-body' }, main, details.el);
  const el = h('section', { class: 'trace-view', 'aria-label': 'session trace' }, charts.el, toolbar.el, body);
  root.append(el);

  const onDocKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement | null;
    const typing = t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      search.focus();
    }
  };
  document.addEventListener('keydown', onDocKey);

  function showTab(next: ViewTab): void {
    tab = next;
    toolbar.showTab(next);
    main.setAttribute('aria-labelledby', `tv-tab-${next}`);
    main.replaceChildren(next === 'timeline' ? tree.el : messages.el);
    if (next === 'messages') {
      messages.refresh();
      if (selected !== undefined) messages.revealRow(selected);
      messages.viewport.focus({ preventScroll: true });
    } else {
      tree.select(selected);
      tree.viewport.focus({ preventScroll: true });
    }
  }

  function select(idx: number | undefined, notify: boolean): void {
    if (idx === undefined) {
      selected = undefined;
      details.clear();
      tree.select(undefined);
      messages.schedule();
      if (notify) options.onSelectSpan(undefined);
      return;
    }
    const row = index.rows[idx];
    if (!row) return;
    if (index.reveal(idx)) index.layout();
    const changed = selected !== idx;
    selected = idx;
    tree.select(idx);
    messages.schedule();
    if (tab === 'messages' && messages.log.length > 0 && (messages.cursor < 0 || messages.log.at(messages.cursor).row !== idx)) messages.revealRow(idx);
    showDetails(row);
    if (notify && changed) options.onSelectSpan(row.spanId);
  }

  // Holding an arrow key must not fetch every span it passes: details follow after a pause.
  let detailsTimer: ReturnType<typeof setTimeout> | undefined;
  function showDetails(row: SpanRow): void {
    if (detailsTimer !== undefined) clearTimeout(detailsTimer);
    detailsTimer = setTimeout(() => details.show(row, index.minStart), 60);
  }

  function stepSearch(step: 1 | -1): void {
    if (!hits.active || hits.count === 0) return;
    if (tab === 'timeline') {
      const found: number[] = [];
      index.order.forEach((idx, pos) => {
        if (hits.isHit(idx)) found.push(pos);
      });
      const from = selected === undefined ? (step === 1 ? -1 : Number.MAX_SAFE_INTEGER) : (index.position[selected] ?? -1);
      const pos = stepHit(found, from, step);
      if (pos < 0) return;
      select(index.order[pos]!, true);
      search.setCount(found.indexOf(pos) + 1, found.length, true);
    } else {
      messages.refresh();
      const log = messages.log;
      const found: number[] = [];
      for (let p = 0; p < log.length; p++) if (hits.isHit(log.at(p).row)) found.push(p);
      const pos = stepHit(found, messages.cursor, step);
      if (pos < 0) return;
      messages.reveal(pos);
      select(log.at(pos).row, true);
      search.setCount(found.indexOf(pos) + 1, found.length, true);
    }
  }

  // Loading: rows arrive in batches; the tree is laid out at most every LAYOUT_EVERY_MS.
  let lastLayout = 0;
  let layoutCost = 0;
  let layoutTimer: ReturnType<typeof setTimeout> | undefined;
  let lastCharts = 0;
  let chartsTimer: ReturnType<typeof setTimeout> | undefined;
  let firstRowsAt: number | undefined;
  const openedAt = performance.now();

  function onRows(rows: SpanRow[]): void {
    index.add(rows);
    stats.add(rows);
    hits.add(rows);
    scheduleLayout();
    scheduleCharts();
  }

  function scheduleLayout(): void {
    if (layoutTimer !== undefined) return;
    const wait = Math.max(0, lastLayout + Math.max(LAYOUT_EVERY_MS, layoutCost * 5) - performance.now());
    layoutTimer = setTimeout(doLayout, firstRowsAt === undefined ? 0 : wait);
  }

  function doLayout(): void {
    layoutTimer = undefined;
    if (destroyed || !index.stale) return;
    const follow = tree.atEnd() && live && firstRowsAt !== undefined;
    const t0 = performance.now();
    index.layout();
    layoutCost = performance.now() - t0;
    lastLayout = performance.now();
    if (pendingSpanId !== undefined) {
      const row = index.find(pendingSpanId);
      if (row) {
        pendingSpanId = undefined;
        select(row.idx, false);
      }
    }
    tree.render();
    if (follow) tree.scrollToEnd();
    if (tab === 'messages') messages.refresh();
    if (firstRowsAt === undefined && index.rows.length > 0) {
      firstRowsAt = performance.now();
      // Read by the bench and tests: time from mounting to the first rendered rows.
      el.dataset.firstRowsMs = String(Math.round(firstRowsAt - openedAt));
      el.dataset.firstRowsAt = String(Math.round(firstRowsAt));
    }
  }

  function scheduleCharts(): void {
    if (chartsTimer !== undefined) return;
    chartsTimer = setTimeout(
      () => {
        chartsTimer = undefined;
        lastCharts = performance.now();
        if (!destroyed) charts.update(stats);
      },
      Math.max(0, lastCharts + CHARTS_EVERY_MS - performance.now()),
    );
  }

  function showProgress(loadedBytes: number, total: number): void {
    const n = index.rows.length.toLocaleString();
    const skipped = loader.skipped > 0 ? ` · ${loader.skipped} unreadable line(s) skipped` : '';
    if (!loadedOnce && total > 0) progress.textContent = `loading ${n} spans · ${Math.floor((100 * loadedBytes) / total)}%${skipped}`;
    else progress.textContent = `${n} spans${live ? ' · live' : ''}${skipped}`;
  }

  const loader = new TraceLoader({ url, onRows, onProgress: (l, t) => showProgress(l, t), spanCountHint: () => sessionSpanCount(options.sessionId) });
  const tail = new LiveTail(
    () => loader.readNew(),
    (err) => showError(err),
  );

  function showError(err: unknown): void {
    if (destroyed || (err instanceof DOMException && err.name === 'AbortError')) return;
    progress.textContent = `could not read the trace: ${err instanceof Error ? err.message : String(err)}`;
    progress.classList.add('error');
  }

  void loader.readNew().then(
    () => {
      if (destroyed) return;
      loadedOnce = true;
      progress.classList.remove('error');
      if (loader.missing && index.rows.length === 0) progress.textContent = live ? 'no spans recorded yet · live' : 'no trace recorded for this session';
      else showProgress(loader.loaded, loader.total);
      el.dataset.loaded = 'true';
      el.dataset.loadMs = String(Math.round(performance.now() - openedAt));
      el.dataset.loadedAt = String(Math.round(performance.now()));
      doLayout();
      charts.update(stats);
      if (pendingSpanId !== undefined) progress.textContent += ` · span ${pendingSpanId} is not in this trace`;
      announce(`trace loaded: ${index.rows.length} spans`);
      if (live) tail.start();
    },
    (err: unknown) => {
      showError(err);
      if (live) tail.start();
    },
  );
  tree.render();
  charts.update(stats);

  return {
    setLive(next) {
      if (next === live) return;
      live = next;
      if (!loadedOnce) return;
      if (live) tail.start();
      else {
        tail.stop();
        // The session ended: read its last spans once.
        void loader.readNew().then(() => showProgress(loader.loaded, loader.total), showError);
      }
    },
    selectSpan(spanId) {
      if (spanId === undefined) {
        if (selected !== undefined) select(undefined, false);
        return;
      }
      const row = index.find(spanId);
      if (!row) {
        pendingSpanId = spanId;
        return;
      }
      if (row.idx !== selected) select(row.idx, false);
    },
    destroy() {
      destroyed = true;
      hits.destroy();
      tail.stop();
      loader.destroy();
      tree.destroy();
      messages.destroy();
      search.destroy();
      for (const t of [layoutTimer, chartsTimer, detailsTimer]) if (t !== undefined) clearTimeout(t);
      document.removeEventListener('keydown', onDocKey);
      el.remove();
    },
  };
}
