#!/usr/bin/env node
import { InspectorError } from './core/errors.js';
import { packageInfo } from './core/version.js';
import { UsageError, type Command, type CommandContext } from './commands/command.js';

const commands: Record<string, () => Promise<Command>> = {
  sessions: async () => (await import('./commands/sessionsCommand.js')).sessionsCommand,
  trace: async () => (await import('./commands/traceCommand.js')).traceCommand,
  proxy: async () => (await import('./commands/proxyCommand.js')).proxyCommand,
  serve: async () => (await import('./commands/serveCommand.js')).serveCommand,
};

async function usage(): Promise<string> {
  const lines = [`usage: mcpscope <command> [options]`, '', 'commands:'];
  for (const load of Object.values(commands)) {
    const cmd = await load();
    lines.push(`  ${cmd.name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push('', 'options: --help, --version', "run 'mcpscope <command> --help' for a command's options");
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${await usage()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${packageInfo().version}\n`);
    return 0;
  }
  const load = commands[first];
  if (!load) throw new UsageError(`unknown command ${JSON.stringify(first)} (try --help)`);
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    // Only before `--`: after it the arguments belong to the proxied command.
    const dashdash = rest.indexOf('--');
    const help = rest.findIndex((a) => a === '--help' || a === '-h');
    if (dashdash === -1 || help < dashdash) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // A closed terminal: end as on Ctrl-C (a proxy's upstream, in its own session, gets no SIGHUP).
  process.once('SIGHUP', stop);
  const ctx: CommandContext = {
    argv: rest,
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: abort.signal,
  };
  return command.run(ctx);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof InspectorError && (err.code === 'INVALID_ARGUMENT' || err.code === 'INVALID_SESSION_ID'))) {
      process.stderr.write(`mcpscope: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof InspectorError) {
      process.stderr.write(`mcpscope: ${err.message}\n`);
      process.exitCode = err.code === 'SESSION_NOT_FOUND' ? 3 : 1;
      return;
    }
    process.stderr.write(`mcpscope: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
