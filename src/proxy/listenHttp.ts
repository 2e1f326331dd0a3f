import type { IncomingMessage, ServerResponse } from 'node:http';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { InspectorError } from '../core/errors.js';

/**
 * The SDK transport refuses an `MCP-Protocol-Version` it does not know, even one the upstream
 * accepted in `initialize` (a newer client and server). Such a header, when it is the version
 * this session negotiated, is presented to the transport as its latest version; the header
 * travels no further (the upstream sees only JSON-RPC), so nothing else changes.
 */
export function acceptNegotiatedVersion(req: IncomingMessage, negotiated: string | undefined): void {
  const given = req.headers['mcp-protocol-version'];
  if (negotiated === undefined || given !== negotiated || SUPPORTED_PROTOCOL_VERSIONS.includes(given)) return;
  req.headers['mcp-protocol-version'] = LATEST_PROTOCOL_VERSION;
  // The SDK builds its Request from rawHeaders.
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === 'mcp-protocol-version') req.rawHeaders[i + 1] = LATEST_PROTOCOL_VERSION;
  }
}

/** Reads the body as UTF-8; throws INVALID_ARGUMENT past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new InspectorError('INVALID_ARGUMENT', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers with a JSON-RPC error body (id null). */
export function reply(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
