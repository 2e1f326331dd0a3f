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
  // serve's MCP client is gone once nobody reads its stdout: stop as when stdin closes.
  // (proxy watches its own output and records why the session ended.)
  if (command.name === 'serve') onOutputClosed = stop;
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

// A reader that goes away early (`mcpscope trace <id> | head -1`) ends the output, not the
// program with an error: stop quietly with exit code 0. `serve` is stopped (see main); `proxy`
// sees the same error through its own listener and ends the session.
let outputClosed = false;
let outputFailed = false;
let onOutputClosed: (() => void) | undefined;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    outputClosed = true;
    onOutputClosed?.();
    return;
  }
  if (process.stdout.listenerCount('error') === 1 && !outputFailed) {
    outputFailed = true;
    process.stderr.write(`mcpscope: writing to stdout: ${err.message}\n`);
  }
});

/** True for the errors a write to a closed stdout produces. */
function isClosedOutput(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return outputClosed && (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END' || code === 'ABORT_ERR');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = outputFailed && code === 0 ? 1 : code;
  },
  (err: unknown) => {
    if (isClosedOutput(err)) {
      process.exitCode = 0;
      return;
    }
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
