import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ResourceContext } from './resourceContext.js';
import { registerSessionResource } from './registerSessionResource.js';
import { registerSessionsResource } from './registerSessionsResource.js';
import { registerSubscriptions } from './registerSubscriptions.js';
import { registerTraceResource } from './registerTraceResource.js';

/**
 * Registers the inspector resources and their subscriptions on `server` (created with
 * `capabilities.resources: { subscribe: true, listChanged: true }`). Returns the function
 * that stops relaying changes to this connection; call it when the connection closes.
 */
export function registerResources(server: McpServer, context: ResourceContext): () => void {
  registerSessionsResource(server, context);
  registerSessionResource(server, context);
  registerTraceResource(server, context);
  return registerSubscriptions(server, context);
}
