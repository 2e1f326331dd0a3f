import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerCancelWorkflow } from './registerCancelWorkflow.js';
import { registerGetSpan } from './registerGetSpan.js';
import { registerGetTrace } from './registerGetTrace.js';
import { registerListSessions } from './registerListSessions.js';
import { registerPauseWorkflow } from './registerPauseWorkflow.js';
import { registerResumeWorkflow } from './registerResumeWorkflow.js';
import { registerSearchSpans } from './registerSearchSpans.js';
import { registerSendSignal } from './registerSendSignal.js';
import type { ToolContext } from './toolContext.js';

/** Registers every inspector tool on `server` (one McpServer per connection). */
export function registerTools(server: McpServer, context: ToolContext): void {
  registerListSessions(server, context);
  registerGetTrace(server, context);
  registerGetSpan(server, context);
  registerSearchSpans(server, context);
  registerPauseWorkflow(server, context);
  registerResumeWorkflow(server, context);
  registerCancelWorkflow(server, context);
  registerSendSignal(server, context);
}
