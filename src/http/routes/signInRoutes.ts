import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { HttpError, sendJson } from '../errors.js';
import { readJsonBody } from '../readJsonBody.js';
import type { Route } from '../router.js';
import type { Security } from '../security.js';
import type { SignIn } from '../signIn.js';

const LoginBodySchema = z.union([z.object({ code: z.string().min(1).max(100) }).strict(), z.object({ token: z.string().min(1).max(512) }).strict()]);

/** What the sign-in routes need from the gateway. */
export interface SignInRouteOptions {
  signIn: SignIn;
  security: Pick<Security, 'tokenMatches' | 'authOf' | 'tokenEverywhere'>;
  /** A fresh sign-in link (`<url>/#code=...`), logged after each use of one so another browser can sign in. */
  freshLink(): string;
  log(line: string): void;
}

/**
 * `POST /_inspector/login` with `{ code }` (from the printed link) or `{ token }` (pasted):
 * sets the sign-in cookie (HttpOnly, SameSite=Strict) and answers `{ signed_in: true }`; the
 * code is void from then on. A used, expired or unknown code is 403 SIGN_IN_CODE_INVALID, a
 * wrong token 403 UNAUTHORIZED, each saying how to get in. `POST /_inspector/logout` ends the
 * sign-in. `GET /_inspector/auth` tells the page whether it is signed in and whether reading
 * needs it. All are public: a browser must reach them before it has a cookie.
 */
export function signInRoutes(options: SignInRouteOptions): Route[] {
  const { signIn, security, log } = options;
  const signedIn = (req: IncomingMessage) => signIn.hasSession(req);
  const login: Route = {
    path: '/_inspector/login',
    methods: {
      POST: async ({ req, res }) => {
        const parsed = LoginBodySchema.safeParse(await readJsonBody(req, { limit: 4096 }));
        if (!parsed.success) throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid request body: expected { "code": "<one-time code>" } or { "token": "<access token>" }');
        let secret: string | undefined;
        if ('code' in parsed.data) {
          secret = signIn.redeemCode(parsed.data.code);
          if (secret === undefined) {
            throw new HttpError(
              403,
              'SIGN_IN_CODE_INVALID',
              'this sign-in link was already used, has expired or is not valid (each link works once). Open the newest link `mcpscope serve` printed on stderr (it prints a fresh one after each sign-in), or paste the access token it printed.',
            );
          }
          log(`mcpscope: a browser signed in; sign-in link for another browser: ${options.freshLink()}`);
        } else {
          if (!security.tokenMatches(parsed.data.token)) throw new HttpError(403, 'UNAUTHORIZED', 'that is not the access token: copy the `API token:` line `mcpscope serve` printed on stderr (or MCPSCOPE_TOKEN)');
          secret = signIn.openSession();
        }
        // Behind a TLS-terminating reverse proxy (an allowed https Origin), the cookie must not travel over plain http.
        res.setHeader('Set-Cookie', signIn.cookie(secret, req.headers.origin?.toLowerCase().startsWith('https://') === true));
        sendJson(res, { signed_in: true });
      },
    },
    auth: 'public',
  };
  const logout: Route = {
    path: '/_inspector/logout',
    methods: {
      POST: ({ req, res }) => {
        // Logging out changes state: like every cookie request that does, it needs an Origin.
        if (req.headers.origin === undefined && security.authOf(req, signedIn) !== 'bearer') throw new HttpError(403, 'UNAUTHORIZED', 'logout needs an Origin header');
        signIn.closeSession(req);
        res.setHeader('Set-Cookie', signIn.clearedCookie());
        sendJson(res, { signed_in: false });
      },
    },
    auth: 'public',
  };
  const status: Route = {
    path: '/_inspector/auth',
    methods: {
      GET: ({ req, res, query }) => {
        if ([...query.keys()].length > 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'this route takes no query parameters');
        const via = security.authOf(req, signedIn);
        sendJson(res, { signed_in: via !== undefined, ...(via ? { via } : {}), sign_in_required_to_read: security.tokenEverywhere });
      },
    },
    auth: 'public',
  };
  return [login, logout, status];
}
