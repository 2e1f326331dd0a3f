import type { Command } from './command.js';

// Placeholder until this command's issue lands; it reports that it is not built yet.
export const sessionsCommand: Command = {
  name: 'sessions',
  summary: '(not built yet)',
  usage: 'usage: inspector-mcp sessions',
  async run(ctx) {
    ctx.stderr.write('inspector-mcp: sessions is not built yet\n');
    return 1;
  },
};
