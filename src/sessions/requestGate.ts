import { InspectorError } from '../core/errors.js';
import { parseBreakpointPattern, targetOf } from './breakpointPattern.js';
import type { EventBus } from './eventBus.js';
import type { ControlledGate, GateDecision, GateIo, GatedRequest, HeldRequestInfo } from './gateTypes.js';

/** JSON-RPC error code answered for requests rejected at a breakpoint (not -32001: the MCP SDK reads that as a timeout). */
export const REJECTED_ERROR_CODE = -32010;
/** JSON-RPC error code answered for requests cancelled while held (as LSP's RequestCancelled). */
export const CANCELLED_ERROR_CODE = -32800;

/** Options of {@link createRequestGate}. */
export interface RequestGateOptions {
  /** `--break-on` patterns (see parseBreakpointPattern); matching requests wait for approve/reject. */
  breakOn?: string[];
  /** Where SessionPaused, SessionResumed and WaitingOnSignal go. */
  bus: EventBus;
  sessionId: string;
  /** Period of progress keep-alives to the client for held requests with a progress token. Default 5000 ms. */
  progressIntervalMs?: number;
}

interface Entry {
  request: GatedRequest;
  io: GateIo;
  info: HeldRequestInfo;
  settle: (decision: GateDecision) => void;
}

const APPROVE_SCHEMA = { type: 'object', properties: { request_id: { type: ['string', 'number'] } }, additionalProperties: false };

/**
 * The gate of one live session. Nothing is ever dropped: every held request is eventually
 * forwarded or answered (cancelAll answers them all). The fast path (not paused, no matching
 * breakpoint) returns undefined without allocating.
 */
export function createRequestGate(options: RequestGateOptions): ControlledGate {
  const { bus, sessionId } = options;
  const breakpoints = (options.breakOn ?? []).map(parseBreakpointPattern);
  const interval = Math.max(10, options.progressIntervalMs ?? 5000);
  let queue: Entry[] = [];
  const listeners = new Set<() => void>();
  let paused = false;
  let cancelled: string | undefined;
  let credits = 0;

  const changed = () => {
    for (const l of [...listeners]) {
      try {
        l();
      } catch {
        // a listener's failure must not break the traffic
      }
    }
  };
  const release = (entry: Entry, decision: GateDecision) => {
    const i = queue.indexOf(entry);
    if (i !== -1) queue.splice(i, 1);
    entry.settle(decision);
  };
  const find = (requestId: string | number | undefined, verb: string): Entry => {
    const entry = queue.find((e) => e.info.awaiting_approval && (requestId === undefined || String(e.request.id) === String(requestId)));
    if (entry) return entry;
    const what = requestId === undefined ? 'no request is waiting at a breakpoint' : `no request with id ${JSON.stringify(requestId)} is waiting at a breakpoint`;
    throw new InspectorError('SIGNAL_NOT_EXPECTED', `cannot ${verb}: ${what}`);
  };

  const passesAll = (): boolean => cancelled === undefined && !paused && breakpoints.length === 0;

  return {
    passesAll,
    admit(request, io) {
      if (passesAll()) return undefined;
      if (cancelled !== undefined) return Promise.resolve(cancelledDecision(cancelled));
      const awaiting = breakpoints.some((b) => b.matches(request));
      if (!awaiting && !paused) return undefined;
      if (!awaiting && credits > 0) {
        credits -= 1;
        return undefined;
      }
      return new Promise<GateDecision>((resolve) => {
        const target = targetOf(request.params);
        const info: HeldRequestInfo = { request_id: request.id, method: request.method, awaiting_approval: awaiting, ...(target === undefined ? {} : { target }) };
        let timer: NodeJS.Timeout | undefined;
        if (request.progressToken !== undefined) {
          let progress = 0;
          timer = setInterval(() => {
            progress += 1;
            const why = info.awaiting_approval ? 'waiting for approval' : 'session paused';
            try {
              io.notifyClient({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: request.progressToken, progress, message: `held by mcpscope: ${why}` } });
            } catch {
              // the client may be gone; the request is still answered or forwarded later
            }
          }, interval);
          timer.unref();
        }
        queue.push({ request, io, info, settle: (d) => { if (timer) clearInterval(timer); resolve(d); } });
        if (awaiting) {
          bus.publish({
            type: 'WaitingOnSignal', session_id: sessionId, signal: 'approve', request_id: request.id, method: request.method,
            prompt: `approve ${request.method}${target === undefined ? '' : ` ${target}`}? send 'approve' to forward it or 'reject' to answer it with an error`,
            schema: APPROVE_SCHEMA,
          });
        }
        changed();
      });
    },
    pause(reason) {
      if (paused || cancelled !== undefined) return false;
      paused = true;
      bus.publish({ type: 'SessionPaused', session_id: sessionId, ...(reason === undefined ? {} : { reason }) });
      changed();
      return true;
    },
    resume() {
      if (!paused) return 0;
      paused = false;
      credits = 0;
      // One pass, not one splice per entry: a long pause may hold thousands.
      const ready = queue.filter((e) => !e.info.awaiting_approval);
      queue = queue.filter((e) => e.info.awaiting_approval);
      for (const e of ready) e.settle({ action: 'forward' });
      bus.publish({ type: 'SessionResumed', session_id: sessionId });
      changed();
      return ready.length;
    },
    step() {
      if (!paused) return 0;
      const next = queue.find((e) => !e.info.awaiting_approval);
      if (!next) {
        credits += 1;
        return 0;
      }
      release(next, { action: 'forward' });
      changed();
      return 1;
    },
    approve(requestId) {
      const entry = find(requestId, 'approve');
      release(entry, { action: 'forward' });
      changed();
      return entry.info;
    },
    reject(reason, requestId) {
      const entry = find(requestId, 'reject');
      release(entry, { action: 'reject', code: REJECTED_ERROR_CODE, message: `rejected by mcpscope${reason ? `: ${reason}` : ''}` });
      changed();
      return entry.info;
    },
    cancelAll(reason) {
      if (cancelled === undefined) cancelled = reason;
      const all = queue;
      queue = [];
      for (const e of all) e.settle(cancelledDecision(cancelled));
      if (all.length > 0) changed();
      return all.length;
    },
    held: () => queue.length,
    state: () => ({ paused, cancelled: cancelled !== undefined, held: queue.map((e) => ({ ...e.info })) }),
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function cancelledDecision(reason: string): GateDecision {
  return { action: 'reject', code: CANCELLED_ERROR_CODE, message: `request cancelled by mcpscope: ${reason}` };
}
