import type { GateDecision, GateIo, RequestGate } from '../sessions/gateTypes.js';
import { batchWithout } from './batchRouting.js';
import type { OversizeLine } from './envelopeSniffer.js';
import { OpenRequests, idJson, type OpenRequest } from './openRequests.js';
import { routeOversizeFromClient, routeOversizeFromUpstream } from './oversizeRouting.js';
import type { ProxyRecorder } from './proxyRecorder.js';
import { parseLine } from './parseLine.js';
import { RpcErrorCode, errorLine, gatedRequest, type RouterParts, type Routed } from './routerParts.js';
import { scanEnvelope } from './scanEnvelope.js';
import type { SendMeta } from './upstream.js';

export { RpcErrorCode } from './routerParts.js';

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

/**
 * Upstream lines from this size on are forwarded once their envelope is read (scanEnvelope
 * `envelope`): checking every byte in JavaScript cost more than the two pipe hops of a 100 KB
 * result (bench row `proxy: tools/call with a 100 KB result, bare vs pipe relay`). The client
 * validates what it receives, and the recorder parses the line off the forwarding path and records
 * an invalid one as malformed. Smaller upstream lines and all client lines are checked whole, so
 * the proxy still answers them -32700/-32600 itself.
 */
export const UPSTREAM_FULL_CHECK_BELOW = 16 * 1024;

/**
 * The heart of the proxy: takes framed lines from both sides, forwards each message's original
 * bytes, keeps the open client requests, records both directions, answers malformed input per
 * JSON-RPC 2.0, and applies the request gate. Each line becomes one envelope, read from its bytes
 * by scanEnvelope or, for what that leaves, by JSON.parse; one route per direction takes it from
 * there. Batches and over-long lines have their own modules.
 */
export class MessageRouter implements RouterParts {
  readonly open = new OpenRequests();
  upstreamOpen = true;
  readonly io: GateIo;
  readonly recorder: ProxyRecorder | undefined;
  readonly gate: RequestGate | undefined;
  /** Messages seen from the client and delivered to it (proxy replies included). */
  fromClientCount = 0;
  toClientCount = 0;

  constructor(private readonly options: MessageRouterOptions) {
    this.io = { notifyClient: (message) => this.writeClientMessage(message) };
    this.recorder = options.recorder;
    this.gate = options.gate;
  }

  /** Requests answered by nobody yet (held or in flight). */
  get pendingCount(): number {
    return this.open.size;
  }

  /** One line from the MCP client. */
  fromClient(framed: Buffer, end: number): void {
    this.fromClientCount++;
    const routed: Routed | undefined = scanEnvelope(framed, end) ?? parseLine(this, framed, end, 'client');
    if (routed !== undefined) this.routeFromClient(routed, framed, end);
  }

  /** One line from the upstream; `passed`: it already went to the client as it came (cutThrough.ts). */
  fromUpstream(framed: Buffer, end: number, passed = false): void {
    const routed: Routed | undefined = scanEnvelope(framed, end, end < UPSTREAM_FULL_CHECK_BELOW ? 'all' : 'envelope') ?? parseLine(this, framed, end, 'upstream');
    if (routed !== undefined) this.routeFromUpstream(routed, framed, end, passed);
  }


  /**
   * A client message: requests are opened and, unless the gate holds them, forwarded; the rest
   * forwarded as they are. Forwarding comes first: recording happens while the upstream works.
   */
  private routeFromClient(m: Routed, framed: Buffer, end: number): void {
    if (m.kind === 'request') {
      const gate = this.gate;
      const p = this.open.track(m.id!, m.idToken, m.method!);
      if (gate !== undefined && gate.passesAll?.() !== true) {
        const held = gate.admit(gatedRequest({ id: m.id, method: m.method, params: this.parse(m, framed, end).params }), this.io);
        if (held !== undefined) {
          this.record('received', m, framed, end);
          held.then(
            (decision) => this.decide([p], [decision], framed, end, m.method),
            (err: unknown) => this.decide([p], [{ action: 'reject', code: -32603, message: `request gate failed: ${String(err)}` }], framed, end, m.method),
          );
          return;
        }
      }
      this.forward(framed, end, m.method, [p]);
    } else {
      if (m.method === 'notifications/cancelled') this.clientCancelled(this.parse(m, framed, end).params);
      this.forward(framed, end, m.method, undefined);
    }
    this.record('received', m, framed, end);
  }

  /**
   * An upstream message: delivered (unless it passed already). A late answer to a request the proxy
   * answered itself or the client cancelled goes through too, as any message does: the client
   * ignores a response to an id it no longer waits on (JSON-RPC 2.0, MCP cancellation).
   */
  private routeFromUpstream(m: Routed, framed: Buffer, end: number, passed: boolean): void {
    if (m.kind === 'response') this.settle(m.id, m.idToken);
    if (passed) this.toClientCount++;
    else this.toClient(framed);
    this.record('sent', m, framed, end);
  }

  /** The parsed message (parsing it now when the scanner read it: only for the gate and cancellations). */
  private parse(m: Routed, framed: Buffer, end: number): { params?: unknown } {
    if (m.parsed === undefined) {
      const text = framed.toString('utf8', 0, end);
      m.parsed = { message: JSON.parse(text) as { params?: unknown }, text };
    }
    return m.parsed.message;
  }

  private record(direction: 'received' | 'sent', m: Routed, framed: Buffer, end: number): void {
    const recorder = this.recorder;
    if (recorder === undefined) return;
    if (m.parsed !== undefined) recorder[direction](m.parsed.message, m.parsed.text);
    else if (direction === 'received') recorder.receivedLine(framed, end, m.kind);
    else recorder.sentLine(framed, end, m.kind);
  }

  /** A line from the client over the line limit, never forwarded: see routeOversizeFromClient. */
  oversizeFromClient(line: OversizeLine): void {
    this.fromClientCount++;
    routeOversizeFromClient(this, line);
  }

  /** A line from the upstream over the line limit, never delivered: see routeOversizeFromUpstream. */
  oversizeFromUpstream(line: OversizeLine): void {
    routeOversizeFromUpstream(this, line);
  }

  /** The upstream is gone: no more forwarding; later requests are answered with an error. */
  upstreamClosed(): void {
    this.upstreamOpen = false;
  }

  /** A forwarded message could not be delivered: answers the requests it carried. */
  sendFailed(meta: SendMeta, reason: string): void {
    const list = meta.tag as OpenRequest[] | undefined;
    if (!list) return;
    for (const p of list) this.answer(p, RpcErrorCode.UPSTREAM_CLOSED, reason);
  }

  /** Answers every open request (held or in flight) with a JSON-RPC error. Returns how many. */
  failPending(code: number, message: string): number {
    const all = this.open.all();
    for (const p of all) this.answer(p, code, message);
    return all.length;
  }

  /** Answers every request still held by the gate (never forwarded) with a JSON-RPC error. Returns how many. */
  failHeld(code: number, message: string): number {
    const held = this.open.all().filter((p) => !p.inFlight && !p.done);
    for (const p of held) this.answer(p, code, message);
    return held.length;
  }

  /** Sends `notifications/cancelled` upstream for every in-flight request, then answers all open ones with -32800. */
  cancelAll(reason: string): number {
    if (this.upstreamOpen) {
      for (const p of this.open.all()) {
        if (!p.inFlight || p.done) continue;
        const text = `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${idJson(p)},"reason":${JSON.stringify(reason)}}}`;
        const framed = Buffer.from(`${text}\n`);
        this.options.sendUpstream(framed, framed.length - 1, { method: 'notifications/cancelled', expectsReply: false, tag: undefined });
      }
    }
    return this.failPending(RpcErrorCode.REQUEST_CANCELLED, `request cancelled: ${reason}`);
  }

  settle(id: unknown, idToken: string | undefined): void {
    const p = this.open.find(id, idToken);
    if (p === undefined) return;
    this.open.untrack(p);
    p.done = true;
  }

  forward(framed: Buffer, end: number, method: string | undefined, requests: OpenRequest[] | undefined): void {
    if (!this.upstreamOpen) {
      if (requests) for (const p of requests) this.answer(p, RpcErrorCode.UPSTREAM_CLOSED, 'upstream closed');
      return;
    }
    if (requests) for (const p of requests) p.inFlight = true;
    this.options.sendUpstream(framed, end, { method, expectsReply: requests !== undefined && requests.length > 0, tag: requests });
  }

  decide(list: OpenRequest[], decisions: GateDecision[], framed: Buffer, end: number, method: string | undefined, batch?: unknown[]): void {
    const live = list.filter((p) => !p.done);
    const rejected = new Set<OpenRequest>();
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
    const out = batchWithout(batch, rejected);
    if (out !== undefined) this.forward(out, out.length - 1, undefined, live.filter((p) => !rejected.has(p)));
  }

  clientCancelled(params: unknown): void {
    const requestId = (params as { requestId?: unknown } | undefined)?.requestId;
    const p = this.open.find(requestId, undefined);
    if (p === undefined) return;
    // The upstream will not answer a cancelled request; a held one is never forwarded.
    p.done = true;
    this.open.untrack(p);
  }

  answer(p: OpenRequest, code: number, message: string, data?: unknown): void {
    if (p.done) return;
    p.done = true;
    this.open.untrack(p);
    const text = errorLine(idJson(p), code, message, data);
    this.toClient(Buffer.from(`${text}\n`));
    const error = data === undefined ? { code, message } : { code, message, data };
    this.recorder?.sent({ jsonrpc: '2.0', id: p.id, error }, text);
  }

  rejectClientLine(text: string, code: number, message: string, detail: string, idJsonText: string): void {
    this.recorder?.malformed('received', text, detail);
    const reply = errorLine(idJsonText, code, message, detail);
    this.toClient(Buffer.from(`${reply}\n`));
    this.recorder?.sent(JSON.parse(reply), reply);
  }

  rejectUpstreamLine(text: string, code: number, message: string, detail: string, idJsonText: string): void {
    this.recorder?.malformed('sent', text, detail);
    this.replyUpstream(errorLine(idJsonText, code, message, detail));
  }

  replyUpstream(text: string): void {
    if (!this.upstreamOpen) return;
    const reply = Buffer.from(`${text}\n`);
    this.options.sendUpstream(reply, reply.length - 1, { method: undefined, expectsReply: false, tag: undefined });
  }

  private writeClientMessage(message: { jsonrpc: '2.0'; method: string; params?: unknown }): void {
    const text = JSON.stringify(message);
    this.toClient(Buffer.from(`${text}\n`));
    this.recorder?.sent(message, text);
  }

  toClient(framed: Buffer): void {
    this.toClientCount++;
    this.options.writeClient(framed);
  }
}

