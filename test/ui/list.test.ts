import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxiedClient, writeStoredSessions, type StoredSession } from './fixtures.js';
import { chromiumTitle, hasChromium, startUi, type UiHarness, type UiPage } from './harness.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STATUSES = ['completed', 'failed', 'cancelled'] as const;
const ENGINES = ['proxy', 'workflow', 'otlp'] as const;
// 130 finished sessions, one a minute: more than a page (100), so "Load more" is needed to reach them all.
const STORED: StoredSession[] = Array.from({ length: 130 }, (_, i) => ({
  id: `stored-${String(i).padStart(3, '0')}`,
  title: i === 7 ? 'nightly import of invoices' : `stored session ${i}`,
  engine: ENGINES[i % 3]!,
  status: STATUSES[i % 3 === 0 ? 0 : i % 5 === 0 ? 1 : i % 7 === 0 ? 2 : 0]!,
  startedAt: new Date(Date.UTC(2026, 10, 1, 8, 0) + i * 60_000),
  spans: (i % 4) + 1,
  ...(i % 5 === 0 && i % 3 !== 0 ? { errors: 1, reason: 'tool failed: boom' } : {}),
}));

let tracesDir: string;
let ui: UiHarness;
let main: UiPage;
const clients: Client[] = [];

const rowIds = (page: Page) => page.locator('#sessions tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.sessionId!));
const cell = (page: Page, id: string, what: 'spans' | 'errors') => page.locator(`#sessions tr[data-session-id="${id}"] [data-${what}]`);

beforeAll(async () => {
  if (!hasChromium) return;
  tracesDir = await mkdtemp(join(tmpdir(), 'mcpscope-ui-list-'));
  await writeStoredSessions(tracesDir, STORED);
  ui = await startUi({ tracesDir });
  main = await ui.newPage();
  await main.page.goto(ui.printedUrl);
  await main.page.locator('#auth-state').getByText('signed in').waitFor();
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await ui?.close();
  if (tracesDir) await rm(tracesDir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)(chromiumTitle('session list'), () => {
  it('shows the newest first, pages with Load more until every session is reachable', async () => {
    const { page } = main;
    await page.locator('#connection[data-state="live"]').waitFor();
    await expect.poll(() => page.locator('#sessions tbody tr').count()).toBe(100);
    const firstPage = await rowIds(page);
    expect(firstPage[0]).toBe('stored-129');
    expect(firstPage[99]).toBe('stored-030');
    await expect.poll(() => page.locator('#list-count').textContent()).toBe('100+ shown');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('#sessions tbody tr').count()).toBe(130);
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    const all = await rowIds(page);
    expect(all).toEqual(STORED.map((s) => s.id).reverse());
    await ui.screenshot(page, 'list-1280x800', { fullPage: false });
    expect(main.errors).toEqual([]);
  });

  it('filters by status, engine and text; `/` focuses the text filter; arrows and Enter open a session', async () => {
    const { page } = main;
    const expected = (f: (s: StoredSession) => boolean) => STORED.filter(f).map((s) => s.id).reverse();
    await page.selectOption('#filter-status', 'failed');
    await expect.poll(() => rowIds(page)).toEqual(expected((s) => s.status === 'failed'));
    expect(await page.locator('#sessions .badge-failed').count()).toBe(expected((s) => s.status === 'failed').length);
    await page.selectOption('#filter-engine', 'workflow');
    await expect.poll(() => rowIds(page)).toEqual(expected((s) => s.status === 'failed' && s.engine === 'workflow'));
    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-engine', '');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-text');
    await page.keyboard.type('invoices');
    await expect.poll(() => rowIds(page)).toEqual(['stored-007']);
    await page.locator('#filter-text').fill('');
    await expect.poll(() => page.locator('#sessions tbody tr').count()).toBe(100);
    await page.locator('#filter-text').focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.sessionId)).toBe('stored-129');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.sessionId)).toBe('stored-128');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/s\/stored-128$/);
    await page.goBack();
    await page.locator('#sessions tbody tr').first().waitFor();
    expect(main.errors).toEqual([]);
  });

  it('a proxied session appears live, its counts grow while a client calls tools, status changes are announced', async () => {
    const { page } = main;
    const id = 'ui-list-live-1';
    const client = await proxiedClient(tracesDir, id);
    clients.push(client);
    await page.locator(`#sessions tr[data-session-id="${id}"] .badge-running`).waitFor({ timeout: 15_000 });
    expect((await rowIds(page))[0]).toBe(id);
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'echo', arguments: { message: `call ${i}` } });
    await expect.poll(async () => Number(await cell(page, id, 'spans').textContent()), { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
    await expect.poll(async () => Number(await cell(page, id, 'errors').textContent()), { timeout: 15_000 }).toBe(1);
    await ui.screenshot(page, 'list-live-running', { fullPage: false });
    await client.close();
    await page.locator(`#sessions tr[data-session-id="${id}"] .badge-failed`).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#announcer').textContent()).toMatch(/stdio: failed: 1 tool error/);
    expect(await page.locator(`#sessions tr[data-session-id="${id}"]`).count()).toBe(1);
    expect(main.errors).toEqual([]);
  });

  it('a reload mid-session resumes the stream after its last event: nothing twice, nothing missed', async () => {
    const { page } = main;
    const id = 'ui-list-reload-1';
    const client = await proxiedClient(tracesDir, id);
    clients.push(client);
    await page.locator(`#activity li[data-type="SessionStarted"]`).filter({ hasText: id }).waitFor({ timeout: 15_000 });
    const before = await page.locator('#activity li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.eventId!));
    // The session ends while the page reloads: the SessionFinished must arrive once, after the reload.
    const reloaded = page.reload();
    await client.close();
    await reloaded;
    await page.locator(`#activity li[data-type="SessionFinished"]`).filter({ hasText: id }).waitFor({ timeout: 15_000 });
    const after = await page.locator('#activity li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.eventId!));
    expect(new Set(after).size).toBe(after.length);
    for (const e of before) expect(after).toContain(e);
    expect(await page.locator('#activity li[data-type="SessionStarted"]').filter({ hasText: id }).count()).toBe(1);
    expect(await page.locator('#activity li[data-type="SessionFinished"]').filter({ hasText: id }).count()).toBe(1);
    expect(await page.locator(`#sessions tr[data-session-id="${id}"]`).count()).toBe(1);
    expect(main.errors).toEqual([]);
  });

  it('is usable at 390 px and in dark mode', async () => {
    const narrow = await ui.browser.newContext({ viewport: { width: 390, height: 800 }, colorScheme: 'dark' });
    try {
      const { page, errors } = await ui.newPage(narrow);
      await page.goto(ui.printedUrl.replace(/#.*/, '#/'));
      await page.locator('#sessions tbody tr').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(21, 23, 28)');
      await ui.screenshot(page, 'list-390-dark', { fullPage: false });
      expect(errors).toEqual([]);
    } finally {
      await narrow.close();
    }
  });
});
