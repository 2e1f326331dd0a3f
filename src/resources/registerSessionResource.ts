import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { plural } from '../core/formatDuration.js';
import { completeSessionId } from './completeSessionId.js';
import type { ResourceContext } from './resourceContext.js';
import { mapErrors } from './resourceErrors.js';
import { SESSION_URI_TEMPLATE, sessionUri } from './resourceUris.js';

/** Sessions that resources/list names individually (newest first). */
const LISTED = 50;

/** Registers `inspector://sessions/{session_id}`: one session's meta and trace summary as JSON. */
export function registerSessionResource(server: McpServer, context: ResourceContext): void {
  server.registerResource(
    'session',
    new ResourceTemplate(SESSION_URI_TEMPLATE, {
      list: async () => ({
        resources: (await context.listSessions()).slice(0, LISTED).map((m) => ({
          uri: sessionUri(m.id),
          name: m.id,
          title: m.title,
          description: `${m.engine} session, ${m.status}, ${plural(m.span_count, 'span')}, ${plural(m.error_count, 'error')}, started ${m.started_at}`,
          mimeType: 'application/json',
        })),
      }),
      complete: { session_id: completeSessionId(context) },
    }),
    {
      title: 'Session summary',
      description: 'One session: its meta (status, times, counts), the same summary get_trace gives and, while live, `live`: the requests or steps it holds and the signals it waits on. Subscribe to follow a live session.',
      mimeType: 'application/json',
    },
    (uri, variables) =>
      mapErrors(async () => {
        const id = String(variables.session_id ?? '');
        const { meta, summary, live } = await context.describeSession(decodeURIComponent(id));
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(live ? { meta, summary, live } : { meta, summary }, null, 1) }] };
      }),
  );
}
