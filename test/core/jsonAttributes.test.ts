import { describe, expect, it } from 'vitest';
import { JSON_ATTRIBUTE_CAP_BYTES, capJsonAttributes, truncateUtf8 } from '../../src/core/jsonAttributes.js';

describe('capJsonAttributes', () => {
  it('leaves values under the cap alone', () => {
    const attrs = { 'mcp.rpc.request_json': '{"a":1}', other: 'x'.repeat(100_000) };
    expect(capJsonAttributes(attrs)).toEqual({ 'mcp.rpc.request_json': '{"a":1}', other: 'x'.repeat(100_000) });
  });

  it('cuts *_json values to 30 KB and marks them', () => {
    const attrs: Record<string, string | boolean> = { 'mcp.tool.output_json': 'y'.repeat(50_000) };
    capJsonAttributes(attrs as never);
    expect(Buffer.byteLength(attrs['mcp.tool.output_json'] as string)).toBe(JSON_ATTRIBUTE_CAP_BYTES);
    expect(attrs['mcp.tool.output_json_truncated']).toBe(true);
  });

  it('never splits a multi-byte character', () => {
    const emoji = '😀'.repeat(10_000); // 4 bytes each
    const attrs: Record<string, string | boolean> = { 'x_json': emoji };
    capJsonAttributes(attrs as never);
    const cut = attrs['x_json'] as string;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(JSON_ATTRIBUTE_CAP_BYTES);
    expect(cut).toBe('😀'.repeat(cut.length / 2));
    expect(truncateUtf8('aé', 2)).toBe('a');
  });
});
