/**
 * A set of listeners that are told in turn; one that throws is reported to `onError` and the
 * rest are still told. Listeners added or removed while it emits take effect from the next emit.
 */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  constructor(private readonly onError: (err: unknown) => void) {}

  get size(): number {
    return this.set.size;
  }

  /** Adds `listener`; returns its removal (idempotent). */
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  delete(listener: (value: T) => void): void {
    this.set.delete(listener);
  }

  clear(): void {
    this.set.clear();
  }

  emit(value: T): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
