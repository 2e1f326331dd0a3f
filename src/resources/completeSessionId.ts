import type { ResourceContext } from './resourceContext.js';

/** Completion of a `session_id` variable: ids starting with what was typed (case-insensitive), newest first, at most 100. */
export function completeSessionId(context: Pick<ResourceContext, 'listSessions'>) {
  return async (value: string): Promise<string[]> => {
    const prefix = value.toLowerCase();
    const out: string[] = [];
    for (const m of await context.listSessions()) {
      if (m.id.toLowerCase().startsWith(prefix)) out.push(m.id);
      if (out.length >= 100) break;
    }
    return out;
  };
}
