import type { GateDecision, GateIo, GatedRequest, RequestGate } from '../sessions/gateTypes.js';
import { classifyMessage, detectableId, invalidReason, isLossyId, type JsonRpcId } from './classifyMessage.js';
import type { ProxyRecorder } from './proxyRecorder.js';
import { rawIdToken } from '../core/rawIdToken.js';
import type { OversizeLine } from './envelopeSniffer.js';
import { scanEnvelope, type Envelope } from './scanEnvelope.js';
import type { SendMeta } from './upstream.js';

/** JSON-RPC error codes the proxy answers with. */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  /** The upstream closed or could not be reached (the MCP SDK's ConnectionClosed). */
  UPSTREAM_CLOSED: -32000,
  REQUEST_CANCELLED: -32800,
  INTERNAL_ERROR: -32603,
} as const;

/** A client request the router has not seen answered yet. */
interface Pending {
  id: JsonRpcId;
  /** The id's exact JSON text when JSON.parse could not represent it (|id| > 2^53). */
  rawId: string | undefined;
  method: string;
  /** Forwarded upstream (false while a gate holds it). */
  inFlight: boolean;
  /** Answered by us or cancelled by the client: drop whatever comes for it later. */
  done: boolean;
}

export interface MessageRouterOptions {
  /** Writes one framed message (with its `\n`) to the MCP client. */
  writeClient(framed: Buffer): void;
  /** Forwards one framed message to the upstream. */
  sendUpstream(framed: Buffer, end: number, meta: SendMeta): void;
  /** Undefined: no recording (and no recording cost). */
  recorder?: ProxyRecorder;
  /** Undefined: every request is forwarded at once. */
  gate?: RequestGate;
}

const NL = Buffer.from('\n');

/**
 * The heart of the proxy: takes framed lines from both sides, forwards each message's
 * original bytes, keeps pending client requests (keyed by id; ids above 2^53 by their raw
 * text), records both directions, answers malformed input per JSON-RPC 2.0, and applies the
 * request gate. Each line's envelope is read from its bytes (scanEnvelope); only what that
 * fast path leaves (batches, anything invalid or unusual, requests a gate may hold) is decoded
 * and parsed here, and the recorder parses the rest off the forwarding path.
 */
export class MessageRouter {
  private readonly pending = new Map<JsonRpcId, Pending>();
  /** Requests whose numeric id is not exact after JSON.parse, keyed by the id's raw text. */
  private readonly pendingLossy = new Map<string, Pending>();
  private upstreamOpen = true;
  private readonly io: GateIo;
  /** Messages seen from the client and delivered to it (proxy replies included). */
  fromClientCount = 0;
  toClientCount = 0;

  constructor(private readonly options: MessageRouterOptions) {
    this.io = { notifyClient: (message) => this.writeClientMessage(message) };
  }

  /** Requests answered by nobody yet (held or in flight). */
  get pendingCount(): number {
    return this.pending.size + this.pendingLossy.size;
  }

  /** One line from the MCP client. */
  fromClient(framed: Buffer, end: number): void {
    this.fromClientCount++;
    const envelope = scanEnvelope(framed, end);
    if (envelope === undefined || !this.fastFromClient(envelope, framed, end)) this.parsedFromClient(framed, end);
  }

  /**
   * The fast path for a line scanEnvelope read (nearly all traffic): forwards it without
   * decoding or parsing it; the recorder parses it later. Returns false when the message needs
   * its parsed form (a gate that may hold it, a cancellation), for parsedFromClient.
   */
  private fastFromClient(envelope: Envelope, framed: Buffer, end: number): boolean {
    const { kind, method } = envelope;
    if (kind === 'request') {
      const gate = this.options.gate;
      if (gate !== undefined && gate.passesAll?.() !== true) return false;
      this.forward(framed, end, method, [this.track(envelope.id!, method!, undefined)]);
    } else {
      if (method === 'notifications/cancelled') return false;
      this.forward(framed, end, method, undefined);
    }
    this.options.recorder?.receivedLine(framed, end, kind);
    return true;
  }

  /** One line from the MCP client that the fast path left to JSON.parse. */
  private parsedFromClient(framed: Buffer, end: number): void {
    const text = framed.toString('utf8', 0, end);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.rejectClientLine(text, RpcErrorCode.PARSE_ERROR, 'Parse error', `parse error: ${(err as Error).message}`, 'null');
      return;
    }
    if (Array.isArray(msg)) {
      this.clientBatch(msg, framed, end, text);
      return;
    }
    const kind = classifyMessage(msg);
    const recorder = this.options.recorder;
    if (kind === 'invalid') {
      const id = detectableId(msg);
      const idJson = isLossyId(id) ? (rawIdToken(text) ?? 'null') : JSON.stringify(id);
      this.rejectClientLine(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', `invalid request: ${invalidReason(msg)}`, idJson);
      return;
    }
    const m = msg as { id?: JsonRpcId; method?: string; params?: unknown };
    if (kind === 'request') {
      const p = this.track(m.id!, m.method!, text);
      const gate = this.options.gate;
      if (gate !== undefined) {
        const held = gate.admit(gatedRequest(m), this.io);
        if (held !== undefined) {
          recorder?.received(msg, text);
          held.then(
            (decision) => this.decide([p], [decision], framed, end, m.method),
            (err: unknown) => this.decide([p], [{ action: 'reject', code: -32603, message: `request gate failed: ${String(err)}` }], framed, end, m.method),
          );
          return;
        }
      }
      // Forward first: recording happens while the upstream works, off the latency path.
      this.forward(framed, end, m.method, [p]);
      recorder?.received(msg, text);
      return;
    }
    if (kind === 'notification' && m.method === 'notifications/cancelled') this.clientCancelled(m.params);
    this.forward(framed, end, m.method, undefined);
    recorder?.received(msg, text);
  }

  /** One line from the upstream. */
  fromUpstream(framed: Buffer, end: number): void {
    const envelope = scanEnvelope(framed, end);
    if (envelope === undefined) {
      this.parsedFromUpstream(framed, end);
      return;
    }
    if (envelope.kind === 'response' && this.settle(envelope.id, undefined) === 'dropped') return;
    this.toClient(framed);
    this.options.recorder?.sentLine(framed, end, envelope.kind);
  }

  /** One line from the upstream that the fast path left to JSON.parse. */
  private parsedFromUpstream(framed: Buffer, end: number): void {
    const text = framed.toString('utf8', 0, end);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.rejectUpstreamLine(text, RpcErrorCode.PARSE_ERROR, 'Parse error', `parse error: ${(err as Error).message}`, 'null');
      return;
    }
    const recorder = this.options.recorder;
    if (Array.isArray(msg)) {
      if (msg.length === 0) {
        this.rejectUpstreamLine(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', 'invalid request: empty batch', 'null');
        return;
      }
      for (const item of msg) if (classifyMessage(item) === 'response') this.settle((item as { id: unknown }).id, undefined);
      this.toClient(framed);
      recorder?.sent(msg, text);
      return;
    }
    const kind = classifyMessage(msg);
    if (kind === 'invalid') {
      const id = detectableId(msg);
      const idJson = isLossyId(id) ? (rawIdToken(text) ?? 'null') : JSON.stringify(id);
      this.rejectUpstreamLine(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', `invalid message from upstream: ${invalidReason(msg)}`, idJson);
      return;
    }
    if (kind === 'response' && this.settle((msg as { id: unknown }).id, text) === 'dropped') return;
    this.toClient(framed);
    recorder?.sent(msg, text);
  }

  /**
   * A line from the client over the line limit, never forwarded. A request is answered with
   * -32600 "Request too large" for its id and recorded as one ERROR span under its method; a
   * response the client gave is answered upstream in its place; a notification is only recorded;
   * a line whose id cannot be read is answered -32700 with id null.
   */
  oversizeFromClient(line: OversizeLine): void {
    this.fromClientCount++;
    const { idText, method, response } = line.envelope;
    const detail = oversizeDetail(line);
    const preview = `${line.head}…`;
    const recorder = this.options.recorder;
    if (response) {
      recorder?.malformed('received', preview, `response too large: ${detail}`);
      if (idText !== undefined && this.upstreamOpen) {
        const reply = Buffer.from(`{"jsonrpc":"2.0","id":${idText},"error":${JSON.stringify({ code: RpcErrorCode.INTERNAL_ERROR, message: 'Response too large', data: detail })}}\n`);
        this.options.sendUpstream(reply, reply.length - 1, { method: undefined, expectsReply: false, tag: undefined });
      }
      return;
    }
    if (idText === undefined) {
      if (method !== undefined) recorder?.malformed('received', preview, `notification too large: ${detail}`);
      else this.rejectClientLine(preview, RpcErrorCode.PARSE_ERROR, 'Parse error', detail, 'null');
      return;
    }
    if (method === undefined) {
      this.rejectClientLine(preview, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', detail, idText);
      return;
    }
    // Recorded as the call it was (its start as the request text), ended by our answer.
    recorder?.received({ jsonrpc: '2.0', id: JSON.parse(idText) as JsonRpcId, method }, preview);
    const text = `{"jsonrpc":"2.0","id":${idText},"error":${JSON.stringify({ code: RpcErrorCode.INVALID_REQUEST, message: 'Request too large', data: detail })}}`;
    this.toClient(Buffer.from(`${text}\n`));
    recorder?.sent(JSON.parse(text), text);
  }

  /**
   * A line from the upstream over the line limit, never delivered. A response ends its request
   * with -32603 "Response too large" (the client stops waiting); a request is answered upstream
   * with -32600; anything else is recorded (and answered -32700 upstream when its id is unreadable).
   */
  oversizeFromUpstream(line: OversizeLine): void {
    const { idText, method, response } = line.envelope;
    const detail = oversizeDetail(line);
    const preview = `${line.head}…`;
    if (response && idText !== undefined) {
      const p = this.findPending(JSON.parse(idText), idText);
      if (p !== undefined && !p.done) {
        this.answer(p, RpcErrorCode.INTERNAL_ERROR, 'Response too large', detail);
        return;
      }
    }
    if (method !== undefined && idText !== undefined) {
      this.rejectUpstreamLine(preview, RpcErrorCode.INVALID_REQUEST, 'Request too large', detail, idText);
      return;
    }
    if (response || method !== undefined) this.options.recorder?.malformed('sent', preview, detail);
    else this.rejectUpstreamLine(preview, RpcErrorCode.PARSE_ERROR, 'Parse error', detail, 'null');
  }

  /** The upstream is gone: no more forwarding; later requests are answered with an error. */
  upstreamClosed(): void {
    this.upstreamOpen = false;
  }

  /** A forwarded message could not be delivered: answers the requests it carried. */
  sendFailed(meta: SendMeta, reason: string): void {
    const list = meta.tag as Pending[] | undefined;
    if (!list) return;
    for (const p of list) this.answer(p, RpcErrorCode.UPSTREAM_CLOSED, reason);
  }

  /** Answers every pending request (held or in flight) with a JSON-RPC error. Returns how many. */
  failPending(code: number, message: string): number {
    const all = [...this.pending.values(), ...this.pendingLossy.values()];
    for (const p of all) this.answer(p, code, message);
    return all.length;
  }

  /** Answers every request still held by the gate (never forwarded) with a JSON-RPC error. Returns how many. */
  failHeld(code: number, message: string): number {
    const held = [...this.pending.values(), ...this.pendingLossy.values()].filter((p) => !p.inFlight && !p.done);
    for (const p of held) this.answer(p, code, message);
    return held.length;
  }

  /** Sends `notifications/cancelled` upstream for every in-flight request, then answers all pending with -32800. */
  cancelAll(reason: string): number {
    if (this.upstreamOpen) {
      for (const p of [...this.pending.values(), ...this.pendingLossy.values()]) {
        if (!p.inFlight || p.done) continue;
        const text = `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${idJson(p)},"reason":${JSON.stringify(reason)}}}`;
        const framed = Buffer.from(`${text}\n`);
        this.options.sendUpstream(framed, framed.length - 1, { method: 'notifications/cancelled', expectsReply: false, tag: undefined });
      }
    }
    return this.failPending(RpcErrorCode.REQUEST_CANCELLED, `request cancelled: ${reason}`);
  }

  /** `text` is needed only for an id JSON.parse rounded (never on the fast path). */
  private track(id: JsonRpcId, method: string, text: string | undefined): Pending {
    const rawId = text !== undefined && isLossyId(id) ? rawIdToken(text) : undefined;
    const p: Pending = { id, rawId, method, inFlight: false, done: false };
    if (rawId !== undefined) this.pendingLossy.set(rawId, p);
    else this.pending.set(id, p);
    return p;
  }

  private untrack(p: Pending): void {
    if (p.rawId !== undefined) this.pendingLossy.delete(p.rawId);
    else if (this.pending.get(p.id) === p) this.pending.delete(p.id);
  }

  /**
   * Matches a response to its pending request. Lossy ids match by raw text first, then by
   * the rounded value (an upstream that parsed the id with JSON.parse answers with that).
   * Returns 'dropped' for answers to requests we already answered ourselves.
   */
  private settle(id: unknown, text: string | undefined): 'ok' | 'dropped' {
    const p = this.findPending(id, isLossyId(id) && text !== undefined ? rawIdToken(text) : undefined);
    if (p !== undefined) {
      this.untrack(p);
      if (p.done) return 'dropped';
      p.done = true;
    }
    return 'ok';
  }

  /** The pending request `id` answers: by `idText` (the id's JSON text) first for ids JSON.parse rounds, then by value. */
  private findPending(id: unknown, idText: string | undefined): Pending | undefined {
    if (isLossyId(id)) {
      const p = idText === undefined ? undefined : this.pendingLossy.get(idText);
      if (p !== undefined) return p;
      for (const q of this.pendingLossy.values()) if (q.id === id) return q;
      return undefined;
    }
    return typeof id === 'string' || typeof id === 'number' ? this.pending.get(id) : undefined;
  }

  /** Forwards one message upstream; `requests` are the pending requests it carries (answered if it cannot go). */
  private forward(framed: Buffer, end: number, method: string | undefined, requests: Pending[] | undefined): void {
    if (!this.upstreamOpen) {
      if (requests) for (const p of requests) this.answer(p, RpcErrorCode.UPSTREAM_CLOSED, 'upstream closed');
      return;
    }
    if (requests) for (const p of requests) p.inFlight = true;
    this.options.sendUpstream(framed, end, { method, expectsReply: requests !== undefined && requests.length > 0, tag: requests });
  }

  /** Applies gate decisions for the requests of one message (a single request or a batch). */
  private decide(list: Pending[], decisions: GateDecision[], framed: Buffer, end: number, method: string | undefined, batch?: unknown[]): void {
    const live = list.filter((p) => !p.done);
    const rejected = new Set<Pending>();
    list.forEach((p, i) => {
      const d = decisions[i]!;
      if (d.action === 'reject' && !p.done) {
        rejected.add(p);
        this.answer(p, d.code, d.message, d.data);
      }
    });
    if (batch === undefined) {
      if (live.length === 1 && !rejected.has(live[0]!)) this.forward(framed, end, method, live);
      return;
    }
    if (rejected.size === 0) {
      this.forward(framed, end, undefined, live);
      return;
    }
    // Rare: part of a batch rejected. Forward the rest re-serialised (ids above 2^53 lose precision here).
    const rejectedIds = new Set([...rejected].map((p) => p.id));
    const rest = batch.filter((item) => !(classifyMessage(item) === 'request' && rejectedIds.has((item as { id: JsonRpcId }).id)));
    if (rest.length === 0) return;
    const out = Buffer.from(`${JSON.stringify(rest)}\n`);
    this.forward(out, out.length - 1, undefined, live.filter((p) => !rejected.has(p)));
  }

  private clientBatch(batch: unknown[], framed: Buffer, end: number, text: string): void {
    if (batch.length === 0) {
      this.rejectClientLine(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', 'invalid request: empty batch', 'null');
      return;
    }
    const recorder = this.options.recorder;
    const tracked: Pending[] = [];
    const held: Array<Promise<GateDecision> | undefined> = [];
    const gate = this.options.gate;
    for (const item of batch) {
      const kind = classifyMessage(item);
      const m = item as { id?: JsonRpcId; method?: string; params?: unknown };
      if (kind === 'request') {
        // Batch elements are keyed by their parsed id (no raw text per element).
        const p: Pending = { id: m.id!, rawId: undefined, method: m.method!, inFlight: false, done: false };
        this.pending.set(p.id, p);
        tracked.push(p);
        held.push(gate?.admit(gatedRequest(m), this.io));
      } else if (kind === 'notification' && m.method === 'notifications/cancelled') {
        this.clientCancelled(m.params);
      }
    }
    recorder?.received(batch, text);
    if (held.every((h) => h === undefined)) {
      this.forward(framed, end, undefined, tracked);
      return;
    }
    void Promise.all(held.map((h) => h ?? Promise.resolve<GateDecision>({ action: 'forward' }))).then((decisions) =>
      this.decide(tracked, decisions, framed, end, undefined, batch),
    );
  }

  private clientCancelled(params: unknown): void {
    const requestId = (params as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const p = isLossyId(requestId) ? [...this.pendingLossy.values()].find((q) => q.id === requestId) : this.pending.get(requestId);
    if (p === undefined) return;
    // The upstream will not answer a cancelled request; a held one is never forwarded.
    p.done = true;
    this.untrack(p);
  }

  /** Answers one pending request with an error from the proxy (recorded as sent). */
  private answer(p: Pending, code: number, message: string, data?: unknown): void {
    if (p.done) return;
    p.done = true;
    this.untrack(p);
    const error = data === undefined ? { code, message } : { code, message, data };
    const text = `{"jsonrpc":"2.0","id":${idJson(p)},"error":${JSON.stringify(error)}}`;
    this.toClient(Buffer.from(`${text}\n`));
    this.options.recorder?.sent({ jsonrpc: '2.0', id: p.id, error }, text);
  }

  private rejectClientLine(text: string, code: number, message: string, detail: string, idJsonText: string): void {
    const recorder = this.options.recorder;
    recorder?.malformed('received', text, detail);
    const reply = `{"jsonrpc":"2.0","id":${idJsonText},"error":${JSON.stringify({ code, message, data: detail })}}`;
    this.toClient(Buffer.from(`${reply}\n`));
    recorder?.sent(JSON.parse(reply), reply);
  }

  private rejectUpstreamLine(text: string, code: number, message: string, detail: string, idJsonText: string): void {
    this.options.recorder?.malformed('sent', text, detail);
    if (!this.upstreamOpen) return;
    const reply = Buffer.from(`{"jsonrpc":"2.0","id":${idJsonText},"error":${JSON.stringify({ code, message, data: detail })}}\n`);
    this.options.sendUpstream(reply, reply.length - 1, { method: undefined, expectsReply: false, tag: undefined });
  }

  private writeClientMessage(message: { jsonrpc: '2.0'; method: string; params?: unknown }): void {
    const text = JSON.stringify(message);
    this.toClient(Buffer.concat([Buffer.from(text), NL]));
    this.options.recorder?.sent(message, text);
  }

  private toClient(framed: Buffer): void {
    this.toClientCount++;
    this.options.writeClient(framed);
  }
}

function oversizeDetail(line: OversizeLine): string {
  return `line of ${line.bytes} bytes is over the proxy's limit of ${line.limit} bytes (mcpscope proxy --max-line-bytes)`;
}

function idJson(p: Pending): string {
  return p.rawId ?? JSON.stringify(p.id);
}

function gatedRequest(m: { id?: JsonRpcId; method?: string; params?: unknown }): GatedRequest {
  const token = (m.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken;
  const req: GatedRequest = { id: m.id!, method: m.method! };
  if (m.params !== undefined) req.params = m.params;
  if (typeof token === 'string' || typeof token === 'number') req.progressToken = token;
  return req;
}
