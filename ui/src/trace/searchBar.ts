import { h } from '../dom';
import { isActive, parseDuration, parseQuery, type SpanQuery } from './spanSearch';

/**
 * The search form: free text with `method:` / `tool:` tokens, a status select and a minimum
 * duration, plus previous/next buttons and the hit count. Enter goes to the next hit,
 * Shift+Enter to the previous one, Escape clears.
 */
export class SearchBar {
  readonly el = h('form', { class: 'tv-search', role: 'search', 'aria-label': 'search spans' });
  readonly input = h('input', { type: 'search', class: 'tv-search-text', placeholder: 'Search (/): text, method:tools/call, tool:echo', 'aria-label': 'search text; method: and tool: narrow it', autocomplete: 'off', spellcheck: 'false' });
  private readonly status = h('select', { 'aria-label': 'status' }, h('option', { value: '' }, 'any status'), h('option', { value: 'error' }, 'errors'), h('option', { value: 'ok' }, 'ok'), h('option', { value: 'unset' }, 'notifications'));
  private readonly minDur = h('input', { type: 'text', class: 'tv-search-dur', placeholder: 'min 250ms', 'aria-label': 'minimum duration, e.g. 250ms or 1.5s', inputmode: 'decimal', size: 8 });
  private readonly payloads = h('input', { type: 'checkbox', class: 'tv-search-payloads' });
  private readonly count = h('span', { class: 'tv-search-count', 'aria-live': 'polite' });
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastKey = '';

  constructor(private readonly onQuery: (q: SpanQuery) => void, onStep: (step: 1 | -1) => void) {
    const prev = h('button', { type: 'button', title: 'previous hit (Shift+Enter)', 'aria-label': 'previous hit' }, '↑');
    const next = h('button', { type: 'button', title: 'next hit (Enter)', 'aria-label': 'next hit' }, '↓');
    prev.addEventListener('click', () => onStep(-1));
    next.addEventListener('click', () => onStep(1));
    const payloadLabel = h('label', { class: 'tv-search-payloads-label', title: 'also look for the text in request and response bodies (reads the trace again)' }, this.payloads, ' in payloads');
    this.el.append(this.input, this.status, this.minDur, payloadLabel, prev, next, this.count);
    this.payloads.addEventListener('change', () => this.fire());
    // A form with two text fields has no implicit submission: Enter is handled here.
    this.el.addEventListener('submit', (e) => e.preventDefault());
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.fire();
        onStep(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.input.value = '';
        this.minDur.value = '';
        this.fire();
      }
    };
    this.input.addEventListener('keydown', onKey);
    this.minDur.addEventListener('keydown', onKey);
    for (const el of [this.input, this.minDur]) el.addEventListener('input', () => this.later());
    this.status.addEventListener('change', () => this.fire());
  }

  /** The query the form describes now. */
  query(): SpanQuery {
    const q = parseQuery(this.input.value);
    if (this.status.value) q.status = this.status.value as SpanQuery['status'];
    const min = parseDuration(this.minDur.value.replace(/^>=?/, ''));
    this.minDur.setAttribute('aria-invalid', String(this.minDur.value.trim() !== '' && Number.isNaN(min)));
    if (!Number.isNaN(min)) q.minMs = Math.max(q.minMs, min);
    return q;
  }

  /** True when the text is also looked for in the payloads. */
  get inPayloads(): boolean {
    return this.payloads.checked;
  }

  /** Shows `current` of `total` hits (current 0: none selected yet), and `note` (e.g. scan progress). */
  setCount(current: number, total: number, active: boolean, note = ''): void {
    const count = !active ? '' : total === 0 ? 'no match' : `${current > 0 ? `${current} / ` : ''}${total.toLocaleString()} ${total === 1 ? 'match' : 'matches'}`;
    this.count.textContent = note ? `${count} · ${note}` : count;
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }

  destroy(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private later(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), 200);
  }

  private fire(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const q = this.query();
    // Enter on an unchanged query only steps: a new search would drop the payload hits found.
    const key = `${JSON.stringify(q)}|${this.payloads.checked}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.onQuery(q);
    this.el.classList.toggle('is-active', isActive(q));
  }
}
