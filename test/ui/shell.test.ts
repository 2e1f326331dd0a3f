import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStoredSessions } from './fixtures.js';
import { chromiumTitle, hasChromium, inCi, startUi, type UiHarness } from './harness.js';

let ui: UiHarness | undefined;
let tracesDir: string | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  tracesDir = await mkdtemp(join(tmpdir(), 'mcpscope-ui-shell-'));
  await writeStoredSessions(tracesDir, [{ id: 'shell-stored-1', title: 'a stored session', engine: 'workflow', status: 'failed', reason: 'step 3 failed: disk full', startedAt: new Date(Date.UTC(2026, 11, 1, 9)), spans: 4, errors: 1 }]);
  ui = await startUi({ tracesDir });
}, 60_000);
afterAll(async () => {
  await ui?.close();
  if (tracesDir) await rm(tracesDir, { recursive: true, force: true });
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
  it('routes #/ to the list, #/s/{id}[/span/{spanId}] to the session page with the view mounted, anything else to Not found', async () => {
    const { page, errors } = await ui!.newPage();
    try {
      await page.goto(`${ui!.url}/#/`);
      await page.getByRole('heading', { name: 'Sessions' }).waitFor();
      await page.locator('#sessions tr[data-session-id="shell-stored-1"]').click();
      await page.waitForURL(/#\/s\/shell-stored-1$/);
      await page.locator('#session-title').getByText('a stored session').waitFor();
      expect(await page.locator('#session-status').getAttribute('class')).toBe('badge badge-failed');
      expect(await page.locator('#session-reason').textContent()).toBe('Outcome: failed — step 3 failed: disk full');
      expect(await page.locator('#session-spans').textContent()).toBe('4');
      expect(await page.locator('.control-panel').isHidden()).toBe(true);
      await expect.poll(() => page.locator('.session-view-root > *').count()).toBeGreaterThan(0);
      await ui!.screenshot(page, 'shell-session-finished');
      await page.goto(`${ui!.url}/#/s/shell-stored-1/span/00f067aa0ba902b7`);
      await page.locator('#session-title').getByText('a stored session').waitFor();
      await page.goto(`${ui!.url}/#/s/no-such-session-1`);
      await page.locator('#session-message').getByText(/No session no-such-session-1/).waitFor();
      await page.goto(`${ui!.url}/#/nowhere`);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      // The unknown session's 404 is the only failed request.
      expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
      expect(errors).toHaveLength(1);
    } finally {
      await page.close();
    }
  });
});
