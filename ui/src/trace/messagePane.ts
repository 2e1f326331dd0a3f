import { h } from '../dom';
import { MessageKind, MessageLog, messageDirection } from './messageLog';
import type { SpanIndex } from './spanIndex';
import { isRealError } from './spanRow';
import { formatMs } from './timeAxis';
import { scrollToReveal, visibleRange } from './virtualRange';

const ROW = 24;

/** What the message pane asks of its owner. */
export interface MessagePaneHost {
  index: SpanIndex;
  isHit(idx: number): boolean;
  selected(): number | undefined;
  onSelect(idx: number): void;
  onActivate(idx: number): void;
}

/**
 * The JSON-RPC message log: every message in time order (virtual list), its direction as the
 * recorded side saw it (`in` received, `out` sent), requests paired with their responses (both
 * halves highlight together; `p` or the ⇄ button jumps from one to the other).
 */
export class MessagePane {
  readonly el = h('section', { class: 'tv-messages' });
  readonly viewport = h('div', { class: 'tv-viewport tv-msg-viewport', role: 'listbox', tabindex: '0', 'aria-label': 'JSON-RPC messages in time order' });
  private readonly spacer = h('div', { class: 'tv-spacer' });
  private readonly layer = h('div', { class: 'tv-layer' });
  private readonly pool: HTMLElement[] = [];
  readonly log = new MessageLog();
  private builtFor = -1;
  /** Message position the keyboard is on. */
  cursor = -1;
  private frame = 0;

  constructor(private readonly host: MessagePaneHost) {
    this.el.append(h('div', { class: 'tv-msg-head', 'aria-hidden': 'true' }, h('span', {}, 'time'), h('span', {}, 'dir'), h('span', {}, 'message'), h('span', {}, 'id'), h('span', {}, 'pair')), this.viewport);
    this.viewport.append(this.spacer, this.layer);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.viewport.addEventListener('click', (e) => this.onClick(e));
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Rebuilds the log when spans were added since the last build. */
  refresh(): void {
    const rows = this.host.index.rows;
    if (this.builtFor !== rows.length) {
      this.log.rebuild(rows);
      this.builtFor = rows.length;
    }
    this.schedule();
  }

  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  /** Scrolls message `pos` into view and puts the cursor on it. */
  reveal(pos: number): void {
    if (pos < 0) return;
    this.cursor = pos;
    const top = scrollToReveal(pos, this.viewport.scrollTop, this.viewport.clientHeight, ROW);
    if (top !== undefined) this.viewport.scrollTop = top;
    this.schedule();
  }

  /** Reveals the first message of span row `idx`. */
  revealRow(idx: number): void {
    this.reveal(this.log.positionOf(idx));
  }

  render(): void {
    const log = this.log;
    const rows = this.host.index.rows;
    const origin = this.host.index.minStart;
    this.spacer.style.height = `${log.length * ROW}px`;
    this.viewport.style.height = `min(62vh, 640px, ${Math.max(4, log.length) * ROW + 2}px)`;
    const { first, end } = visibleRange(this.viewport.scrollTop, this.viewport.clientHeight || 600, ROW, log.length, 6);
    while (this.pool.length < end - first) this.pool.push(this.makeRow());
    const selected = this.host.selected();
    for (let i = 0; i < this.pool.length; i++) {
      const el = this.pool[i]!;
      const pos = first + i;
      if (pos >= end) {
        if (el.parentNode) el.remove();
        continue;
      }
      if (!el.parentNode) this.layer.append(el);
      const m = log.at(pos);
      const row = rows[m.row]!;
      const [time, dir, text, id, pair] = el.children as unknown as HTMLElement[];
      el.dataset.pos = String(pos);
      el.id = `tv-msg-${pos}`;
      el.style.transform = `translateY(${pos * ROW}px)`;
      const d = messageDirection(row, m.kind);
      const errored = m.kind === MessageKind.Response && isRealError(row);
      el.className = `tv-mrow${m.row === selected ? ' is-selected' : ''}${pos === this.cursor ? ' is-cursor' : ''}${errored ? ' is-error' : ''}${this.host.isHit(m.row) ? ' is-hit' : ''}${pos % 2 ? ' is-odd' : ''}`;
      el.setAttribute('aria-selected', String(m.row === selected));
      time!.textContent = `+${formatMs(m.time - origin)}`;
      dir!.textContent = d === 'in' ? '→ in' : d === 'out' ? '← out' : '·';
      dir!.className = `tv-dir tv-dir-${d || 'none'}`;
      dir!.title = d === 'in' ? 'received by the recorded side' : d === 'out' ? 'sent by the recorded side' : '';
      const what = row.target ? `${row.method} ${row.target}` : row.method || row.name;
      text!.textContent = m.kind === MessageKind.Request ? what : m.kind === MessageKind.Response ? `${errored ? 'error' : row.outcome === 'benign' ? 'error (benign)' : 'result'}: ${what}${row.errorText ? ` (${row.errorText})` : ''}` : `${row.requestId === undefined ? '' : 'unanswered '}${what}${row.errorText ? ` (${row.errorText})` : ''}`;
      id!.textContent = row.requestId ?? '';
      const partner = log.partner(pos);
      pair!.textContent = partner < 0 ? (m.kind === MessageKind.Request ? 'no response' : '') : m.kind === MessageKind.Request ? `⇄ ${formatMs(row.end - row.start)}` : `⇄ after ${formatMs(row.end - row.start)}`;
      pair!.dataset.partner = String(partner);
    }
    if (this.cursor >= 0 && this.cursor < log.length) this.viewport.setAttribute('aria-activedescendant', `tv-msg-${this.cursor}`);
  }

  private makeRow(): HTMLElement {
    return h('div', { class: 'tv-mrow', role: 'option' }, h('span', { class: 'tv-mtime' }), h('span', { class: 'tv-dir' }), h('span', { class: 'tv-mtext' }), h('span', { class: 'tv-mid' }), h('span', { class: 'tv-mpair', title: 'jump to the other half of this request/response pair' }));
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const rowEl = target.closest<HTMLElement>('.tv-mrow');
    if (!rowEl) return;
    const pos = Number(rowEl.dataset.pos);
    const partner = Number(target.closest<HTMLElement>('.tv-mpair')?.dataset.partner ?? -1);
    this.cursor = partner >= 0 ? partner : pos;
    if (partner >= 0) this.reveal(partner);
    this.host.onSelect(this.log.at(this.cursor).row);
    this.viewport.focus({ preventScroll: true });
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.log.length;
    if (n === 0) return;
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW) - 1);
    const go = (p: number) => {
      this.reveal(Math.max(0, Math.min(n - 1, p)));
      this.host.onSelect(this.log.at(this.cursor).row);
    };
    let handled = true;
    if (e.key === 'ArrowDown') go(this.cursor + 1);
    else if (e.key === 'ArrowUp') go(this.cursor - 1);
    else if (e.key === 'PageDown') go(this.cursor + page);
    else if (e.key === 'PageUp') go(this.cursor - page);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(n - 1);
    else if ((e.key === 'p' || e.key === 'ArrowRight' || e.key === 'ArrowLeft') && this.cursor >= 0) {
      const partner = this.log.partner(this.cursor);
      if (partner >= 0) go(partner);
    } else if (e.key === 'Enter' && this.cursor >= 0) this.host.onActivate(this.log.at(this.cursor).row);
    else handled = false;
    if (handled) e.preventDefault();
  }
}
