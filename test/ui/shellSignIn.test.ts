import type { BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../until.js';
import { chromiumTitle, hasChromium, startUi, type UiHarness } from './harness.js';

let ui: UiHarness;

beforeAll(async () => {
  if (hasChromium) ui = await startUi();
}, 60_000);
afterAll(async () => {
  await ui?.close();
});

/** Every URL the context requested, and every URL its pages' main frames committed to. */
function recordUrls(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  context.on('page', (p) => p.on('framenavigated', (f) => urls.push(f.url())));
  return urls;
}

/** The URLs of the page's session history (what the browser keeps for Back/Forward and restores). */
async function historyUrls(context: BrowserContext, page: Page): Promise<string[]> {
  const cdp = await context.newCDPSession(page);
  try {
    const { entries } = (await cdp.send('Page.getNavigationHistory')) as { entries: { url: string }[] };
    return entries.map((e) => e.url);
  } finally {
    await cdp.detach();
  }
}

async function post(path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; code?: string }> {
  const res = await request(`${ui.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.body.json().catch(() => ({}))) as { error?: { code?: string } };
  return { status: res.statusCode, ...(json.error?.code ? { code: json.error.code } : {}) };
}

describe.skipIf(!hasChromium)(chromiumTitle('sign-in from the printed link'), () => {
  it('signs in with the one-time code, sets an HttpOnly SameSite=Strict cookie, and the token is in no URL or history entry', async () => {
    const code = /#code=([A-Za-z0-9_-]+)/.exec(ui.printedUrl)![1]!;
    expect(ui.printedUrl).not.toContain(ui.token);
    const urls = recordUrls(ui.context);
    const { page, errors } = await ui.newPage();
    await page.goto(ui.printedUrl);
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.locator('#auth-state').getByText('signed in').waitFor();
    expect(page.url()).toBe(`${ui.url}/#/`);
    const cookies = await ui.context.cookies(ui.url);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: `mcpscope_${new URL(ui.url).port}`, httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies[0]!.value).not.toBe(ui.token);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await ui.screenshot(page, 'signin-signed-in-list');

    // A second tab of the same browser is signed in too, and may steer (a POST with the cookie).
    const second = await ui.newPage();
    await second.page.goto(`${ui.url}/`);
    await second.page.locator('#auth-state').getByText('signed in').waitFor();
    const steer = await second.page.evaluate(async () => {
      const r = await fetch('/_inspector/cancel/no-such-session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return { status: r.status, body: (await r.json()) as { error?: { code?: string } } };
    });
    expect(steer.body.error?.code).not.toBe('UNAUTHORIZED');
    expect(steer.status).toBe(404);

    const history = [...(await historyUrls(ui.context, page)), ...(await historyUrls(ui.context, second.page))];
    expect(history.length).toBeGreaterThan(0);
    for (const url of [...urls, ...history]) expect(url).not.toContain(ui.token);
    // The code left the address bar (and the history entry) before the page made any request.
    expect(history.filter((u) => u.includes(code))).toEqual([]);
    expect(urls.filter((u) => u.includes(code) && !u.startsWith(`${ui.url}/#code=`))).toEqual([]);
    // Real browsers would show these; a 404 for the test's own cancel is expected.
    expect(errors).toEqual([]);
    expect(second.errors.filter((e) => !/404/.test(e))).toEqual([]);
    // Signing out in one tab ends the sign-in of the browser: steering is refused again.
    await second.page.getByRole('button', { name: 'Sign out' }).click();
    await second.page.locator('#auth-state').getByText('Sign in to steer sessions').waitFor();
    expect(await ui.context.cookies(ui.url)).toEqual([]);
    const refused = await page.evaluate(async () => (await fetch('/_inspector/cancel/no-such-session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
    expect(refused).toBe(403);
    await page.close();
    await second.page.close();
  });

  it('a used code shows how to get in, the pasted token signs in, and serve printed a fresh link that works once', async () => {
    const code = /#code=([A-Za-z0-9_-]+)/.exec(ui.printedUrl)![1]!;
    // Wait for the first test's sign-in to have been logged with a fresh link.
    const fresh = await until(() => /signed in; sign-in link for another browser: (http:\S+)/.exec(ui.stderr())?.[1], 'a fresh sign-in link on stderr');
    const other = await ui.browser.newContext({ viewport: { width: 390, height: 800 } });
    const urls = recordUrls(other);
    try {
      const { page, errors } = await ui.newPage(other);
      await page.goto(ui.printedUrl);
      await page.getByRole('heading', { name: 'Sign in to mcpscope' }).waitFor();
      await expectText(page, '#sign-in-problem', /already used/);
      await ui.screenshot(page, 'signin-code-used-390');
      expect(await other.cookies(ui.url)).toEqual([]);
      await page.getByLabel('Access token').fill('not-the-token-at-all');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'not the access token' }).waitFor();
      await page.getByLabel('Access token').fill(ui.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Sessions' }).waitFor();
      expect((await other.cookies(ui.url)).map((c) => c.httpOnly)).toEqual([true]);
      for (const url of [...urls, ...(await historyUrls(other, page))]) expect(url).not.toContain(ui.token);
      // The browser reports the two refused sign-ins (403); nothing else went wrong.
      expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
      expect(errors).toHaveLength(2);
      await page.close();
    } finally {
      await other.close();
    }
    // The fresh link works once, in a third browser profile.
    const third = await ui.browser.newContext();
    try {
      const { page } = await ui.newPage(third);
      await page.goto(fresh);
      await page.locator('#auth-state').getByText('signed in').waitFor();
      await page.close();
    } finally {
      await third.close();
    }
    expect(await post('/_inspector/login', {}, { code: /#code=(\S+)/.exec(fresh)![1] })).toEqual({ status: 403, code: 'SIGN_IN_CODE_INVALID' });
    expect(await post('/_inspector/login', {}, { code })).toEqual({ status: 403, code: 'SIGN_IN_CODE_INVALID' });
    expect(await post('/_inspector/login', {}, { code: 'x'.repeat(22) })).toEqual({ status: 403, code: 'SIGN_IN_CODE_INVALID' });
    expect(await post('/_inspector/login', {}, { code, token: ui.token })).toEqual({ status: 400, code: 'INVALID_ARGUMENT' });
  });

  it('API clients keep using Bearer; a cookie alone cannot change state without an Origin', async () => {
    expect(await post('/_inspector/cancel/no-such-session', { authorization: `Bearer ${ui.token}` }, {})).toEqual({ status: 404, code: 'SESSION_NOT_FOUND' });
    expect(await post('/_inspector/cancel/no-such-session', {}, {})).toEqual({ status: 403, code: 'UNAUTHORIZED' });
    const login = await request(`${ui.url}/_inspector/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ui.token }) });
    await login.body.dump();
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = setCookie.split(';')[0]!;
    expect(await post('/_inspector/cancel/no-such-session', { cookie }, {})).toEqual({ status: 403, code: 'UNAUTHORIZED' });
    expect(await post('/_inspector/cancel/no-such-session', { cookie, origin: ui.url }, {})).toEqual({ status: 404, code: 'SESSION_NOT_FOUND' });
    expect(await post('/_inspector/cancel/no-such-session', { cookie, origin: 'http://127.0.0.1:1' }, {})).toEqual({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    // A wrong token next to a good cookie is refused, not ignored.
    expect(await post('/_inspector/cancel/no-such-session', { cookie, origin: ui.url, authorization: 'Bearer wrong-token-wrong-token' }, {})).toEqual({ status: 403, code: 'UNAUTHORIZED' });
    const state = await request(`${ui.url}/_inspector/auth`, { headers: { cookie } });
    expect(await state.body.json()).toEqual({ signed_in: true, via: 'cookie', sign_in_required_to_read: false });
    expect(await post('/_inspector/logout', { cookie, origin: ui.url }, {})).toEqual({ status: 200 });
    expect(await post('/_inspector/cancel/no-such-session', { cookie, origin: ui.url }, {})).toEqual({ status: 403, code: 'UNAUTHORIZED' });
  });
});

async function expectText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.locator(selector).filter({ hasText: pattern }).waitFor();
}
