import { z } from 'zod';
import { TimestampSchema } from './span.js';

/** One item a live session's hold queue holds (a JSON-RPC request for the proxy, an engine's step otherwise). */
export const HeldItemSchema = z.object({
  /** The item's id: for the proxy the JSON-RPC request id. */
  id: z.union([z.string(), z.number()]),
  /** `request` (JSON-RPC adapter) or an engine's own kind, e.g. `step`. */
  kind: z.string(),
  /** What it is: the JSON-RPC method or the engine's label. */
  method: z.string(),
  /** Tool/prompt name or resource URI, when there is one. */
  target: z.string().optional(),
  /** True while it waits on approve/reject (a breakpoint), false while it waits on resume/step. */
  awaiting_approval: z.boolean(),
  since: TimestampSchema,
});
export type HeldItem = z.infer<typeof HeldItemSchema>;

/** A named signal a live session waits on. */
export const WaiterInfoSchema = z.object({
  signal: z.string(),
  prompt: z.string().optional(),
  /** JSON Schema the signal's payload must satisfy. */
  schema: z.record(z.string(), z.unknown()).optional(),
  since: TimestampSchema,
});
export type WaiterInfo = z.infer<typeof WaiterInfoSchema>;

/**
 * What a live session is doing now, beyond its meta: the same shape locally, across processes,
 * in MCP and over HTTP. `held` and `waiters` are in arrival order.
 */
export const LiveStateSchema = z.object({
  paused: z.boolean(),
  cancelled: z.boolean(),
  held: z.array(HeldItemSchema),
  waiters: z.array(WaiterInfoSchema),
});
export type LiveState = z.infer<typeof LiveStateSchema>;

/** The live state of a session that holds and waits on nothing. */
export function idleLiveState(): LiveState {
  return { paused: false, cancelled: false, held: [], waiters: [] };
}
