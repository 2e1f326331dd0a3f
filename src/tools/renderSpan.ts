import type { Span } from '../core/span.js';
import { formatDuration } from '../core/formatDuration.js';
import { clipText } from '../catalog/clipText.js';
import type { SpanFacts } from '../catalog/spanFacts.js';

/** A whole span for get_span: `*_json` attributes parsed, long values cut with a length marker. */
export interface RenderedSpan {
  text: string;
  span: Record<string, unknown>;
  cut_values: string[];
}

/**
 * Renders `span` with every attribute value cut to `maxValueChars`: `*_json` values are
 * parsed and pretty-printed (kept parsed in the structured form when they fit), other
 * strings are shown as they are. `cut_values` names the attributes that were cut.
 */
export function renderSpan(span: Span, facts: SpanFacts, maxValueChars: number): RenderedSpan {
  const attributes: Record<string, unknown> = {};
  const cut: string[] = [];
  const lines: string[] = [];
  lines.push(`Span ${span.span_id} — ${clipText(span.name, 300)}`);
  lines.push(`trace ${span.trace_id}${span.parent_span_id ? `, parent ${span.parent_span_id}` : ', root span'}, kind ${span.kind}`);
  lines.push(`${span.start_time} → ${span.end_time} (${formatDuration(facts.durationMs)})`);
  lines.push(`status ${span.status.status_code}${span.status.description ? `: ${clipText(span.status.description, maxValueChars)}` : ''}`);
  lines.push('', 'Attributes:');
  for (const [key, value] of Object.entries(span.attributes)) {
    if (key.endsWith('_json') && typeof value === 'string') {
      let pretty = value;
      let parsed: unknown;
      let ok = false;
      try {
        parsed = JSON.parse(value);
        pretty = JSON.stringify(parsed, null, 2);
        ok = true;
      } catch {
        // cut or not JSON (e.g. truncated at the 30 KB cap): shown as text
      }
      const shown = clipText(pretty, maxValueChars);
      if (shown !== pretty) cut.push(key);
      attributes[key] = ok && shown === pretty ? parsed : shown;
      lines.push(`  ${key}:`, ...shown.split('\n').map((l) => `    ${l}`));
      continue;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const shown = clipText(text, maxValueChars);
    if (shown !== text) cut.push(key);
    attributes[key] = shown === text ? value : shown;
    lines.push(`  ${key}: ${shown}`);
  }
  const events = (span.events ?? []).slice(0, 50).map((e) => {
    const attrs = e.attributes ? clipText(JSON.stringify(e.attributes), maxValueChars) : undefined;
    lines.push(`  ${e.time} ${e.name}${attrs ? ` ${attrs}` : ''}`);
    return attrs === undefined ? { name: e.name, time: e.time } : { name: e.name, time: e.time, attributes: attrs };
  });
  if (events.length > 0) lines.splice(lines.length - events.length, 0, '', 'Events:');
  if ((span.events?.length ?? 0) > events.length) lines.push(`  … ${span.events!.length - events.length} more events`);
  if (cut.length > 0) lines.push('', `Cut to ${maxValueChars} characters: ${cut.join(', ')}.`);
  const out: Record<string, unknown> = {
    trace_id: span.trace_id,
    span_id: span.span_id,
    name: span.name,
    kind: span.kind,
    start_time: span.start_time,
    end_time: span.end_time,
    duration_ms: Number(facts.durationMs.toFixed(3)),
    status: span.status,
    attributes,
    events,
  };
  if (span.parent_span_id) out.parent_span_id = span.parent_span_id;
  return { text: lines.join('\n'), span: out, cut_values: cut };
}
