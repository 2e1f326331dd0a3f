import { h } from '../dom';
import type { Latency, SessionStats, ToolCount } from './sessionStats';
import { formatMs } from './timeAxis';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const ROW = 18;
const LABEL = 150;
const WIDTH = 420;

/** Calls per tool as horizontal bars, the errored part in the error colour. */
export function toolChart(tools: ToolCount[]): SVGSVGElement {
  const height = Math.max(1, tools.length) * ROW + 4;
  const root = svg('svg', { class: 'tv-chart', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: 'img' });
  const max = Math.max(1, ...tools.map((t) => t.calls));
  const barSpace = WIDTH - LABEL - 80;
  root.setAttribute('aria-label', tools.map((t) => `${t.tool}: ${t.calls} calls, ${t.errors} errors`).join('; ') || 'no tool calls');
  tools.forEach((t, i) => {
    const y = i * ROW + 2;
    const w = Math.max(1, (t.calls / max) * barSpace);
    const ew = t.errors > 0 ? Math.max(1, (t.errors / max) * barSpace) : 0;
    const g = svg('g', {});
    g.append(svg('title', {}, `${t.tool}: ${t.calls} calls, ${t.errors} errors`));
    g.append(svg('text', { x: LABEL - 6, y: y + 12, 'text-anchor': 'end', class: 'tv-chart-label' }, clip(t.tool, 22)));
    g.append(svg('rect', { x: LABEL, y: y + 2, width: w, height: ROW - 6, rx: 2, class: 'tv-bar-ok' }));
    if (ew > 0) g.append(svg('rect', { x: LABEL + w - ew, y: y + 2, width: ew, height: ROW - 6, rx: 2, class: 'tv-bar-error' }));
    g.append(svg('text', { x: LABEL + w + 6, y: y + 12, class: 'tv-chart-value' }, t.errors > 0 ? `${t.calls} · ${t.errors} err` : String(t.calls)));
    root.append(g);
  });
  if (tools.length === 0) root.append(svg('text', { x: 4, y: 14, class: 'tv-chart-value' }, 'no tool calls'));
  return root;
}

/**
 * Latency per method or tool on a shared log scale: a bar from p50 to p95, a tick at p50,
 * a dot at the max. A log scale, because a session's calls span microseconds to minutes.
 */
export function latencyChart(rows: Latency[]): SVGSVGElement {
  const height = Math.max(1, rows.length) * ROW + 18;
  const root = svg('svg', { class: 'tv-chart', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: 'img' });
  root.setAttribute('aria-label', rows.map((r) => `${r.key}: p50 ${formatMs(r.p50)}, p95 ${formatMs(r.p95)}, max ${formatMs(r.max)}`).join('; ') || 'no requests');
  const lo = Math.min(...rows.map((r) => Math.max(r.p50, 0.001)), 1);
  const hi = Math.max(...rows.map((r) => r.max), lo * 10);
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  const space = WIDTH - LABEL - 10;
  const x = (ms: number) => LABEL + ((Math.log10(Math.max(ms, lo)) - l0) / (l1 - l0 || 1)) * space;
  rows.forEach((r, i) => {
    const y = i * ROW + 2;
    const g = svg('g', {});
    g.append(svg('title', {}, `${r.key} (${r.count}): p50 ${formatMs(r.p50)}, p95 ${formatMs(r.p95)}, max ${formatMs(r.max)}`));
    g.append(svg('text', { x: LABEL - 6, y: y + 12, 'text-anchor': 'end', class: 'tv-chart-label' }, clip(r.key, 22)));
    g.append(svg('line', { x1: x(r.p50), x2: x(r.max), y1: y + 8, y2: y + 8, class: 'tv-lat-whisker' }));
    g.append(svg('rect', { x: x(r.p50), y: y + 3, width: Math.max(2, x(r.p95) - x(r.p50)), height: ROW - 8, rx: 2, class: 'tv-lat-box' }));
    g.append(svg('circle', { cx: x(r.max), cy: y + 8, r: 3, class: 'tv-lat-max' }));
    root.append(g);
  });
  const axisY = Math.max(1, rows.length) * ROW + 14;
  for (let p = Math.ceil(l0); p <= Math.floor(l1); p++) {
    const xx = x(10 ** p);
    // A label centred on the last tick would run past the right edge: end it at the tick instead.
    const anchor = xx > WIDTH - 24 ? 'end' : 'middle';
    root.append(svg('line', { x1: xx, x2: xx, y1: 0, y2: axisY - 10, class: 'tv-grid' }), svg('text', { x: xx, y: axisY, 'text-anchor': anchor, class: 'tv-chart-axis' }, formatMs(10 ** p)));
  }
  if (rows.length === 0) root.append(svg('text', { x: 4, y: 14, class: 'tv-chart-value' }, 'no requests'));
  return root;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The charts strip above the tree: calls and errors per tool, latency per method or tool. */
export class ChartsStrip {
  readonly el = h('section', { class: 'tv-charts', 'aria-label': 'session charts' });
  private readonly tools = h('figure', { class: 'tv-card' });
  private readonly latency = h('figure', { class: 'tv-card' });

  constructor() {
    this.el.append(this.tools, this.latency);
  }

  update(stats: SessionStats): void {
    this.tools.replaceChildren(h('figcaption', {}, 'Calls and errors per tool'), toolChart(stats.toolCounts(8)));
    this.latency.replaceChildren(h('figcaption', {}, 'Latency p50–p95 (box), max (dot)'), latencyChart(stats.latencies(8)));
  }
}
