import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumTitle, hasChromium, inCi, startUi, type UiHarness } from './harness.js';

let ui: UiHarness | undefined;

beforeAll(async () => {
  if (hasChromium) ui = await startUi();
}, 60_000);
afterAll(async () => {
  await ui?.close();
});

it.runIf(inCi)('has a Chromium to run against (CI)', () => {
  expect(hasChromium, `CI=${process.env.CI} and no Chromium: install it or set CHROMIUM_PATH`).toBe(true);
});

describe('the built UI over HTTP', () => {
  it.skipIf(!hasChromium)('serves index.html with a strict CSP and hashed assets as immutable, with ETags', async () => {
    const index = await request(`${ui!.url}/`);
    const html = await index.body.text();
    expect(index.statusCode).toBe(200);
    const csp = String(index.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(index.headers['cache-control']).toBe('no-cache');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    for (const path of assets) {
      const res = await request(`${ui!.url}${path}`);
      const body = await res.body.text();
      expect(res.statusCode, path).toBe(200);
      expect(body.length).toBeGreaterThan(100);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const etag = String(res.headers.etag);
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await request(`${ui!.url}${path}`, { headers: { 'if-none-match': etag } });
      await again.body.dump();
      expect(again.statusCode).toBe(304);
    }
    const missing = await request(`${ui!.url}/assets/main-NOPE.js`);
    expect(missing.statusCode).toBe(404);
    expect(((await missing.body.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const traversal = await request(`${ui!.url}/assets/..%2Fmanifest.json`);
    await traversal.body.dump();
    expect(traversal.statusCode).toBe(404);
  });
});

describe.skipIf(!hasChromium)(chromiumTitle('the UI shell in Chromium'), () => {
  it('renders the list at #/ and the session view at #/s/{id} without console errors', async () => {
    const { page, errors } = await ui!.newPage();
    try {
      await page.goto(`${ui!.url}/#/`);
      await page.getByRole('heading', { name: 'Sessions' }).waitFor();
      await ui!.screenshot(page, 'shell-list-empty');
      await page.goto(`${ui!.url}/#/s/some-session/span/00f067aa0ba902b7`);
      await page.locator('.session-view').getByText('session view: some-session span 00f067aa0ba902b7').waitFor();
      await page.goto(`${ui!.url}/#/nowhere`);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
