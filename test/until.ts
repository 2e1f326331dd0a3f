/**
 * Polls `check` (every `everyMs`, default 10) until it returns something other than undefined or
 * false, and returns that; throws naming `what` after `timeoutMs` (default 10 s). The bounded
 * replacement for a fixed sleep: it waits for the state the test needs, never for a guess of time.
 */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 10));
  }
}
