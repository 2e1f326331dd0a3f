import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBigSession } from '../../bench/uiTraceFixture.js';
import { chromiumTitle, hasChromium, startUi, type UiHarness } from './harness.js';

const ID = 'ui-big-50k';
const COUNT = 50_000;

let ui: UiHarness | undefined;
let names: { firstName: string; lastName: string; lastRowName: string };

beforeAll(async () => {
  if (!hasChromium) return;
  ui = await startUi();
  names = await writeBigSession(ui.tracesDir, ID, COUNT);
}, 120_000);
afterAll(async () => {
  await ui?.close();
});

describe.skipIf(!hasChromium)(chromiumTitle('a 50,000-span session in Chromium'), () => {
  it('shows its first rows while loading, renders only the rows in view, and scrolls to its end', async () => {
    const { page, errors } = await ui!.newPage();
    page.setDefaultTimeout(20_000);
    try {
      await page.goto(`${ui!.url}/#/s/${ID}`);
      await page.locator('.tv-row .tv-label', { hasText: names.firstName }).first().waitFor();
      await page.locator('.trace-view[data-loaded="true"]').waitFor({ timeout: 60_000 });
      await page.locator('.tv-progress', { hasText: `${COUNT.toLocaleString('en')} spans` }).waitFor();
      // Virtual list: a screenful of rows in the DOM, not 50,000.
      expect(await page.locator('.tv-tree .tv-row').count()).toBeLessThan(80);
      // Sampling requests nest under the call that made them.
      expect(await page.locator('.tv-row', { hasText: 'sampling/createMessage' }).first().getAttribute('aria-level')).toBe('2');

      // Keyboard to the end: End selects the last row, which is rendered and in view.
      await page.locator('.tv-row').first().click();
      await page.keyboard.press('End');
      const last = page.locator('.tv-row.is-selected .tv-label');
      await expect.poll(() => last.textContent()).toBe(names.lastRowName);
      expect(await last.isVisible()).toBe(true);
      await page.locator('.tv-details h3', { hasText: names.lastRowName }).waitFor();
      // Scrolled by the wheel back to the top and to the end again: rows keep up with the scroll.
      const viewport = page.locator('.tv-tree .tv-viewport');
      await viewport.evaluate((el) => (el.scrollTop = 0));
      await page.locator('.tv-row .tv-label', { hasText: names.firstName }).first().waitFor();
      await viewport.hover();
      for (let i = 0; i < 5; i++) await page.mouse.wheel(0, 400_000);
      await page.locator('.tv-row .tv-label', { hasText: names.lastName }).waitFor();
      expect(await viewport.evaluate((el) => Math.round(el.scrollTop + el.clientHeight - el.scrollHeight))).toBe(0);
      await ui!.screenshot(page, 'trace-50k-end');

      // Search across all 50,000: every 50th call failed.
      await page.keyboard.press('/');
      await page.keyboard.type('status:error');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('.tv-search-count').textContent()).toMatch(/^1 \/ 9\d\d matches$/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
