import { h } from '../dom';

/** Copies `text` to the clipboard; falls back to a hidden textarea where the API is missing. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // permission refused (headless, iframe): fall back below
    }
  }
  const area = h('textarea', { class: 'tv-copy-buffer', 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

/** A small "Copy" button that copies what `text()` returns and says so for a moment. */
export function copyButton(text: () => string, label = 'Copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'tv-copy', title: `${label} to the clipboard` }, label);
  button.addEventListener('click', () => {
    void copyText(text()).then(
      () => {
        button.textContent = 'Copied';
        setTimeout(() => (button.textContent = label), 1200);
      },
      () => (button.textContent = 'Copy failed'),
    );
  });
  return button;
}

/** Parses JSON text; undefined when it is not JSON (e.g. a value cut at the 30 KB limit). */
export function tryParse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Objects and arrays with more entries than this start collapsed. */
const OPEN_LIMIT = 12;

/**
 * A collapsible tree of a JSON value: objects and arrays are `<details>` (open when small or
 * shallow), strings that hold JSON are shown parsed, long strings keep their line breaks.
 */
export function jsonTree(value: unknown, depth = 0, key?: string): Node {
  const label = key === undefined ? undefined : h('span', { class: 'json-key' }, `${key}: `);
  if (value === null || typeof value !== 'object') return label ? h('span', {}, label, scalar(value)) : scalar(value);
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return h('span', {}, label ?? '', h('span', { class: 'json-punct' }, Array.isArray(value) ? '[]' : '{}'));
  const list = h('ul', { class: 'json-entries' });
  for (const [k, v] of entries) list.append(h('li', {}, jsonTree(v, depth + 1, k)));
  const count = h('span', { class: 'json-punct' }, Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`);
  const details = h('details', { class: 'json-node' }, h('summary', {}, label ?? '', count), list);
  details.open = depth < 6 && (depth < 2 || entries.length <= OPEN_LIMIT);
  return details;
}

function scalar(value: unknown): Node {
  if (typeof value === 'string') return h('span', { class: 'json-string' }, JSON.stringify(value).length > 200 ? value : JSON.stringify(value));
  return h('span', { class: `json-${value === null ? 'null' : typeof value}` }, String(value));
}

/**
 * A titled block showing JSON text: parsed and collapsible when it parses, else the raw text
 * (marked as cut when `truncated`), with a copy button for the exact text.
 */
export function jsonBlock(title: string, text: string | undefined, truncated = false): HTMLElement {
  const box = h('section', { class: 'tv-json-block' });
  const head = h('div', { class: 'tv-json-head' }, h('h4', {}, title));
  box.append(head);
  if (text === undefined) {
    box.append(h('p', { class: 'muted' }, 'none recorded'));
    return box;
  }
  const parsed = tryParse(text);
  if (parsed) {
    const pretty = JSON.stringify(parsed.value, null, 2);
    head.append(copyButton(() => pretty));
    box.append(h('div', { class: 'json-view' }, jsonTree(parsed.value)));
  } else {
    head.append(copyButton(() => text));
    box.append(h('pre', { class: 'tv-raw' }, text));
  }
  if (truncated) box.append(h('p', { class: 'muted' }, 'cut at the 30 KB attribute limit: the rest was not recorded'));
  return box;
}
