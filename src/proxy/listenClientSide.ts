import { randomUUID } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../core/errors.js';
import type { ClientOutlets } from './clientOutlets.js';
import type { RelatedRouter } from './relatedRouter.js';

export interface ClientSideOptions {
  router: RelatedRouter;
  outlets: ClientOutlets;
  /** What the client sends, as lines, for the session's proxy to read. */
  clientIn: PassThrough;
  /** Called with the MCP session id once the transport has accepted `initialize`. */
  register: (id: string) => void;
  log: (line: string) => void;
}

/**
 * The client-facing side of one `proxy --listen` session: the SDK transport, and the output the
 * session's proxy writes the upstream's messages to (one line each), which hands each message to
 * the transport on its request's stream ({@link RelatedRouter}). A message counts as written only
 * once the HTTP response it went to can take more ({@link ClientOutlets}): while the client does
 * not read, this output fills and the proxy stops reading the upstream, so memory stays bounded.
 */
export function createClientSide(o: ClientSideOptions): { transport: StreamableHTTPServerTransport; clientOut: Writable } {
  const { router, outlets, clientIn, log } = o;
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: o.register });
  let toldSlow = false;
  const stalled = (): void => {
    if (toldSlow) return;
    toldSlow = true;
    log(`session ${transport.sessionId ?? '(new)'}: the client reads its stream slower than the upstream writes; the upstream is read only as fast as the client reads (said once per session)`);
  };
  const clientOut = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(chunk.toString('utf8')) as JSONRPCMessage;
      } catch (err) {
        cb();
        log(`listen: undeliverable message: ${describeError(err)}`);
        return;
      }
      const related = router.toClient(message);
      const outlet = outlets.target(message, related);
      transport.send(message, related === undefined ? undefined : { relatedRequestId: related }).catch((err: unknown) => log(`listen: ${describeError(err)}`));
      void outlets.writable(outlet, stalled).then(() => cb());
    },
  });
  transport.onmessage = (message) => {
    router.fromClient(message);
    clientIn.write(`${JSON.stringify(message)}\n`);
  };
  transport.onclose = () => {
    clientIn.end();
  };
  return { transport, clientOut };
}
