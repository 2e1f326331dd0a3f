import { h } from '../dom';
import type { SpanIndex } from './spanIndex';
import { isRealError, Status } from './spanRow';
import { axisTicks, barGeometry, clampWindow, formatMs, panWindow, zoomWindow, type TimeWindow } from './timeAxis';
import { scrollToReveal, visibleRange } from './virtualRange';

/** Row height in px (rows are fixed-height so the list can be virtual). */
export const ROW_HEIGHT = 24;

/** What the tree pane asks of its owner. */
export interface TreePaneHost {
  index: SpanIndex;
  /** Row idxs matching the current search. */
  isHit(idx: number): boolean;
  /** Changes whenever the set of hits changes. */
  hitsVersion(): number;
  /** A row was selected (click or keys). */
  onSelect(idx: number): void;
  /** Enter on a row: move into its details. */
  onActivate(idx: number): void;
}

/**
 * The span tree beside a waterfall on one shared time axis, rendered as a virtual list: only
 * the rows in view (plus a few) exist in the DOM, recycled as the list scrolls, so 50,000
 * spans scroll like 50. Zoom: Ctrl/⌘+wheel at the pointer, `+`/`-`/`0`, the buttons; pan:
 * Shift+wheel or a horizontal wheel, dragging the axis or the bars, Shift+←/→.
 */
export class TreePane {
  readonly el = h('section', { class: 'tv-tree' });
  readonly viewport = h('div', { class: 'tv-viewport', role: 'tree', tabindex: '0', 'aria-label': 'spans, in start order, nested by parent' });
  private readonly axis = h('div', { class: 'tv-axis', 'aria-hidden': 'true' });
  private readonly ticks = h('div', { class: 'tv-ticks' });
  private readonly spacer = h('div', { class: 'tv-spacer' });
  private readonly layer = h('div', { class: 'tv-layer' });
  private readonly pool: HTMLElement[] = [];
  selected: number | undefined;
  window: TimeWindow = { from: 0, to: 1 };
  /** The window shows the whole session and follows it as it grows. */
  fitted = true;
  private frame = 0;
  private nameWidth = 300;
  private lastOrder: Int32Array | undefined;
  private axisStamp = '';
  private readonly resize = new ResizeObserver(() => this.schedule());

  constructor(private readonly host: TreePaneHost) {
    this.axis.append(h('div', { class: 'tv-axis-name' }, 'Span'), this.ticks);
    this.viewport.append(this.spacer, this.layer);
    this.el.append(this.axis, this.viewport);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.viewport.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
    this.viewport.addEventListener('click', (e) => this.onClick(e));
    this.dragToPan(this.axis);
    this.dragToPan(this.viewport);
    this.resize.observe(this.viewport);
  }

  /** Session bounds (all spans). */
  get bounds(): TimeWindow {
    const { minStart, maxEnd } = this.host.index;
    return Number.isNaN(minStart) ? { from: 0, to: 1 } : { from: minStart, to: Math.max(maxEnd, minStart + 0.001) };
  }

  /** Re-renders on the next frame. */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.resize.disconnect();
  }

  zoom(factor: number, anchor = 0.5): void {
    this.window = zoomWindow(this.window, factor, anchor, this.bounds);
    this.fitted = false;
    this.schedule();
  }

  pan(fraction: number): void {
    this.window = panWindow(this.window, fraction, this.bounds);
    this.fitted = false;
    this.schedule();
  }

  fit(): void {
    this.fitted = true;
    this.schedule();
  }

  /** Zooms the axis onto one row's span (with a margin). */
  zoomTo(idx: number): void {
    const row = this.host.index.rows[idx];
    if (!row) return;
    const pad = Math.max((row.end - row.start) * 0.1, 0.05);
    this.window = clampWindow({ from: row.start - pad, to: row.end + pad }, this.bounds);
    this.fitted = false;
    this.schedule();
  }

  /** True when the list is scrolled to its end (a live session then keeps showing new rows). */
  atEnd(): boolean {
    const v = this.viewport;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - ROW_HEIGHT;
  }

  scrollToEnd(): void {
    this.viewport.scrollTop = this.viewport.scrollHeight;
  }

  /** Selects row `idx` and scrolls it into view. */
  select(idx: number | undefined, scroll = true): void {
    this.selected = idx;
    if (idx !== undefined && scroll) {
      const pos = this.host.index.position[idx] ?? -1;
      const top = pos < 0 ? undefined : scrollToReveal(pos, this.viewport.scrollTop, this.viewport.clientHeight, ROW_HEIGHT);
      if (top !== undefined) this.viewport.scrollTop = top;
    }
    this.schedule();
  }

  render(): void {
    const index = this.host.index;
    const order = index.order;
    const total = order.length;
    const width = this.viewport.clientWidth;
    this.nameWidth = Math.round(Math.min(520, Math.max(150, width * (width < 600 ? 0.55 : 0.38))));
    this.el.style.setProperty('--tv-name-w', `${this.nameWidth}px`);
    const trackWidth = Math.max(40, width - this.nameWidth - 8);
    if (this.fitted) this.window = this.bounds;
    else this.window = clampWindow(this.window, this.bounds);
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    // A short trace gets a short list; a long one scrolls inside 62% of the window.
    this.viewport.style.height = `min(62vh, 640px, ${Math.max(4, total) * ROW_HEIGHT + 2}px)`;
    const { first, end } = visibleRange(this.viewport.scrollTop, this.viewport.clientHeight || 600, ROW_HEIGHT, total, 6);
    // A row element is keyed by position modulo the pool size, so scrolling by a few rows
    // refills only the rows that came into view; anything that changes every row (new
    // layout, selection, hits, axis) changes the stamp and refills them all.
    const stamp = [order.length, this.selected, this.window.from, this.window.to, trackWidth, this.host.hitsVersion()].join('|');
    const orderChanged = order !== this.lastOrder;
    this.lastOrder = order;
    if (this.pool.length < end - first) {
      while (this.pool.length < end - first) this.pool.push(this.makeRow());
      for (const el of this.pool) el.dataset.pos = '';
    }
    const size = this.pool.length;
    for (let i = 0; i < size; i++) {
      const el = this.pool[i]!;
      // The position this element shows: the one in [first, end) congruent to i.
      const pos = first + ((i - (first % size) + size) % size);
      if (pos >= end) {
        if (el.parentNode) el.remove();
        el.dataset.pos = '';
        continue;
      }
      if (!el.parentNode) this.layer.append(el);
      if (!orderChanged && el.dataset.pos === String(pos) && el.dataset.stamp === stamp) continue;
      this.fillRow(el, order[pos]!, pos, trackWidth);
      el.dataset.pos = String(pos);
      el.dataset.stamp = stamp;
    }
    const axisStamp = `${this.window.from}|${this.window.to}|${trackWidth}`;
    if (axisStamp !== this.axisStamp) this.renderAxis(trackWidth);
    this.axisStamp = axisStamp;
    if (this.selected !== undefined && (index.position[this.selected] ?? -1) >= 0) this.viewport.setAttribute('aria-activedescendant', `tv-row-${this.selected}`);
    else this.viewport.removeAttribute('aria-activedescendant');
  }

  private makeRow(): HTMLElement {
    const caret = h('span', { class: 'tv-caret', 'aria-hidden': 'true' });
    const label = h('span', { class: 'tv-label' });
    const dur = h('span', { class: 'tv-dur' });
    const name = h('div', { class: 'tv-name' }, caret, label, dur);
    const bar = h('div', { class: 'tv-bar' });
    const track = h('div', { class: 'tv-track' }, bar);
    return h('div', { class: 'tv-row', role: 'treeitem' }, name, track);
  }

  private fillRow(el: HTMLElement, idx: number, pos: number, trackWidth: number): void {
    const index = this.host.index;
    const row = index.rows[idx]!;
    const [name, track] = el.children as unknown as [HTMLElement, HTMLElement];
    const [caret, label, dur] = name.children as unknown as [HTMLElement, HTMLElement, HTMLElement];
    const bar = track.firstElementChild as HTMLElement;
    el.id = `tv-row-${idx}`;
    el.dataset.idx = String(idx);
    el.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
    const kids = index.childCount[idx] ?? 0;
    const depth = index.depth[idx] ?? 0;
    el.setAttribute('aria-level', String(depth + 1));
    if (kids > 0) el.setAttribute('aria-expanded', String(!index.collapsed.has(idx)));
    else el.removeAttribute('aria-expanded');
    el.setAttribute('aria-selected', String(idx === this.selected));
    const error = isRealError(row);
    el.className = `tv-row${idx === this.selected ? ' is-selected' : ''}${error ? ' is-error' : ''}${this.host.isHit(idx) ? ' is-hit' : ''}${pos % 2 ? ' is-odd' : ''}`;
    name.style.paddingLeft = `${4 + Math.min(depth, 30) * 14}px`;
    caret.textContent = kids > 0 ? (index.collapsed.has(idx) ? '▸' : '▾') : '';
    label.textContent = row.name || '(unnamed)';
    label.title = `${row.name}${row.errorText ? `\n${row.errorText}` : ''}`;
    dur.textContent = formatMs(row.end - row.start);
    const g = barGeometry(row.start, row.end, this.window, trackWidth);
    bar.style.display = g.visible ? '' : 'none';
    bar.style.transform = `translateX(${g.x}px)`;
    bar.style.width = `${g.w}px`;
    bar.className = `tv-bar ${error ? 'tv-bar-error' : row.status === Status.Unset ? 'tv-bar-unset' : row.outcome === 'benign' ? 'tv-bar-benign' : 'tv-bar-ok'}`;
  }

  private renderAxis(trackWidth: number): void {
    const w = this.window;
    const ticks = axisTicks(w, Math.max(2, Math.floor(trackWidth / 110)), this.bounds.from);
    const nodes = ticks.map((t) => {
      const x = ((t.t - w.from) / (w.to - w.from)) * trackWidth;
      // A label this close to the right edge would show cut (`1` of `1 ms`): the line alone then.
      const tick = h('span', { class: 'tv-tick' }, x > trackWidth - 48 ? '' : t.label);
      tick.style.transform = `translateX(${x}px)`;
      return tick;
    });
    this.ticks.replaceChildren(...nodes);
  }

  private trackFraction(clientX: number): number {
    const rect = this.viewport.getBoundingClientRect();
    const width = Math.max(1, rect.width - this.nameWidth - 8);
    return (clientX - rect.left - this.nameWidth) / width;
  }

  private onWheel(e: WheelEvent): void {
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      this.zoom(Math.exp(-e.deltaY * 0.0025), this.trackFraction(e.clientX));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      const rect = this.viewport.getBoundingClientRect();
      this.pan(((e.shiftKey ? e.deltaY : e.deltaX) || e.deltaX) / Math.max(1, rect.width - this.nameWidth));
    }
  }

  private dragToPan(target: HTMLElement): void {
    target.addEventListener('pointerdown', (down) => {
      if (down.button !== 0 || this.trackFraction(down.clientX) < 0) return;
      const startWindow = this.window;
      const width = Math.max(1, this.viewport.getBoundingClientRect().width - this.nameWidth - 8);
      let moved = false;
      const move = (e: PointerEvent) => {
        const dx = e.clientX - down.clientX;
        if (!moved && Math.abs(dx) < 4) return;
        moved = true;
        this.window = panWindow(startWindow, -dx / width, this.bounds);
        this.fitted = false;
        this.schedule();
      };
      const up = () => {
        window.removeEventListener('pointermove', move);
        window.removeEventListener('pointerup', up);
        if (moved) target.addEventListener('click', (c) => c.stopPropagation(), { capture: true, once: true });
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
    });
  }

  private onClick(e: MouseEvent): void {
    const rowEl = (e.target as HTMLElement).closest<HTMLElement>('.tv-row');
    if (!rowEl) return;
    const idx = Number(rowEl.dataset.idx);
    if ((e.target as HTMLElement).classList.contains('tv-caret')) this.toggle(idx);
    this.host.onSelect(idx);
    this.viewport.focus({ preventScroll: true });
  }

  /** Collapses or expands row `idx`. */
  toggle(idx: number, open?: boolean): void {
    const index = this.host.index;
    if ((index.childCount[idx] ?? 0) === 0) return;
    const isOpen = !index.collapsed.has(idx);
    if (open === isOpen) return;
    if (isOpen) index.collapsed.add(idx);
    else index.collapsed.delete(idx);
    index.layout();
    this.schedule();
  }

  private onKey(e: KeyboardEvent): void {
    const index = this.host.index;
    const order = index.order;
    if (order.length === 0) return;
    const pos = this.selected === undefined ? -1 : (index.position[this.selected] ?? -1);
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
    const go = (p: number) => this.host.onSelect(order[Math.max(0, Math.min(order.length - 1, p))]!);
    const sel = this.selected;
    let handled = true;
    if (e.key === 'ArrowLeft' && e.shiftKey) this.pan(-0.2);
    else if (e.key === 'ArrowRight' && e.shiftKey) this.pan(0.2);
    else if (e.key === 'ArrowDown') go(pos + 1);
    else if (e.key === 'ArrowUp') go(pos < 0 ? 0 : pos - 1);
    else if (e.key === 'PageDown') go(pos + page);
    else if (e.key === 'PageUp') go(pos - page);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(order.length - 1);
    else if (e.key === 'ArrowRight' && sel !== undefined) {
      if ((index.childCount[sel] ?? 0) > 0 && index.collapsed.has(sel)) this.toggle(sel, true);
      else if ((index.childCount[sel] ?? 0) > 0) go(pos + 1);
    } else if (e.key === 'ArrowLeft' && sel !== undefined) {
      if ((index.childCount[sel] ?? 0) > 0 && !index.collapsed.has(sel)) this.toggle(sel, false);
      else if ((index.parent[sel] ?? -1) >= 0) this.host.onSelect(index.parent[sel]!);
    } else if (e.key === 'Enter' && sel !== undefined) this.host.onActivate(sel);
    else if (e.key === '+' || e.key === '=') this.zoom(2);
    else if (e.key === '-') this.zoom(0.5);
    else if (e.key === '0') this.fit();
    else handled = false;
    if (handled) e.preventDefault();
  }
}
