import { findById, idKey, type IdKey } from '../core/idKey.js';
import { isLossyId, type JsonRpcId } from '../core/jsonRpc.js';

/** A client request the router has not seen answered yet. */
export interface OpenRequest {
  id: JsonRpcId;
  /** The id's exact JSON text when JSON.parse cannot represent it (|id| > 2^53). */
  rawId: string | undefined;
  method: string;
  /** Forwarded upstream (false while a gate holds it). */
  inFlight: boolean;
  /** Answered (by the upstream or by us) or cancelled by the client: a gate decision that comes later does nothing. */
  done: boolean;
}

/** The id as JSON, exactly as the client wrote it when JSON.parse would round it. */
export function idJson(p: OpenRequest): string {
  return p.rawId ?? JSON.stringify(p.id);
}

/**
 * The client requests awaiting an answer, in one table keyed by one id key: strings and exact
 * numbers by value, integers beyond 2^53 by the exact value of their raw token (a bigint), so
 * `9007199254740993` and `9007199254740992` stay two requests although JSON.parse makes them equal.
 */
export class OpenRequests {
  private readonly byKey = new Map<IdKey, OpenRequest>();

  get size(): number {
    return this.byKey.size;
  }

  /** Opens a request; `rawId` is the id's JSON text, needed only when {@link isLossyId} holds. A repeated id replaces the older entry. */
  track(id: JsonRpcId, rawId: string | undefined, method: string): OpenRequest {
    const raw = isLossyId(id) ? rawId : undefined;
    const p: OpenRequest = { id, rawId: raw, method, inFlight: false, done: false };
    this.byKey.set(idKey(id, raw), p);
    return p;
  }

  untrack(p: OpenRequest): void {
    const key = idKey(p.id, p.rawId);
    if (this.byKey.get(key) === p) this.byKey.delete(key);
  }

  /**
   * The request `id` answers. An id JSON.parse rounds is matched by its raw text when there is
   * one, else (or when that misses) by the rounded value: an upstream that parsed the id with
   * JSON.parse answers with that.
   */
  find(id: unknown, rawId: string | undefined): OpenRequest | undefined {
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    return findById(this.byKey, id, rawId);
  }

  /** A snapshot: safe to answer (and so untrack) while iterating it. */
  all(): OpenRequest[] {
    return [...this.byKey.values()];
  }
}
