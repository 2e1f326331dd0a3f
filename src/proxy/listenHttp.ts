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

/**
 * Reads a JSON body (one message or a batch) that fits a line of `maxLineBytes` (the line's
 * newline counted, as on stdio: at most `maxLineBytes - 1` bytes). On failure it answers the
 * request and resolves undefined: too large (declared or as it arrives) 413 with a JSON-RPC
 * error naming the limit and `Connection: close` (the rest is not read); not JSON 400 -32700.
 */
export async function readJson(req: IncomingMessage, res: ServerResponse, maxLineBytes: number): Promise<{ value: unknown } | undefined> {
  const limit = maxLineBytes - 1;
  const declared = Number(req.headers['content-length']);
  const bytes = declared > limit ? undefined : await readBodyBytes(req, limit);
  if (bytes === undefined) {
    reply(res, 413, -32600, `Request too large: a body may have at most ${limit} bytes (--max-line-bytes ${maxLineBytes}, a line's newline included)`, { Connection: 'close' });
    return undefined;
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    reply(res, 400, -32700, 'Parse error');
    return undefined;
  }
}
