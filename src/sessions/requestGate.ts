import { targetOf } from './breakpointPattern.js';
import type { EventBus } from './eventBus.js';
import type { ControlledGate, GateDecision, HeldRequestInfo } from './gateTypes.js';
import { createHoldQueue, type HoldOutcome, type HoldQueue } from './holdQueue.js';
import type { HeldItem } from '../core/liveState.js';

/** JSON-RPC error code answered for requests rejected at a breakpoint (not -32001: the MCP SDK reads that as a timeout). */
export const REJECTED_ERROR_CODE = -32010;
/** JSON-RPC error code answered for requests cancelled while held (as LSP's RequestCancelled). */
export const CANCELLED_ERROR_CODE = -32800;

/** Options of {@link createRequestGate}. */
export interface RequestGateOptions {
  /** `--break-on` patterns (see parseBreakpointPattern); matching requests wait for approve/reject. Ignored when `queue` is given. */
  breakOn?: string[];
  /** Where SessionPaused, SessionResumed and WaitingOnSignal go. */
  bus: EventBus;
  sessionId: string;
  /** Period of progress keep-alives to the client for held requests with a progress token. Default 5000 ms. */
  progressIntervalMs?: number;
  /** The hold queue to hold requests in (a live session's); default a new one. */
  queue?: HoldQueue;
}

/**
 * The JSON-RPC adapter of a hold queue: holds client-to-upstream requests (kind `request`, id the
 * JSON-RPC id, target the tool/prompt name or resource URI), keeps a client that asked for
 * progress informed while its request is held, and turns outcomes into forward / error answers.
 * Nothing is ever dropped (see HoldQueue). The fast path returns undefined without allocating.
 */
export function createRequestGate(options: RequestGateOptions): ControlledGate {
  const queue = options.queue ?? createHoldQueue({ bus: options.bus, sessionId: options.sessionId, breakOn: options.breakOn ?? [] });
  const interval = Math.max(10, options.progressIntervalMs ?? 5000);
  const requestsOnly = (held: HeldItem[]) => held.filter((h) => h.kind === 'request').map(toInfo);

  return {
    queue,
    // The queue's own function, not a wrapper: the proxy calls it for every request.
    passesAll: queue.passesAll,
    admit(request, io) {
      if (queue.passesAll()) return undefined;
      const target = targetOf(request.params);
      return queue.admitAs(
        { id: request.id, kind: 'request', method: request.method, ...(target === undefined ? {} : { target }) },
        toDecision,
        request.progressToken === undefined ? undefined : (held) => {
          let progress = 0;
          const timer = setInterval(() => {
            progress += 1;
            const why = held.awaiting_approval ? 'waiting for approval' : 'session paused';
            try {
              io.notifyClient({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: request.progressToken, progress, message: `held by mcpscope: ${why}` } });
            } catch {
              // the client may be gone; the request is still answered or forwarded later
            }
          }, interval);
          timer.unref();
          return () => clearInterval(timer);
        },
      );
    },
    pause: (reason) => queue.pause(reason),
    resume: () => queue.resume(),
    step: () => queue.step(),
    approve: (requestId) => toInfo(queue.approve(requestId)),
    reject: (reason, requestId) => toInfo(queue.reject(reason, requestId)),
    cancelAll: (reason) => queue.cancelAll(reason),
    held: () => queue.size(),
    state: () => {
      const s = queue.state();
      return { paused: s.paused, cancelled: s.cancelled, held: requestsOnly(s.held) };
    },
    onChange: (listener) => queue.onChange(listener),
  };
}

function toInfo(item: HeldItem): HeldRequestInfo {
  return { request_id: item.id, method: item.method, ...(item.target === undefined ? {} : { target: item.target }), awaiting_approval: item.awaiting_approval };
}

function toDecision(outcome: HoldOutcome): GateDecision {
  if (outcome.action === 'release') return { action: 'forward' };
  if (outcome.action === 'reject') return { action: 'reject', code: REJECTED_ERROR_CODE, message: `rejected by mcpscope${outcome.reason ? `: ${outcome.reason}` : ''}` };
  return { action: 'reject', code: CANCELLED_ERROR_CODE, message: `request cancelled by mcpscope: ${outcome.reason}` };
}
