import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** What an OAuth-capable SDK client did when it connected without the access token. */
export interface OAuthProbe {
  /** The error `connect` rejected with ('' when it connected). */
  error: string;
  /** Every URL the client requested, in order. */
  requested: string[];
  /** True when the client was sent to an authorization page (where the Inspector CLI says "Interactive OAuth requires a TTY"). */
  redirected: boolean;
}

/**
 * Connects a real SDK Client the way OAuth-capable clients (the Inspector CLI) do: with an
 * `authProvider` that has no tokens yet. Counts the requests it makes through its own fetch,
 * so a discovery request (/.well-known/...) shows up whatever server is behind `url`.
 */
export async function probeWithOAuthClient(url: string, headers: Record<string, string> = {}): Promise<OAuthProbe> {
  const requested: string[] = [];
  let redirected = false;
  const authProvider: OAuthClientProvider = {
    redirectUrl: 'http://127.0.0.1:1/callback',
    clientMetadata: { redirect_uris: ['http://127.0.0.1:1/callback'], client_name: 'probe' },
    clientInformation: () => undefined,
    saveClientInformation: () => undefined,
    tokens: () => undefined,
    saveTokens: () => undefined,
    redirectToAuthorization: () => {
      redirected = true;
      throw new Error('Interactive OAuth requires a TTY');
    },
    saveCodeVerifier: () => undefined,
    codeVerifier: () => 'verifier',
  };
  const client = new Client({ name: 'oauth-capable', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    authProvider,
    requestInit: { headers },
    fetch: (input, init) => {
      requested.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    },
  });
  let error = '';
  try {
    await client.connect(transport);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    await client.close().catch(() => undefined);
  }
  return { error, requested, redirected };
}
