import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type RequestId = string | number;

/**
 * Decides, for one client session of `proxy --listen`, which client request a message from the
 * upstream belongs to, so it goes on that request's POST stream (the SDK transport's
 * `relatedRequestId`) instead of the optional GET stream a client may never open.
 */
export interface RelatedRouter {
  /** A POST body about to be handled; its requests' stream is open until `res` closes. */
  posted(body: unknown, res: { once(event: 'close', listener: () => void): unknown }): void;
  /** A message from the client, as the transport parsed it (watches progress tokens and `initialize`). */
  fromClient(message: JSONRPCMessage): void;
  /** A message for the client: the id of the open request it belongs to, or undefined (GET stream). */
  toClient(message: JSONRPCMessage): RequestId | undefined;
  /** The protocol version in the upstream's `initialize` result, once it passed. */
  readonly protocolVersion: string | undefined;
}

interface Shape {
  id?: RequestId | null;
  method?: unknown;
  params?: { progressToken?: RequestId; _meta?: { progressToken?: RequestId } };
  result?: { protocolVersion?: unknown };
}

/**
 * Creates the router. The upstream speaks plain JSON-RPC and does not say which request a
 * message serves, so: a progress notification belongs to the request that sent its
 * `progressToken`; any other request or notification belongs to the client request in flight
 * when exactly one POST stream is open (a server sends logs, sampling and elicitation requests
 * while it works on a request); otherwise nothing is related and the message takes the GET
 * stream. A relation is only given while that request's stream is open and unanswered.
 */
export function createRelatedRouter(): RelatedRouter {
  /** Unanswered client requests whose POST stream is open, with that stream's number. */
  const streamOf = new Map<RequestId, number>();
  const progressOwner = new Map<RequestId, RequestId>();
  let streams = 0;
  let initializeId: RequestId | undefined;
  let protocolVersion: string | undefined;

  const requestIds = (body: unknown): RequestId[] => {
    const ids: RequestId[] = [];
    for (const m of Array.isArray(body) ? body : [body]) {
      const shape = m as Shape | null;
      if (shape && typeof shape.method === 'string' && (typeof shape.id === 'string' || typeof shape.id === 'number')) ids.push(shape.id);
    }
    return ids;
  };

  return {
    posted(body, res) {
      const ids = requestIds(body);
      if (ids.length === 0) return;
      const stream = ++streams;
      for (const id of ids) streamOf.set(id, stream);
      res.once('close', () => {
        for (const id of ids) if (streamOf.get(id) === stream) streamOf.delete(id);
      });
    },
    fromClient(message) {
      const m = message as Shape;
      if (typeof m.method !== 'string' || m.id === undefined || m.id === null) return;
      if (m.method === 'initialize') initializeId = m.id;
      const token = m.params?._meta?.progressToken;
      if (token !== undefined) progressOwner.set(token, m.id);
    },
    toClient(message) {
      const m = message as Shape;
      if (m.method === undefined) {
        if (m.id === undefined || m.id === null) return undefined;
        streamOf.delete(m.id);
        for (const [token, owner] of progressOwner) if (owner === m.id) progressOwner.delete(token);
        if (m.id === initializeId && typeof m.result?.protocolVersion === 'string') protocolVersion = m.result.protocolVersion;
        return undefined;
      }
      if (m.method === 'notifications/progress') {
        const token = m.params?.progressToken;
        const owner = token === undefined ? undefined : progressOwner.get(token);
        if (owner !== undefined) return streamOf.has(owner) ? owner : undefined;
      }
      let only: RequestId | undefined;
      let stream: number | undefined;
      for (const [id, s] of streamOf) {
        if (stream === undefined) {
          stream = s;
          only = id;
        } else if (s !== stream) return undefined;
      }
      return only;
    },
    get protocolVersion() {
      return protocolVersion;
    },
  };
}
