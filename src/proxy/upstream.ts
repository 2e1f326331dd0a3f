import type { OversizeLine } from './envelopeSniffer.js';
import type { LineStream } from './lineFramer.js';

/** How an upstream connection ended. */
export interface UpstreamOutcome {
  /** True when the upstream ended in error (non-zero exit, killed, unreachable, session lost). */
  failed: boolean;
  /** One line for people and for the session's `reason`. */
  reason: string;
  /** The exit code the proxy should use (the upstream's own code when it exited by itself). */
  exitCode: number;
}

/** What the router tells an upstream about a message it forwards. */
export interface SendMeta {
  /** The method, for requests and notifications (HTTP watches `initialize` and `notifications/initialized`). */
  method: string | undefined;
  /** True when the message contains at least one request, so a reply is due. */
  expectsReply: boolean;
  /** Opaque to the upstream: handed back in `sendFailed`. */
  tag: unknown;
}

/** Callbacks from an upstream to the proxy. */
export interface UpstreamHandlers {
  /**
   * One message from the upstream: original bytes with a trailing `\n`; `end` is where the content
   * ends; `passed`: it already went to `stream` piece by piece (stdio upstreams only).
   */
  message(framed: Buffer, end: number, passed?: boolean): void;
  /** Optional (stdio upstreams): long lines go here as they arrive, before `message` (cutThrough.ts). */
  stream?: LineStream;
  /** A message could not be delivered (HTTP error, network failure): the router answers its requests. */
  sendFailed(meta: SendMeta, reason: string): void;
  /** The upstream is gone for good. Called at most once, after every message it delivered. */
  closed(outcome: UpstreamOutcome): void;
  /** Optional: brackets the messages of one chunk from the upstream that holds several, so they can go out in one write. */
  chunkStart?(): void;
  chunkEnd?(): void;
  /** Optional: the upstream's input is below its high-water mark again, after `send` returned false. */
  drained?(): void;
  /** Optional: a line from the upstream went over the line limit and was passed over. */
  oversize?(line: OversizeLine): void;
  /** Diagnostics for people (stderr). */
  log(line: string): void;
}

/** A connection to the proxied MCP server (stdio child process or Streamable HTTP endpoint). */
export interface Upstream {
  /**
   * Forwards one message; `framed` includes the line terminator, `end` is where the content ends.
   * Returns false when the upstream's input is over its high-water mark (the message is still
   * sent): the caller should stop reading what it forwards until `handlers.drained`.
   */
  send(framed: Buffer, end: number, meta: SendMeta): boolean | void;
  /**
   * Ends the connection gracefully (stdin EOF / HTTP DELETE), escalating after the grace period.
   * Resolves once the upstream is gone and `closed` has been called. Idempotent. Also called
   * after the upstream closed by itself, to end what it left behind (a stdio upstream's process group).
   */
  close(): Promise<void>;
  /** Optional backpressure: stops delivering messages (and reading them) until `resume()`. */
  pause?(): void;
  resume?(): void;
  /** Optional batching: sends between `cork()` and `uncork()` may go out in one write. */
  cork?(): void;
  uncork?(): void;
}
