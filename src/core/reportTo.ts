/**
 * A reporter that hands errors to `onError` and swallows them, including what `onError` itself
 * throws: code that observes traffic must never throw into it, and a handler that throws has
 * nowhere left to report to. Without `onError` errors are dropped.
 */
export function reportTo(onError: ((err: unknown) => void) | undefined): (err: unknown) => void {
  return (err) => {
    try {
      onError?.(err);
    } catch {
      // nowhere left to report
    }
  };
}
