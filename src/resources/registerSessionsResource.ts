import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SessionMeta } from '../core/session.js';
import type { ResourceContext } from './resourceContext.js';
import { mapErrors } from './resourceErrors.js';
import { SESSIONS_URI, sessionUri } from './resourceUris.js';

/** Most sessions listed by `inspector://sessions` (newest first); the rest are counted. */
export const SESSIONS_RESOURCE_MAX = 200;

/** A listing row: the meta without long free text. */
function row(m: SessionMeta): Record<string, unknown> {
  const { tags: _tags, pid: _pid, ...rest } = m;
  return { ...rest, title: m.title.length > 120 ? `${m.title.slice(0, 120)}…` : m.title, uri: sessionUri(m.id) };
}

/** Registers `inspector://sessions`: the newest sessions as JSON, bounded in count and bytes. */
export function registerSessionsResource(server: McpServer, context: ResourceContext): void {
  server.registerResource(
    'sessions',
    SESSIONS_URI,
    {
      title: 'Recorded sessions',
      description: 'Recorded and live sessions, newest first, as JSON. Subscribe to be told when it changes.',
      mimeType: 'application/json',
    },
    (uri) =>
      mapErrors(async () => {
        const metas = await context.listSessions();
        const sessions: Record<string, unknown>[] = [];
        let bytes = 200;
        for (const m of metas) {
          if (sessions.length >= SESSIONS_RESOURCE_MAX) break;
          const r = row(m);
          bytes += Buffer.byteLength(JSON.stringify(r)) + 4;
          if (bytes > context.resourceByteBudget) break;
          sessions.push(r);
        }
        const body: Record<string, unknown> = { total: metas.length, sessions };
        if (sessions.length < metas.length) body.note = `showing the newest ${sessions.length} of ${metas.length} sessions; the list_sessions tool filters and pages through all of them`;
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(body, null, 1) }] };
      }),
  );
}
