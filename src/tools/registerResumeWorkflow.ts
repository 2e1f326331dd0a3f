import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { controlSignal, SignalResultShape } from './controlSignal.js';
import type { ToolContext } from './toolContext.js';
import { runTool } from './toolResult.js';

/** Registers `resume_workflow`: releases a paused session. */
export function registerResumeWorkflow(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'resume_workflow',
    {
      title: 'Resume a paused session',
      description: 'Resumes a paused session or workflow: held requests go on. To answer a session waiting on a named signal, use send_signal instead.',
      inputSchema: { session_id: z.string().max(200).describe('Id of a paused session.') },
      outputSchema: SignalResultShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) => runTool(() => controlSignal(context, args.session_id, 'resume')),
  );
}
