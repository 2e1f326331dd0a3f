import { z } from 'zod';
import { isSpanId, isTraceId } from './ids.js';

/** RFC 3339 UTC timestamp with microseconds, as written in trace files. */
export const TimestampSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'expected an RFC 3339 UTC timestamp');

export const SpanKindSchema = z.enum(['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']);
export type SpanKind = z.infer<typeof SpanKindSchema>;

export const StatusCodeSchema = z.enum(['UNSET', 'OK', 'ERROR']);
export type StatusCode = z.infer<typeof StatusCodeSchema>;

/** Attribute values as OpenTelemetry allows them: primitives and homogeneous arrays. */
export const AttributeValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.string()),
  z.array(z.number()),
  z.array(z.boolean()),
]);
export type AttributeValue = z.infer<typeof AttributeValueSchema>;
export type Attributes = Record<string, AttributeValue>;
export const AttributesSchema = z.record(z.string(), AttributeValueSchema);

export const SpanEventSchema = z.object({
  name: z.string(),
  time: TimestampSchema,
  attributes: AttributesSchema.optional(),
});
export type SpanEvent = z.infer<typeof SpanEventSchema>;

/** One line of a trace file (DESIGN section 4): an OpenTelemetry-compatible span. */
export const SpanSchema = z.object({
  trace_id: z.string().refine(isTraceId, 'expected 32 lowercase hex (W3C trace id)'),
  span_id: z.string().refine(isSpanId, 'expected 16 lowercase hex (W3C span id)'),
  parent_span_id: z.string().refine(isSpanId, 'expected 16 lowercase hex (W3C span id)').optional(),
  name: z.string(),
  kind: SpanKindSchema,
  start_time: TimestampSchema,
  end_time: TimestampSchema,
  status: z.object({
    status_code: StatusCodeSchema,
    description: z.string().optional(),
  }),
  attributes: AttributesSchema,
  events: z.array(SpanEventSchema).optional(),
});
export type Span = z.infer<typeof SpanSchema>;

/** Attribute keys shared by every producer (DESIGN section 4). */
export const Attr = {
  // OpenTelemetry MCP semantic conventions
  MCP_METHOD: 'mcp.method.name',
  MCP_SESSION_ID: 'mcp.session.id',
  JSONRPC_REQUEST_ID: 'jsonrpc.request.id',
  TOOL_NAME: 'gen_ai.tool.name',
  PROMPT_NAME: 'gen_ai.prompt.name',
  RESOURCE_URI: 'mcp.resource.uri',
  NETWORK_TRANSPORT: 'network.transport',
  ERROR_TYPE: 'error.type',
  RPC_STATUS_CODE: 'rpc.response.status_code',
  // inspector attributes
  SESSION_ID: 'session.id',
  DIRECTION: 'mcp.rpc.direction',
  TRANSPORT: 'mcp.rpc.transport',
  REQUEST_JSON: 'mcp.rpc.request_json',
  RESPONSE_JSON: 'mcp.rpc.response_json',
  TOOL_INPUT_JSON: 'mcp.tool.input_json',
  TOOL_OUTPUT_JSON: 'mcp.tool.output_json',
  ERROR_CODE: 'mcp.error.code',
  ERROR_MESSAGE: 'mcp.error.message',
} as const;
