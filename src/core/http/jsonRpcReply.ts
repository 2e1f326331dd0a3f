/** The part of a Node `ServerResponse` an answer needs. */
interface Response {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body: string): unknown;
}

/**
 * Answers an HTTP request of an MCP endpoint with a JSON-RPC error (id null), the shape MCP
 * clients show as is: unknown session, missing token, bad request, too many sessions.
 */
export function replyJsonRpcError(res: Response, status: number, code: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
