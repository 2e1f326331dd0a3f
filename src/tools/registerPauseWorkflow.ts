import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { controlSignal, SignalResultShape } from './controlSignal.js';
import type { ToolContext } from './toolContext.js';
import { runTool } from './toolResult.js';

/** Registers `pause_workflow`: holds a live session's next requests until resumed. */
export function registerPauseWorkflow(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'pause_workflow',
    {
      title: 'Pause a live session',
      description: 'Pauses a running session or workflow: its next requests are held (not failed) until resume_workflow. Only live sessions can be paused.',
      inputSchema: {
        session_id: z.string().max(200).describe('Id of a running session (list_sessions status="running").'),
        reason: z.string().max(500).optional().describe('Why, shown to whoever looks at the session.'),
      },
      outputSchema: SignalResultShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) => runTool(() => controlSignal(context, args.session_id, 'pause', args.reason === undefined ? undefined : { reason: args.reason })),
  );
}
