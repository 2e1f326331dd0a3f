import { setImmediate as nextTurn } from 'node:timers/promises';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type RequestId = string | number;

/** The part of a Node `ServerResponse` that carries a client's SSE stream. */
export interface Outlet {
  readonly statusCode: number;
  readonly destroyed: boolean;
  readonly writableNeedDrain: boolean;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
}

/**
 * The HTTP responses of one `proxy --listen` client session that messages for the client take:
 * each client request's POST response, and the GET (standalone SSE) stream. It lets the session
 * forward the upstream's messages only as fast as the client reads them: the SDK transport queues
 * what it is given without limit, so the proxy waits while the response a message went to holds
 * more than its high-water mark unsent, and (the session's client output then filling) stops
 * reading the upstream, as the stdio proxy does.
 */
export class ClientOutlets {
  private readonly byRequest = new Map<RequestId, Outlet>();
  private readonly gets = new Set<Outlet>();

  /** A POST body about to be handled: its requests are answered on `res` until it closes. */
  posted(body: unknown, res: Outlet): void {
    for (const m of Array.isArray(body) ? body : [body]) {
      const shape = m as { id?: unknown; method?: unknown } | null;
      if (!shape || typeof shape.method !== 'string' || (typeof shape.id !== 'string' && typeof shape.id !== 'number')) continue;
      const id = shape.id;
      this.byRequest.set(id, res);
      res.once('close', () => {
        if (this.byRequest.get(id) === res) this.byRequest.delete(id);
      });
    }
  }

  /** A GET request about to be handled: when the transport accepts it (200), it is the standalone stream. */
  opened(res: Outlet): void {
    this.gets.add(res);
    res.once('close', () => this.gets.delete(res));
  }

  /** The response `message` will be written to: its request's (a response, or `related`), else the GET stream. */
  target(message: JSONRPCMessage, related: RequestId | undefined): Outlet | undefined {
    const m = message as { id?: unknown; method?: unknown };
    const id = m.method === undefined && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : related;
    if (id !== undefined) return this.byRequest.get(id);
    for (const res of this.gets) if (res.statusCode === 200) return res;
    return undefined;
  }

  /**
   * Resolves once `outlet` can take more: at once unless it is still open and over its
   * high-water mark (checked on the next turn, after the transport moved the message on), else
   * at its 'drain' or 'close'. `stalled` is called when it has to wait.
   */
  async writable(outlet: Outlet | undefined, stalled: () => void): Promise<void> {
    if (outlet === undefined) return;
    await nextTurn();
    if (outlet.destroyed || !outlet.writableNeedDrain) return;
    stalled();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        outlet.off('drain', done);
        outlet.off('close', done);
        resolve();
      };
      outlet.once('drain', done);
      outlet.once('close', done);
    });
  }
}
