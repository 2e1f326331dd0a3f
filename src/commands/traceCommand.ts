import type { Command } from './command.js';

// Placeholder until this command's issue lands; it reports that it is not built yet.
export const traceCommand: Command = {
  name: 'trace',
  summary: '(not built yet)',
  usage: 'usage: inspector-mcp trace',
  async run(ctx) {
    ctx.stderr.write('inspector-mcp: trace is not built yet\n');
    return 1;
  },
};
