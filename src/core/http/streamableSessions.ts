/** What the table keeps of a session's use: its HTTP requests still open, and when the last one ended. */
export interface SessionActivity {
  active: number;
  lastSeen: number;
}

export interface StreamableSessionsOptions<T> {
  /** A session with no open request for this long goes to `onIdle`; 0 never. */
  idleMs: number;
  /** Sessions at once, those being opened included. */
  maxSessions: number;
  /** Ends an idle session (and removes it, at once or when it has closed). Called once per idle spell. */
  onIdle(session: T, id: string): void;
}

/**
 * The Streamable HTTP session table of an MCP endpoint served over HTTP (the gateway's `/mcp`,
 * `proxy --listen`): sessions by `Mcp-Session-Id`, a cap counting sessions still being opened,
 * open requests per session (a GET stream counts), and an idle sweep.
 */
export class StreamableSessions<T extends SessionActivity> {
  private readonly byId = new Map<string, T>();
  private opening = 0;
  private readonly sweep: NodeJS.Timeout | undefined;

  constructor(private readonly o: StreamableSessionsOptions<T>) {
    this.sweep = o.idleMs > 0 ? setInterval(() => this.closeIdle(), Math.max(10, Math.min(o.idleMs / 2, 60_000))) : undefined;
    this.sweep?.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  set(id: string, session: T): void {
    this.byId.set(id, session);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  values(): T[] {
    return [...this.byId.values()];
  }

  /**
   * Reserves a place for a session being opened: undefined when the table is full, else the
   * release to call once the session is in the table or failed to open (idempotent).
   */
  reserve(): (() => void) | undefined {
    if (this.byId.size + this.opening >= this.o.maxSessions) return undefined;
    this.opening++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.opening--;
    };
  }

  /** Counts `res` as an open request of `session` until it closes. */
  hold(session: T, res: { once(event: 'close', listener: () => void): unknown }): void {
    session.active++;
    session.lastSeen = Date.now();
    res.once('close', () => {
      session.active--;
      session.lastSeen = Date.now();
    });
  }

  /** Stops the idle sweep; the sessions are the owner's to close. Idempotent. */
  stop(): void {
    if (this.sweep) clearInterval(this.sweep);
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [id, session] of this.byId) {
      if (session.active > 0 || now - session.lastSeen < this.o.idleMs) continue;
      // Pushed into the future first, so a slow close is not started again by the next sweep.
      session.lastSeen = Number.POSITIVE_INFINITY;
      this.o.onIdle(session, id);
    }
  }
}
