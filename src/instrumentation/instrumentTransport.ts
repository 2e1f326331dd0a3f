import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { InspectorError, describeError } from '../core/errors.js';
import { isSessionId, newSessionId, newSpanId } from '../core/ids.js';
import { reportTo } from '../core/reportTo.js';
import { createRpcRecorder, type RpcRecorder, type RpcRecorderOptions } from './rpcRecorder.js';
import { chooseParent } from './parentChoice.js';
import { currentSpanContext, formatTraceparent, runWithSpanContext, type SpanContext } from './traceContext.js';

/** Options of {@link instrumentTransport}: the recorder's, with what the transport tells us made optional. */
export interface InstrumentOptions extends Omit<RpcRecorderOptions, 'sessionId' | 'transport'> {
  /** Default: the inner transport's `sessionId` when it is a valid session id, else a fresh one. */
  sessionId?: string;
  /** Default derived from the transport class: 'stdio', 'streamable-http', 'sse', 'in-memory', 'websocket', else 'custom'. */
  transport?: string;
  /**
   * Default true: outgoing requests get W3C `traceparent`/`tracestate` in `params._meta`,
   * and incoming requests that carry one continue that trace. false: neither.
   */
  propagate?: boolean;
}

/** A wrapped transport; `recorder` gives its stats and lets the owner close the recording. */
export interface InstrumentedTransport extends Transport {
  readonly recorder: RpcRecorder;
}

type MessageHandler = Transport['onmessage'];

/** Transport name from the class name of an SDK transport. */
export function transportNameOf(transport: object): string {
  const name = transport.constructor?.name ?? '';
  if (/stdio/i.test(name)) return 'stdio';
  if (/streamablehttp/i.test(name)) return 'streamable-http';
  if (/sse/i.test(name)) return 'sse';
  if (/inmemory/i.test(name)) return 'in-memory';
  if (/websocket/i.test(name)) return 'websocket';
  return 'custom';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function withTraceContext(message: Record<string, unknown>, ctx: SpanContext): JSONRPCMessage {
  const params = isObject(message.params) ? message.params : {};
  const meta: Record<string, unknown> = { ...(isObject(params._meta) ? params._meta : {}), traceparent: formatTraceparent(ctx) };
  if (ctx.traceState !== undefined) meta.tracestate = ctx.traceState;
  else delete meta.tracestate;
  return { ...message, params: { ...params, _meta: meta } } as JSONRPCMessage;
}

/**
 * Wraps any MCP SDK `Transport` so that it behaves identically while recording every message
 * as spans (see {@link createRpcRecorder}). Every other property of the inner transport
 * (`sessionId`, `setProtocolVersion`, ...) is delegated. The user's `onmessage` runs inside
 * the span context of a received request, so requests sent while handling it become its
 * children. Closing the transport ends open requests as ERROR "connection closed". The
 * recorder never throws into the traffic; the sink is not closed by the wrapper. Spans are
 * built on the next event-loop turn (or `recorder.flush()`), so messages must not be mutated
 * after they are sent or received (the SDK does not).
 */
export function instrumentTransport(inner: Transport, options: InstrumentOptions): InstrumentedTransport {
  if (!isObject(inner) || typeof inner.send !== 'function' || typeof inner.start !== 'function' || typeof inner.close !== 'function') {
    throw new InspectorError('INVALID_ARGUMENT', 'instrumentTransport: expected an MCP Transport with start, send and close');
  }
  const { sessionId, transport, ...rest } = options;
  const recorder = createRpcRecorder({
    ...rest,
    sessionId: sessionId ?? (isSessionId(inner.sessionId) ? inner.sessionId : newSessionId()),
    transport: transport ?? transportNameOf(inner),
  });
  const propagate = options.propagate ?? true;
  const report = reportTo(options.onError);

  let userOnMessage: MessageHandler = inner.onmessage;
  let userOnClose: Transport['onclose'] = inner.onclose;
  inner.onmessage = (message, extra) => {
    const ctx = recorder.received(message);
    const handler = userOnMessage;
    if (!handler) return;
    if (ctx) runWithSpanContext(ctx, () => handler(message, extra));
    else handler(message, extra);
  };
  inner.onclose = () => {
    recorder.close('connection closed');
    userOnClose?.();
  };

  const send = async (message: JSONRPCMessage, sendOptions?: TransportSendOptions): Promise<void> => {
    let out: JSONRPCMessage = message;
    let requestId: string | number | undefined;
    try {
      const related = sendOptions?.relatedRequestId;
      const m = message as Record<string, unknown>;
      if (typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number')) {
        requestId = m.id;
        const meta = isObject(m.params) && isObject(m.params._meta) ? m.params._meta : undefined;
        const parent = chooseParent('outbound', { current: currentSpanContext(), meta, propagate, related: related === undefined ? undefined : () => recorder.spanContextOf('inbound', related) });
        const spanId = newSpanId();
        if (propagate) {
          out = withTraceContext(m, { traceId: parent?.traceId ?? recorder.traceId, spanId, traceFlags: parent?.traceFlags ?? 1, traceState: parent?.traceState });
        }
        recorder.sent(out, undefined, { parent, spanId, relatedRequestId: related });
      } else {
        recorder.sent(message, undefined, { parent: currentSpanContext(), relatedRequestId: related });
      }
    } catch (err) {
      report(err);
    }
    try {
      await inner.send(out, sendOptions);
    } catch (err) {
      if (requestId !== undefined) recorder.fail('outbound', requestId, 'send_failed', `send failed: ${describeError(err)}`);
      throw err;
    }
  };
  const close = async (): Promise<void> => {
    try {
      await inner.close();
    } finally {
      recorder.close('connection closed');
    }
  };

  return delegate(inner, {
    send,
    close,
    recorder,
    getOnMessage: () => userOnMessage,
    setOnMessage: (h) => (userOnMessage = h),
    getOnClose: () => userOnClose,
    setOnClose: (h) => (userOnClose = h),
  });
}

/** What the wrapper answers itself; every other property goes to the inner transport. */
interface Own {
  send: Transport['send'];
  close: Transport['close'];
  recorder: RpcRecorder;
  getOnMessage(): MessageHandler;
  setOnMessage(handler: MessageHandler): void;
  getOnClose(): Transport['onclose'];
  setOnClose(handler: Transport['onclose']): void;
}

/** `inner` behind a Proxy: `own` answers send/close/recorder and the user's handlers; methods are bound to `inner`. */
function delegate(inner: Transport, own: Own): InstrumentedTransport {
  const bound = new WeakMap<object, unknown>();
  return new Proxy(inner, {
    get(target, prop) {
      switch (prop) {
        case 'send':
          return own.send;
        case 'close':
          return own.close;
        case 'onmessage':
          return own.getOnMessage();
        case 'onclose':
          return own.getOnClose();
        case 'recorder':
          return own.recorder;
      }
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // Methods run against the real transport so private fields keep working.
      let fn = bound.get(value);
      if (!fn) bound.set(value, (fn = (value as (...args: unknown[]) => unknown).bind(target)));
      return fn;
    },
    set(target, prop, value) {
      if (prop === 'onmessage') own.setOnMessage(value as MessageHandler);
      else if (prop === 'onclose') own.setOnClose(value as Transport['onclose']);
      else return Reflect.set(target, prop, value, target);
      return true;
    },
  }) as unknown as InstrumentedTransport;
}
