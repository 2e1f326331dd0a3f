import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { SessionChange } from '../catalog/sessionChanges.js';
import type { ResourceContext } from './resourceContext.js';
import { parseInspectorUri, SESSIONS_URI, sessionUri, traceUri } from './resourceUris.js';

/** Most URIs one connection may subscribe to. */
export const MAX_SUBSCRIPTIONS = 1000;

/**
 * Adds `resources/subscribe` and `resources/unsubscribe` to `server` (McpServer does not
 * implement them; the server must be created with `capabilities.resources.subscribe`), and
 * relays session changes: `notifications/resources/updated` for subscribed URIs of a changed
 * session (and for `inspector://sessions`), `notifications/resources/list_changed` when
 * sessions appear or disappear. Subscribing to a well-formed id that does not exist yet is
 * allowed (it may be about to start). Returns the function that stops relaying.
 */
export function registerSubscriptions(server: McpServer, context: ResourceContext): () => void {
  const subscribed = new Set<string>();
  const check = (uri: string) => {
    if (!parseInspectorUri(uri)) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `cannot subscribe to ${JSON.stringify(uri.slice(0, 200))}: expected ${SESSIONS_URI}, inspector://sessions/{session_id} or inspector://traces/{session_id}`,
      );
    }
  };
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    check(request.params.uri);
    if (!subscribed.has(request.params.uri) && subscribed.size >= MAX_SUBSCRIPTIONS) {
      throw new McpError(ErrorCode.InvalidParams, `too many subscriptions (at most ${MAX_SUBSCRIPTIONS} per connection)`);
    }
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    check(request.params.uri);
    subscribed.delete(request.params.uri);
    return {};
  });

  const notify = (uri: string) => {
    if (subscribed.has(uri)) server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  };
  const onChange = (change: SessionChange) => {
    if (!server.isConnected()) return;
    if (change.kind === 'added' || change.kind === 'removed') server.sendResourceListChanged();
    notify(SESSIONS_URI);
    notify(sessionUri(change.sessionId));
    notify(traceUri(change.sessionId));
  };
  return context.subscribeChanges(onChange);
}
