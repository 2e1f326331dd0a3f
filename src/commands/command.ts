import type { Readable, Writable } from 'node:stream';

/** What a command receives instead of touching `process` (only cli.ts does that). */
export interface CommandContext {
  argv: string[];
  env: Record<string, string | undefined>;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Aborted when the process is asked to stop (SIGINT, SIGTERM, or stdin closing for stdio servers). */
  signal: AbortSignal;
}

/** A sub-command of `mcpscope`. `run` resolves to the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(ctx: CommandContext): Promise<number>;
}

/** Thrown for bad command-line input: cli.ts prints the message on one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
