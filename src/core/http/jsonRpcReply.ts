/** The part of a Node `ServerResponse` an answer needs. */
interface Response {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body: string): unknown;
}

/**
 * Answers an HTTP request of an MCP endpoint with a JSON-RPC error (id null), the shape MCP
 * clients show as is: unknown session, missing token, bad request, too many sessions. `headers`
 * are added (e.g. `Connection: close` when the rest of the request is not read).
 */
export function replyJsonRpcError(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
