import type { Command } from './command.js';

// Placeholder until this command's issue lands; it reports that it is not built yet.
export const proxyCommand: Command = {
  name: 'proxy',
  summary: '(not built yet)',
  usage: 'usage: inspector-mcp proxy',
  async run(ctx) {
    ctx.stderr.write('inspector-mcp: proxy is not built yet\n');
    return 1;
  },
};
