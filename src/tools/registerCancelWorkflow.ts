import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { controlSignal, SignalResultShape } from './controlSignal.js';
import type { ToolContext } from './toolContext.js';
import { runTool } from './toolResult.js';

/** Registers `cancel_workflow`: stops a live session for good. */
export function registerCancelWorkflow(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'cancel_workflow',
    {
      title: 'Cancel a live session',
      description: 'Cancels a running or paused session or workflow: held and later requests fail and the session ends as cancelled. This cannot be undone.',
      inputSchema: {
        session_id: z.string().max(200).describe('Id of a running or paused session.'),
        reason: z.string().max(500).optional().describe('Why; recorded as the session\'s reason.'),
      },
      outputSchema: SignalResultShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => runTool(() => controlSignal(context, args.session_id, 'cancel', args.reason === undefined ? undefined : { reason: args.reason })),
  );
}
