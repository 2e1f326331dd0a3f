import type { Command } from './command.js';

// Placeholder until this command's issue lands; it reports that it is not built yet.
export const serveCommand: Command = {
  name: 'serve',
  summary: '(not built yet)',
  usage: 'usage: inspector-mcp serve',
  async run(ctx) {
    ctx.stderr.write('inspector-mcp: serve is not built yet\n');
    return 1;
  },
};
