import type { MessageKind } from '../core/jsonRpc.js';

/**
 * What the proxy needs from a recorder: the shape of `RpcRecorder` from
 * src/instrumentation/rpcRecorder.ts, stated here so the router can be driven by any
 * implementation. Everything is from the client-facing side's point of view:
 * `received` = from the MCP client, `sent` = delivered to the MCP client.
 * Implementations must never throw.
 */
export interface ProxyRecorder {
  received(message: unknown, raw?: string): void;
  sent(message: unknown, raw?: string): void;
  /**
   * A message forwarded without being parsed: its original line (`line[0, end)`, which
   * scanEnvelope found to be valid JSON-RPC of `kind`). The recorder parses it when it records,
   * off the forwarding path. The bytes must not change afterwards.
   */
  receivedLine(line: Buffer, end: number, kind: MessageKind): void;
  sentLine(line: Buffer, end: number, kind: MessageKind): void;
  malformed(direction: 'received' | 'sent', raw: string, error: string): void;
  /** Ends requests still open as ERROR. */
  close(reason?: string): unknown;
  stats(): { requests: number; toolCalls: number; errors: number; spans: number };
}
