import type { IncomingMessage, ServerResponse } from 'node:http';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { replyJsonRpcError as reply } from '../core/http/jsonRpcReply.js';
import { readBodyBytes } from '../core/http/readBody.js';

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

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Reads a JSON body of at most 4 MB; on failure answers the request (413, or -32700 Parse error) and resolves undefined. */
export async function readJson(req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | undefined> {
  const bytes = await readBodyBytes(req, MAX_BODY_BYTES);
  if (bytes === undefined) {
    reply(res, 413, -32000, 'request body too large');
    return undefined;
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    reply(res, 400, -32700, 'Parse error');
    return undefined;
  }
}
