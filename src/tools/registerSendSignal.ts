import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { controlSignal, SignalResultShape } from './controlSignal.js';
import type { ToolContext } from './toolContext.js';
import { runTool } from './toolResult.js';

/** Registers `send_signal`: delivers a named signal (with an optional payload) to a live session. */
export function registerSendSignal(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'send_signal',
    {
      title: 'Send a signal to a live session',
      description:
        'Delivers a signal to a live session: pause, resume, step (release one held request), cancel, approve / reject (a held tool call), human_input_answer (payload: the answer), or a name the workflow waits on (list_sessions shows waiting_on; get_trace shows its prompt and the JSON Schema the payload must match).',
      inputSchema: {
        session_id: z.string().max(200).describe('Id of a live session.'),
        signal: z.string().min(1).max(100).describe('Signal name, e.g. "approve" or the waiting_on value of the session.'),
        payload: z.unknown().optional().describe('JSON value the signal carries, e.g. {"answer": "yes"}.'),
      },
      outputSchema: SignalResultShape,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    (args) => runTool(() => controlSignal(context, args.session_id, args.signal, args.payload)),
  );
}
