import { h } from '../dom';
import { jsonTree, tryParse } from './jsonView';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** Renders MCP content items (`{type:'text'|'image'|'audio'|'resource'|'resource_link', ...}`) readably. */
export function contentItems(items: unknown): HTMLElement {
  const list = h('div', { class: 'tv-content' });
  const arr = Array.isArray(items) ? items : items === undefined ? [] : [items];
  for (const raw of arr) {
    const item = obj(raw);
    if (!item) continue;
    const type = String(item.type ?? '');
    if (type === 'text') list.append(h('pre', { class: 'tv-text' }, String(item.text ?? '')));
    else if (type === 'image' || type === 'audio') {
      const size = typeof item.data === 'string' ? Math.floor((item.data.length * 3) / 4) : 0;
      list.append(h('p', { class: 'muted' }, `[${type} ${String(item.mimeType ?? '')}, about ${size.toLocaleString()} bytes]`));
    } else if (type === 'resource') {
      const res = obj(item.resource) ?? {};
      list.append(h('p', {}, h('code', {}, String(res.uri ?? ''))), h('pre', { class: 'tv-text' }, String(res.text ?? (res.blob ? '[binary]' : ''))));
    } else if (type === 'resource_link') list.append(h('p', {}, 'link: ', h('code', {}, String(item.uri ?? ''))));
    else list.append(h('div', { class: 'json-view' }, jsonTree(item)));
  }
  if (list.childElementCount === 0) list.append(h('p', { class: 'muted' }, 'no content'));
  return list;
}

/** Sampling / prompt messages (`[{role, content}]`) as a readable conversation. */
export function conversation(messages: unknown): HTMLElement {
  const box = h('div', { class: 'tv-conversation' });
  for (const raw of Array.isArray(messages) ? messages : []) {
    const m = obj(raw);
    if (!m) continue;
    box.append(h('div', { class: `tv-msg tv-msg-${String(m.role ?? 'other')}` }, h('span', { class: 'tv-role' }, String(m.role ?? '?')), contentItems(m.content)));
  }
  return box;
}

/**
 * The human-readable part of a span, when its method has one: tool input and output, a
 * sampling request's conversation and the model's answer, a prompt's messages. Undefined
 * for other methods (the request/response blocks say everything there).
 */
export function readablePart(method: string, attrs: Obj): HTMLElement | undefined {
  const req = obj(tryParse(String(attrs['mcp.rpc.request_json'] ?? ''))?.value);
  const res = obj(tryParse(String(attrs['mcp.rpc.response_json'] ?? ''))?.value);
  const params = obj(req?.params) ?? {};
  const result = obj(res?.result);
  const section = h('section', { class: 'tv-readable' });
  if (method === 'tools/call') {
    const input = tryParse(String(attrs['mcp.tool.input_json'] ?? ''))?.value ?? params.arguments;
    section.append(h('h4', {}, 'Tool input'), h('div', { class: 'json-view' }, jsonTree(input ?? {})));
    if (result) {
      section.append(h('h4', {}, result.isError === true ? 'Tool output (isError)' : 'Tool output'), contentItems(result.content));
      if (result.structuredContent !== undefined) section.append(h('h4', {}, 'Structured output'), h('div', { class: 'json-view' }, jsonTree(result.structuredContent)));
    }
    return section;
  }
  if (method === 'sampling/createMessage') {
    if (typeof params.systemPrompt === 'string') section.append(h('h4', {}, 'System prompt'), h('pre', { class: 'tv-text' }, params.systemPrompt));
    section.append(h('h4', {}, 'Messages'), conversation(params.messages));
    if (result) section.append(h('h4', {}, `Answer${result.model ? ` (${String(result.model)})` : ''}`), conversation([{ role: result.role, content: result.content }]));
    return section;
  }
  if (method === 'prompts/get' && result) {
    section.append(h('h4', {}, 'Prompt messages'), conversation(result.messages));
    return section;
  }
  if (method === 'resources/read' && result) {
    section.append(h('h4', {}, 'Contents'), contentItems((Array.isArray(result.contents) ? result.contents : []).map((c) => ({ type: 'resource', resource: c }))));
    return section;
  }
  return undefined;
}
