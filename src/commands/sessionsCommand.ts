import { parseArgs } from 'node:util';
import { resolveConfig } from '../core/config.js';
import { formatDuration } from '../core/formatDuration.js';
import { shownReason, type SessionMeta } from '../core/session.js';
import { createSessionCatalog } from '../catalog/sessionCatalog.js';
import type { Command } from './command.js';
import { withUsageErrors } from './parseFlags.js';

const USAGE = `usage: mcpscope sessions [--json] [--traces-dir DIR]

Lists recorded sessions, newest first.
  --json             print a JSON array of session records
  --traces-dir DIR   traces directory (default: $MCP_TRACES_DIR or ~/.mcp_traces)`;

/** `mcpscope sessions`: a compact table of sessions (or `--json`: the meta records as an array). */
export const sessionsCommand: Command = {
  name: 'sessions',
  summary: 'list recorded sessions',
  usage: USAGE,
  async run(ctx) {
    const { values } = withUsageErrors('sessions', () =>
      parseArgs({ args: ctx.argv, options: { json: { type: 'boolean' }, 'traces-dir': { type: 'string' } }, strict: true, allowPositionals: false }),
    );
    const config = resolveConfig(values['traces-dir'] === undefined ? {} : { tracesDir: values['traces-dir'] }, ctx.env);
    const catalog = createSessionCatalog({ tracesDir: config.tracesDir, watch: false });
    const sessions = await catalog.list().finally(() => catalog.close());
    if (values.json) ctx.stdout.write(`${JSON.stringify(sessions)}\n`);
    else if (sessions.length === 0) ctx.stdout.write(`no sessions in ${config.tracesDir}\n`);
    else ctx.stdout.write(`${renderSessionTable(sessions)}\n`);
    return 0;
  },
};

/** Longest title and reason shown in the table (the JSON output has them whole). */
const TITLE_CHARS = 40;
const REASON_CHARS = 60;

/**
 * The sessions as an aligned plain-text table (one header line, one line per session). The
 * status column holds only the status; why a session failed, was cancelled or waits is in
 * the last column, cut to 60 characters, so a long reason never widens the other columns.
 */
export function renderSessionTable(sessions: SessionMeta[]): string {
  const header = ['SESSION', 'STATUS', 'ENGINE', 'SPANS', 'ERRORS', 'STARTED (UTC)', 'DURATION', 'TITLE', 'REASON'];
  const rows = sessions.map((m) => [
    m.id,
    m.status,
    m.engine,
    String(m.span_count),
    String(m.error_count),
    m.started_at.slice(0, 19).replace('T', ' '),
    m.duration_ms === undefined ? '-' : formatDuration(m.duration_ms),
    oneLine(m.title, TITLE_CHARS),
    m.waiting_on ? `waiting on ${oneLine(m.waiting_on, REASON_CHARS - 11)}` : shownReason(m) ? oneLine(shownReason(m)!, REASON_CHARS) : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([3, 4, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `text` on one line (control characters as spaces), cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
