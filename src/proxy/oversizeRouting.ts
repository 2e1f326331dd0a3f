import type { JsonRpcId } from '../core/jsonRpc.js';
import type { OversizeLine } from './envelopeSniffer.js';
import { RpcErrorCode, errorLine, type RouterParts } from './routerParts.js';

function oversizeDetail(line: OversizeLine): string {
  return `line of ${line.bytes} bytes is over the proxy's limit of ${line.limit} bytes (mcpscope proxy --max-line-bytes)`;
}

/**
 * A line from the client over the line limit, never forwarded. A request is answered with
 * -32600 "Request too large" for its id and recorded as one ERROR span under its method; a
 * response the client gave is answered upstream in its place; a notification is only recorded;
 * a line whose id cannot be read is answered -32700 with id null.
 */
export function routeOversizeFromClient(r: RouterParts, line: OversizeLine): void {
  const { idText, method, response } = line.envelope;
  const detail = oversizeDetail(line);
  const preview = `${line.head}…`;
  const recorder = r.recorder;
  if (response) {
    recorder?.malformed('received', preview, `response too large: ${detail}`);
    if (idText !== undefined) r.replyUpstream(errorLine(idText, RpcErrorCode.INTERNAL_ERROR, 'Response too large', detail));
    return;
  }
  if (idText === undefined) {
    if (method !== undefined) recorder?.malformed('received', preview, `notification too large: ${detail}`);
    else r.rejectClientLine(preview, RpcErrorCode.PARSE_ERROR, 'Parse error', detail, 'null');
    return;
  }
  if (method === undefined) {
    r.rejectClientLine(preview, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', detail, idText);
    return;
  }
  // Recorded as the call it was (its start as the request text), ended by our answer.
  recorder?.received({ jsonrpc: '2.0', id: JSON.parse(idText) as JsonRpcId, method }, preview);
  const text = errorLine(idText, RpcErrorCode.INVALID_REQUEST, 'Request too large', detail);
  r.toClient(Buffer.from(`${text}\n`));
  recorder?.sent(JSON.parse(text), text);
}

/**
 * A line from the upstream over the line limit, never delivered. A response ends its request
 * with -32603 "Response too large" (the client stops waiting); a request is answered upstream
 * with -32600; anything else is recorded (and answered -32700 upstream when its id is unreadable).
 */
export function routeOversizeFromUpstream(r: RouterParts, line: OversizeLine): void {
  const { idText, method, response } = line.envelope;
  const detail = oversizeDetail(line);
  const preview = `${line.head}…`;
  if (response && idText !== undefined) {
    const p = r.open.find(JSON.parse(idText), idText);
    if (p !== undefined && !p.done) {
      r.answer(p, RpcErrorCode.INTERNAL_ERROR, 'Response too large', detail);
      return;
    }
  }
  if (method !== undefined && idText !== undefined) {
    r.rejectUpstreamLine(preview, RpcErrorCode.INVALID_REQUEST, 'Request too large', detail, idText);
    return;
  }
  if (response || method !== undefined) r.recorder?.malformed('sent', preview, detail);
  else r.rejectUpstreamLine(preview, RpcErrorCode.PARSE_ERROR, 'Parse error', detail, 'null');
}
