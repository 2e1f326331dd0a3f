import type { ServerResponse } from 'node:http';
import { ifNoneMatchHits } from '../conditional.js';
import { HttpError } from '../errors.js';
import type { Route } from '../router.js';
import type { UiAsset, UiBundle } from '../uiAssets.js';

/**
 * The page's policy: only our own hashed files run or style it, it talks to this origin only,
 * and nobody may frame it. `img-src data:` is for the inline empty favicon and small icons.
 */
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGE_HEADERS = {
  'Content-Security-Policy': UI_CSP,
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/**
 * `GET /` (the browser UI's index.html; revalidated on every load, so a rebuilt gateway serves
 * the new assets) and `GET /assets/{file}` (hashed JS and CSS, cached for a year as immutable,
 * with an ETag). Both are public (no token even off loopback): they hold no data. Without a built UI, `/` answers 503 with a
 * page saying how to build it (`missing`).
 */
export function uiRoutes(ui: { bundle: UiBundle } | { missing: string }): Route[] {
  const page: Route = {
    path: '/',
    methods: {
      GET: ({ req, res }) => {
        if ('missing' in ui) {
          const html = `<!doctype html><meta charset="utf-8"><title>mcpscope</title><p>The browser UI is not built: ${escapeHtml(ui.missing)}. Run <code>npm run build</code> in the mcpscope checkout and restart the gateway. The API under <code>/_inspector</code> works without it.</p>`;
          res.writeHead(503, { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), 'Cache-Control': 'no-store' });
          res.end(html);
          return;
        }
        send(res, ui.bundle.index, 'no-cache', ifNoneMatchHits(req, [ui.bundle.index.etag]));
      },
    },
    auth: 'public',
  };
  const assets: Route = {
    path: '/assets/:file',
    methods: {
      GET: ({ req, res, params }) => {
        const file = 'bundle' in ui ? ui.bundle.assets.get(params.file ?? '') : undefined;
        if (!file) throw new HttpError(404, 'NOT_FOUND', 'no such asset (the page may be older than the gateway: reload it)');
        send(res, file, 'public, max-age=31536000, immutable', ifNoneMatchHits(req, [file.etag]));
      },
    },
    auth: 'public',
  };
  return [page, assets];
}

function send(res: ServerResponse, asset: UiAsset, cacheControl: string, notModified: boolean): void {
  const headers = { ...PAGE_HEADERS, ETag: asset.etag, 'Cache-Control': cacheControl };
  if (notModified) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length });
  res.end(asset.body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
