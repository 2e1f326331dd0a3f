import { UsageError } from './command.js';

/**
 * Runs a `util.parseArgs` call (strict mode) and turns its errors into one-line
 * UsageErrors (exit code 2) that name the command:
 * `withUsageErrors('trace', () => parseArgs({ args, options, strict: true }))`.
 */
export function withUsageErrors<R>(command: string, parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new UsageError(`${command}: ${message.replace(/\. To specify a positional argument.*$/, '')}`);
  }
}
