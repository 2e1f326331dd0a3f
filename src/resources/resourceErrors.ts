import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describeError, isInspectorError } from '../core/errors.js';

/** JSON-RPC code MCP uses for "resource not found". */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * Maps an error from a resource or prompt handler to the JSON-RPC error the client sees:
 * unknown sessions -> -32002 (resource not found), bad ids and arguments -> invalid params,
 * anything else -> internal error with a one-line message.
 */
export function toMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err;
  if (isInspectorError(err, 'SESSION_NOT_FOUND')) return new McpError(RESOURCE_NOT_FOUND, err.message);
  if (isInspectorError(err) && (err.code === 'INVALID_SESSION_ID' || err.code === 'INVALID_ARGUMENT')) return new McpError(ErrorCode.InvalidParams, err.message);
  return new McpError(ErrorCode.InternalError, describeError(err));
}

/** Runs a handler body, rethrowing its errors as {@link toMcpError} maps them. */
export async function mapErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toMcpError(err);
  }
}
