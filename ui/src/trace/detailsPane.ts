import { h } from '../dom';
import { copyButton, jsonBlock } from './jsonView';
import { readablePart } from './readableParts';
import { isRealError, type SpanRow } from './spanRow';
import { formatMs } from './timeAxis';
import { fetchLine } from './traceLoader';

type Obj = Record<string, unknown>;

const REQUEST = 'mcp.rpc.request_json';
const RESPONSE = 'mcp.rpc.response_json';

/**
 * The details panel: shows one span at a time, fetched again by its byte range (rows keep no
 * payloads), so opening a span costs one small request whatever the trace's size.
 */
export class DetailsPane {
  readonly el = h('aside', { class: 'tv-details', 'aria-label': 'span details', tabindex: '-1' });
  private shown: number | undefined;
  private seq = 0;

  constructor(
    private readonly url: string,
    private readonly sessionId: string,
    private readonly origin: number,
  ) {
    this.clear();
  }

  clear(): void {
    this.shown = undefined;
    this.seq++;
    this.el.replaceChildren(h('p', { class: 'muted tv-details-empty' }, 'Select a span to see its attributes, request and response.'));
  }

  /** Shows `row` (a no-op when it is already shown). */
  show(row: SpanRow, origin = this.origin): void {
    if (this.shown === row.idx) return;
    this.shown = row.idx;
    const seq = ++this.seq;
    const head = this.header(row, origin);
    this.el.replaceChildren(head, h('p', { class: 'muted' }, 'loading…'));
    this.el.setAttribute('aria-busy', 'true');
    fetchLine(this.url, row.offset, row.length).then(
      (span) => {
        if (seq !== this.seq) return;
        this.el.replaceChildren(head, ...this.body(row, span as Obj));
        this.el.removeAttribute('aria-busy');
      },
      (err: unknown) => {
        if (seq !== this.seq) return;
        this.el.replaceChildren(head, h('p', { class: 'error' }, `could not load the span: ${err instanceof Error ? err.message : String(err)}`));
        this.el.removeAttribute('aria-busy');
      },
    );
  }

  private header(row: SpanRow, origin: number): HTMLElement {
    const link = `#/s/${encodeURIComponent(this.sessionId)}/span/${row.spanId}`;
    const status = isRealError(row) ? h('span', { class: 'tv-status tv-status-error' }, row.outcome.replace('_', ' ')) : row.outcome === 'benign' ? h('span', { class: 'tv-status tv-status-benign', title: 'recorded as ERROR, but not a failure' }, 'benign error') : h('span', { class: `tv-status tv-status-${row.status === 1 ? 'ok' : 'unset'}` }, row.status === 1 ? 'ok' : 'unset');
    return h(
      'header',
      { class: 'tv-details-head' },
      h('h3', {}, row.name || '(unnamed span)'),
      h('div', { class: 'tv-details-meta' }, status, h('span', {}, formatMs(row.end - row.start)), h('span', { class: 'muted' }, `at +${formatMs(row.start - origin)}`), row.requestId !== undefined ? h('span', { class: 'muted' }, `id ${row.requestId}`) : undefined),
      h('div', { class: 'tv-details-links' }, h('a', { href: link, class: 'tv-span-link' }, 'Link to this span'), copyButton(() => `${location.origin}${location.pathname}${link}`, 'Copy link')),
      row.errorText !== undefined ? h('p', { class: isRealError(row) ? 'error tv-error-text' : 'muted tv-error-text' }, row.errorText) : undefined,
    );
  }

  private body(row: SpanRow, span: Obj): HTMLElement[] {
    const attrs = (typeof span.attributes === 'object' && span.attributes !== null ? span.attributes : {}) as Obj;
    const out: HTMLElement[] = [];
    const readable = readablePart(row.method, attrs);
    if (readable) out.push(readable);
    const pair = h('div', { class: 'tv-pair' });
    pair.append(jsonBlock('Request', str(attrs[REQUEST]), attrs[`${REQUEST}_truncated`] === true));
    if (row.requestId !== undefined) pair.append(jsonBlock('Response', str(attrs[RESPONSE]), attrs[`${RESPONSE}_truncated`] === true));
    out.push(pair);
    const events = Array.isArray(span.events) ? (span.events as Obj[]) : [];
    if (events.length > 0) {
      const table = h('table', { class: 'tv-events' }, h('thead', {}, h('tr', {}, h('th', {}, 'event'), h('th', {}, 'at'), h('th', {}, 'attributes'))));
      const tbody = h('tbody');
      for (const ev of events.slice(0, 500)) {
        const t = Date.parse(String(ev.time ?? ''));
        tbody.append(h('tr', {}, h('td', {}, String(ev.name ?? '')), h('td', { class: 'num' }, Number.isNaN(t) ? '' : `+${formatMs(t - row.start)}`), h('td', { class: 'mono' }, ev.attributes ? JSON.stringify(ev.attributes) : '')));
      }
      table.append(tbody);
      out.push(h('section', {}, h('h4', {}, `Events (${events.length})`), table));
    }
    const plain = h('tbody');
    const jsonAttrs: HTMLElement[] = [];
    for (const [key, value] of Object.entries(attrs).sort(([a], [b]) => a.localeCompare(b))) {
      if (key === REQUEST || key === RESPONSE || key.endsWith('_json_truncated')) continue;
      if (key.endsWith('_json') && typeof value === 'string') {
        const block = jsonBlock(key, value, attrs[`${key}_truncated`] === true);
        jsonAttrs.push(h('details', { class: 'tv-attr-json' }, h('summary', {}, key), block));
        continue;
      }
      plain.append(h('tr', {}, h('th', { scope: 'row' }, key), h('td', { class: 'mono' }, typeof value === 'string' ? value : JSON.stringify(value))));
    }
    const identity = h('tbody', {}, ...(['span_id', 'parent_span_id', 'trace_id', 'kind', 'start_time', 'end_time'] as const).filter((k) => span[k] !== undefined).map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'mono' }, String(span[k])))));
    out.push(h('section', { class: 'tv-attrs' }, h('div', { class: 'tv-json-head' }, h('h4', {}, 'Attributes'), copyButton(() => JSON.stringify(span, null, 2), 'Copy span JSON')), h('table', {}, identity, plain), ...jsonAttrs));
    return out;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
