import { InspectorError } from '../core/errors.js';
import type { SessionMeta } from '../core/session.js';
import type { Span } from '../core/span.js';
import { parseMicros } from '../core/time.js';
import { clipText } from './clipText.js';
import type { LoadedTrace } from './loadedTrace.js';
import type { PagePosition } from './pageCursor.js';
import { traceFacts, type SpanFacts } from './spanFacts.js';
import { spanMatcher } from './spanFilter.js';

/** What search_spans looks for; every field optional, all given must match. */
export interface SpanSearch {
  /** Case-insensitive text in the span name, an attribute value or the status description. */
  query?: string | undefined;
  status?: 'error' | undefined;
  method?: string | undefined;
  tool?: string | undefined;
  /** RFC 3339 bounds on the span start (`since` inclusive, `until` exclusive). */
  since?: string | undefined;
  until?: string | undefined;
  min_duration_ms?: number | undefined;
  /** `time`: newest sessions first, newest spans first within each; `duration`: slowest first across sessions. */
  sort: 'time' | 'duration';
}

/** One matching span; `match` says where the text was found ('' without a query). */
export interface SpanMatch {
  meta: SessionMeta;
  span: Span;
  facts: SpanFacts;
  match: string;
}

/** How far a search got: where the next page starts (when there is more) and what it scanned. */
export interface SearchProgress {
  next?: PagePosition;
  scannedSessions: number;
  /** Sort by duration only: the scan stopped at its bound, so only the newest sessions were ranked. */
  scanCut: boolean;
}

/** Most sessions and spans one search looks through before answering with a position to go on. */
const SCAN_SESSIONS = 100;
const SCAN_SPANS = 400_000;

/** A {@link SpanSearch} checked and turned into a predicate. */
export interface CompiledSearch {
  sort: SpanSearch['sort'];
  since: number | undefined;
  until: number | undefined;
  /** The match text ('' without a query) when the span passes every filter, else undefined. */
  passes(span: Span, facts: SpanFacts): string | undefined;
}

/** Checks a search (INVALID_ARGUMENT for a time bound that is not RFC 3339) and compiles its filters. */
export function compileSpanSearch(search: SpanSearch): CompiledSearch {
  const since = timeBound('since', search.since);
  const until = timeBound('until', search.until);
  const matches = spanMatcher({ status: search.status, method: search.method, tool: search.tool });
  const needle = search.query?.toLowerCase();
  const minMs = search.min_duration_ms;
  const passes = (span: Span, f: SpanFacts): string | undefined => {
    if (!matches(span, f)) return undefined;
    if (minMs !== undefined && f.durationMs < minMs) return undefined;
    if ((since !== undefined && f.startMicros < since) || (until !== undefined && f.startMicros >= until)) return undefined;
    return needle === undefined ? '' : findText(span, needle);
  };
  return { sort: search.sort, since, until, passes };
}

/**
 * Searches `sessions` (newest first) from `position`, handing each match in order to `take`
 * until it answers false (the page is full). Sessions that cannot hold a span in the time
 * window are skipped unread. Throws INVALID_CURSOR when the session a position continues in is gone.
 */
export async function searchSpans(
  sessions: readonly SessionMeta[],
  loadTrace: (sessionId: string) => Promise<LoadedTrace>,
  search: CompiledSearch,
  position: PagePosition | undefined,
  take: (match: SpanMatch) => boolean,
): Promise<SearchProgress> {
  const scan: Scan = { sessions, loadTrace, search, take };
  return search.sort === 'duration' ? slowestFirst(scan, position) : newestFirst(scan, position);
}

interface Scan {
  sessions: readonly SessionMeta[];
  loadTrace: (sessionId: string) => Promise<LoadedTrace>;
  search: CompiledSearch;
  take: (match: SpanMatch) => boolean;
}

/** Every match of the bounded scan ranked by duration (then start), paged by rank. */
async function slowestFirst(scan: Scan, position: PagePosition | undefined): Promise<SearchProgress> {
  const ranked: SpanMatch[] = [];
  let scannedSessions = 0;
  let scannedSpans = 0;
  let scanCut = false;
  for (const meta of scan.sessions) {
    if (!overlaps(meta, scan.search.since, scan.search.until)) continue;
    if (scannedSessions >= SCAN_SESSIONS || scannedSpans >= SCAN_SPANS) {
      scanCut = true;
      break;
    }
    scannedSessions++;
    const trace = await scan.loadTrace(meta.id);
    const facts = traceFacts(trace);
    scannedSpans += trace.spans.length;
    for (let i = 0; i < trace.spans.length; i++) {
      const match = scan.search.passes(trace.spans[i]!, facts[i]!);
      if (match !== undefined) ranked.push({ meta, span: trace.spans[i]!, facts: facts[i]!, match });
    }
  }
  ranked.sort((a, b) => b.facts.durationMs - a.facts.durationMs || b.facts.startMicros - a.facts.startMicros);
  let k = position?.o ?? 0;
  for (; k < ranked.length; k++) if (!scan.take(ranked[k]!)) break;
  return k < ranked.length ? { next: { o: k }, scannedSessions, scanCut } : { scannedSessions, scanCut };
}

/** Sessions newest first, each one's spans newest (last ended) first, until the page is full or the scan bound is reached. */
async function newestFirst(scan: Scan, position: PagePosition | undefined): Promise<SearchProgress> {
  const { sessions } = scan;
  let start = 0;
  if (position?.s !== undefined) {
    start = sessions.findIndex((m) => m.id === position.s);
    if (start === -1) throw new InspectorError('INVALID_CURSOR', `the session the cursor continues in (${position.s}) is gone; search again without the cursor`);
  }
  let scannedSessions = 0;
  let scannedSpans = 0;
  for (let si = start; si < sessions.length; si++) {
    const meta = sessions[si]!;
    if (!overlaps(meta, scan.search.since, scan.search.until)) continue;
    if (scannedSessions >= SCAN_SESSIONS || scannedSpans >= SCAN_SPANS) return { next: { s: meta.id, o: 0 }, scannedSessions, scanCut: false };
    scannedSessions++;
    const trace = await scan.loadTrace(meta.id);
    const facts = traceFacts(trace);
    const n = trace.spans.length;
    for (let k = si === start && position ? position.o : 0; k < n; k++) {
      scannedSpans++;
      const span = trace.spans[n - 1 - k]!;
      const match = scan.search.passes(span, facts[n - 1 - k]!);
      if (match !== undefined && !scan.take({ meta, span, facts: facts[n - 1 - k]!, match })) return { next: { s: meta.id, o: k }, scannedSessions, scanCut: false };
    }
  }
  return { scannedSessions, scanCut: false };
}

function timeBound(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const micros = parseMicros(value);
  if (Number.isNaN(micros)) throw new InspectorError('INVALID_ARGUMENT', `invalid ${name} ${JSON.stringify(value.slice(0, 40))}: expected an RFC 3339 time such as 2026-01-01T12:00:00Z`);
  return micros;
}

/** False when the session certainly has no span in [since, until). */
function overlaps(meta: SessionMeta, since: number | undefined, until: number | undefined): boolean {
  if (until !== undefined && parseMicros(meta.started_at) >= until) return false;
  if (since !== undefined && meta.ended_at !== undefined && parseMicros(meta.ended_at) < since) return false;
  return true;
}

/** Where `needle` (lower case) occurs: `name` or `<attribute>: …context…`; undefined when nowhere. */
function findText(span: Span, needle: string): string | undefined {
  if (span.name.toLowerCase().includes(needle)) return 'in name';
  for (const [key, value] of Object.entries(span.attributes)) {
    const text = typeof value === 'string' ? value : String(value);
    const at = text.toLowerCase().indexOf(needle);
    if (at === -1) continue;
    const from = Math.max(0, at - 40);
    const snippet = text.slice(from, at + needle.length + 40).replace(/\s+/g, ' ');
    return `${key}: ${from > 0 ? '…' : ''}${snippet}${at + needle.length + 40 < text.length ? '…' : ''}`;
  }
  if (span.status.description?.toLowerCase().includes(needle)) return `status: ${clipText(span.status.description, 120)}`;
  return undefined;
}
