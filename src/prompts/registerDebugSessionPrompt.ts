import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { plural } from '../core/formatDuration.js';
import { describeError, isInspectorError } from '../core/errors.js';
import { shownReason, type SessionMeta } from '../core/session.js';

/** What the prompt needs from the server: implemented by the InspectorContext in server.ts. */
export interface PromptContext {
  listSessions(): Promise<SessionMeta[]>;
  getSession(sessionId: string): Promise<SessionMeta>;
}

/** The investigation plan for one session. */
export function debugSessionText(meta: SessionMeta): string {
  const live = meta.status === 'running' || meta.status === 'paused';
  return [
    `Investigate MCP session ${meta.id} ("${meta.title}", ${meta.engine}, status ${meta.status}${meta.waiting_on ? `, waiting on "${meta.waiting_on}"` : ''}${shownReason(meta) ? `, reason: ${shownReason(meta)}` : ''}; ${plural(meta.span_count, 'span')}, ${plural(meta.error_count, 'error')}, started ${meta.started_at}).`,
    '',
    'Work through it with the inspector tools, citing span ids as evidence. Take the compact path: summary, then filtered span rows, then single spans in full:',
    `1. Call get_trace with session_id="${meta.id}" (summary view). Note the status and its reason, the methods and tools used, the error spans and their messages, and the slowest spans.`,
    `2. Narrow down with get_trace view="spans" and a filter: status="error" for every real error, or method / tool (e.g. tool="read_file"). Rows are lean (name, timing, status, error, argument preview), so one page covers many spans.`,
    `3. Open only the spans that matter with get_span (session_id="${meta.id}", span_id=...) and read their request and response JSON.`,
    '4. For slowness: search_spans with session_id, sort="duration" (and min_duration_ms) lists the slowest calls with their arguments in one call.',
    '5. If the same failure may happen elsewhere, call search_spans with a distinctive part of the error message (no session_id). Use get_trace view="tree" only when the call hierarchy matters (parents, retries).',
    live
      ? `6. The session is live. Steer it only if the user asks: pause_workflow / resume_workflow, send_signal (e.g. "approve", or the waiting_on signal with its payload), cancel_workflow as a last resort.`
      : '6. The session has finished, so it can only be read, not steered.',
    '',
    'Answer with: what the session was doing, what went wrong (or that nothing did) and the first span where it did, the likely cause, and a concrete next step. Keep tool calls few; every tool result is bounded, so follow next_cursor only when you need more.',
  ].join('\n');
}

/** Registers the `debug_session` prompt (its session_id argument completes). */
export function registerDebugSessionPrompt(server: McpServer, context: PromptContext): void {
  server.registerPrompt(
    'debug_session',
    {
      title: 'Debug a session',
      description: 'Walks through an investigation of one recorded or live session with the inspector tools.',
      argsSchema: {
        session_id: completable(z.string().max(200).describe('Session id (completes; list_sessions shows them).'), async (value) => {
          const prefix = (value ?? '').toLowerCase();
          const ids: string[] = [];
          for (const m of await context.listSessions()) {
            if (m.id.toLowerCase().startsWith(prefix)) ids.push(m.id);
            if (ids.length >= 100) break;
          }
          return ids;
        }),
      },
    },
    async (args) => {
      let meta: SessionMeta;
      try {
        meta = await context.getSession(args.session_id);
      } catch (err) {
        throw new McpError(isInspectorError(err, 'SESSION_NOT_FOUND') ? -32002 : ErrorCode.InvalidParams, describeError(err));
      }
      return {
        description: `Investigate session ${meta.id}`,
        messages: [{ role: 'user', content: { type: 'text', text: debugSessionText(meta) } }],
      };
    },
  );
}
