import { describe, expect, it } from 'vitest';
import { redactUrl, upstreamTitle } from '../../src/proxy/upstreamTitle.js';

describe('upstreamTitle', () => {
  it('shows the command line, quoting arguments that need it', () => {
    expect(upstreamTitle({ kind: 'stdio', command: 'npx', args: ['-y', 'server', '/my docs', ''] })).toBe('npx -y server "/my docs" ""');
  });

  it('removes credentials from URLs', () => {
    expect(upstreamTitle({ kind: 'http', url: 'https://user:pw@example.test/mcp?api_key=abc&x=1', headers: { authorization: 'Bearer t' } })).toBe(
      'https://example.test/mcp?api_key=REDACTED&x=1',
    );
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });
});
