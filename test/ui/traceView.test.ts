import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, ROOT } from '../e2e/proxyHelpers.js';
import { chromiumTitle, hasChromium, inCi, startUi, type UiHarness } from './harness.js';

const ID = 'ui-everything-1';

let ui: UiHarness | undefined;
let dir: string;
let client: Client | undefined;

/** A real MCP SDK client through the built `mcpscope proxy` in front of server-everything. */
async function proxiedClient(tracesDir: string, sessionId: string): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--title', 'server-everything via mcpscope proxy', '--', process.execPath, EVERYTHING, 'stdio'], cwd: ROOT, stderr: 'ignore' });
  const c = new Client({ name: 'ui-trace-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  c.setRequestHandler(CreateMessageRequestSchema, async (req) => ({ role: 'assistant', model: 'stub-model', content: { type: 'text', text: `answer to: ${JSON.stringify(req.params.messages[0]?.content)}` } }));
  await c.connect(transport);
  return c;
}

beforeAll(async () => {
  if (!hasChromium) return;
  dir = await mkdtemp(join(tmpdir(), 'mcpscope-uitrace-'));
  ui = await startUi({ tracesDir: dir });
  client = await proxiedClient(dir, ID);
  await client.listTools();
  await client.callTool({ name: 'echo', arguments: { message: 'hello from the ui test' } });
  await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
  await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
  await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
}, 90_000);
afterAll(async () => {
  await client?.close().catch(() => undefined);
  await ui?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it.runIf(inCi)('has a Chromium to run against (CI)', () => {
  expect(hasChromium, `CI=${process.env.CI} and no Chromium: install it or set CHROMIUM_PATH`).toBe(true);
});

/** Texts of the rendered tree rows' labels. */
function labels(page: Page): Promise<string[]> {
  return page.locator('.tv-tree .tv-row .tv-label').allTextContents();
}

describe.skipIf(!hasChromium)(chromiumTitle('the session view in Chromium (proxied server-everything)'), () => {
  it('shows the waterfall, the message log and a span’s details, with a shareable span link', async () => {
    const { page, errors } = await ui!.newPage();
    page.setDefaultTimeout(10_000);
    try {
      await page.goto(`${ui!.url}/#/s/${ID}`);
      await page.locator('.tv-row', { hasText: 'tools/call echo' }).first().waitFor();
      const names = await labels(page);
      expect(names).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call echo', 'tools/call get-sum', 'tools/call trigger-sampling-request', 'tools/call no-such-tool']));
      // The server's sampling request nests under the tool call that caused it (the one open then).
      const sampling = page.locator('.tv-row', { hasText: 'sampling/createMessage' });
      const samplingCall = page.locator('.tv-row', { hasText: 'tools/call trigger-sampling-request' });
      expect(await samplingCall.getAttribute('aria-level')).toBe('1');
      expect(await samplingCall.getAttribute('aria-expanded')).toBe('true');
      expect(await sampling.getAttribute('aria-level')).toBe('2');
      expect(names.indexOf('sampling/createMessage')).toBe(names.indexOf('tools/call trigger-sampling-request') + 1);
      // Waterfall: every visible row has a bar; the failed call is marked.
      const widths = await page.locator('.tv-row .tv-bar').evaluateAll((bars) => bars.map((b) => (b as HTMLElement).getBoundingClientRect().width));
      expect(widths.length).toBeGreaterThanOrEqual(names.length);
      expect(widths.every((w) => w >= 1)).toBe(true);
      expect(await page.locator('.tv-row.is-error', { hasText: 'no-such-tool' }).count()).toBe(1);
      // Charts: calls per tool, latency per method.
      await page.locator('.tv-charts svg[aria-label*="echo: 1 calls, 0 errors"]').waitFor();
      expect(await page.locator('.tv-charts svg[aria-label*="tools/list"]').count()).toBe(1);

      // Expand a span: its attributes, tool input and output; the address is a shareable link.
      await page.locator('.tv-row', { hasText: 'tools/call echo' }).click();
      const details = page.locator('.tv-details');
      await details.getByText('Tool input').waitFor();
      await details.locator('.tv-attrs th', { hasText: 'gen_ai.tool.name' }).waitFor();
      expect(await details.locator('.tv-attrs tr', { hasText: 'gen_ai.tool.name' }).locator('td').textContent()).toBe('echo');
      expect(await details.locator('.tv-readable').textContent()).toContain('hello from the ui test');
      expect(await details.locator('.tv-pair h4').allTextContents()).toEqual(['Request', 'Response']);
      const spanId = await page.evaluate(() => /\/span\/([0-9a-f]{16})$/.exec(location.hash)?.[1]);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      await ui!.screenshot(page, 'trace-session-view');

      // Zoom and pan the shared axis with keys: bars widen, the axis moves, 0 fits it again.
      const initBar = page.locator('.tv-row').filter({ has: page.locator('.tv-label', { hasText: /^initialize$/ }) }).locator('.tv-bar');
      const widthOf = async () => (await initBar.boundingBox())!.width;
      const fullWidth = await widthOf();
      const ticks = () => page.locator('.tv-tick').allTextContents();
      const fullTicks = await ticks();
      await page.keyboard.press('+');
      await expect.poll(async () => (await widthOf()) > fullWidth * 1.5 || (await ticks()).join() !== fullTicks.join()).toBe(true);
      await page.keyboard.press('Shift+ArrowRight');
      await expect.poll(async () => (await ticks())[0]).not.toBe(fullTicks[0]);
      await page.keyboard.press('0');
      await expect.poll(ticks).toEqual(fullTicks);
      expect(await widthOf()).toBeCloseTo(fullWidth, 0);

      // Keyboard: down moves the selection (and the link), up comes back.
      await page.keyboard.press('ArrowDown');
      await page.waitForFunction((id) => !location.hash.endsWith(id), spanId);
      await page.keyboard.press('ArrowUp');
      await page.waitForFunction((id) => location.hash.endsWith(`/span/${id}`), spanId);

      // The sampling span reads as a conversation.
      await sampling.click();
      await details.locator('.tv-conversation').first().waitFor();
      expect(await details.locator('.tv-readable').textContent()).toContain('stub-model');

      // Search: status:error finds the one failed call; Enter selects it.
      await page.keyboard.press('/');
      await page.keyboard.type('status:error');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('.tv-search-count').textContent()).toBe('1 / 1 match');
      await details.locator('h3', { hasText: 'tools/call no-such-tool' }).waitFor();
      // Text that is only in a payload: found once the search reads the payloads too.
      const count = () => page.locator('.tv-search-count').textContent();
      await page.locator('.tv-search-text').fill('HELLO from the ui');
      await expect.poll(count).toBe('no match');
      await page.getByLabel('in payloads').check();
      await expect.poll(count).toBe('1 match');
      await page.locator('.tv-search-text').press('Enter');
      await details.locator('h3', { hasText: 'tools/call echo' }).waitFor();
      await page.locator('.tv-search-text').press('Escape');
      await expect.poll(count).toBe('');

      // Message log: requests in, responses out, paired.
      await page.getByRole('tab', { name: 'Messages' }).click();
      const echoMsgs = page.locator('.tv-mrow', { hasText: 'tools/call echo' });
      await echoMsgs.first().waitFor();
      expect(await echoMsgs.count()).toBe(2);
      expect(await echoMsgs.nth(0).locator('.tv-dir').textContent()).toBe('→ in');
      expect(await echoMsgs.nth(0).locator('.tv-mtext').textContent()).toBe('tools/call echo');
      expect(await echoMsgs.nth(1).locator('.tv-dir').textContent()).toBe('← out');
      expect(await echoMsgs.nth(1).locator('.tv-mtext').textContent()).toBe('result: tools/call echo');
      expect(await echoMsgs.nth(0).locator('.tv-mid').textContent()).toBe(await echoMsgs.nth(1).locator('.tv-mid').textContent());
      // The server's sampling request goes out, its answer comes in.
      expect(await page.locator('.tv-mrow', { hasText: 'sampling/createMessage' }).locator('.tv-dir').allTextContents()).toEqual(['← out', '→ in']);
      await ui!.screenshot(page, 'trace-message-log');

      // The shareable link opens the same span in a fresh page.
      const again = await ui!.newPage();
      await again.page.goto(`${ui!.url}/#/s/${ID}/span/${spanId}`);
      await again.page.locator('.tv-details h3', { hasText: 'tools/call echo' }).waitFor();
      expect(await again.page.locator('.tv-row.is-selected .tv-label').textContent()).toBe('tools/call echo');
      await again.page.close();
      expect(errors).toEqual([]);
      expect(again.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('tails a live session: calls made through the proxy while the page is open appear without a reload', async () => {
    const { page, errors } = await ui!.newPage();
    page.setDefaultTimeout(10_000);
    try {
      await page.goto(`${ui!.url}/#/s/${ID}`);
      await page.locator('.tv-progress', { hasText: 'live' }).waitFor();
      const echoRows = page.locator('.tv-row', { hasText: 'tools/call echo' });
      const before = await echoRows.count();
      expect(before).toBeGreaterThanOrEqual(1);
      await client!.callTool({ name: 'echo', arguments: { message: 'live one' } });
      await expect.poll(() => echoRows.count(), { timeout: 10_000 }).toBe(before + 1);
      await client!.callTool({ name: 'get-sum', arguments: { a: 40, b: 2 } });
      await client!.callTool({ name: 'echo', arguments: { message: 'live two' } });
      await expect.poll(() => echoRows.count(), { timeout: 10_000 }).toBe(before + 2);
      // The new spans are whole: open the last one and read its input.
      await echoRows.last().click();
      await page.locator('.tv-details .tv-readable', { hasText: 'live two' }).waitFor();
      // The message log and the charts follow too.
      await expect.poll(() => page.locator('.tv-charts svg[aria-label^="echo:"]').getAttribute('aria-label')).toContain(`echo: ${before + 2} calls`);
      await page.getByRole('tab', { name: 'Messages' }).click();
      // The log renders after the tab switch: poll, as for every other view.
      await expect.poll(() => page.locator('.tv-mrow', { hasText: 'tools/call echo' }).count(), { timeout: 10_000 }).toBe(2 * (before + 2));
      await ui!.screenshot(page, 'trace-live-tail');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('is usable 390 px wide in dark mode: no sideways scrolling, details below the tree', async () => {
    const context = await ui!.browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      const { page, errors } = await ui!.newPage(context);
      page.setDefaultTimeout(10_000);
      await page.goto(`${ui!.url}/#/s/${ID}`);
      await page.locator('.tv-row', { hasText: 'tools/call echo' }).first().click();
      await page.locator('.tv-details').getByText('Tool input').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const [tree, details] = await Promise.all([page.locator('.tv-main').boundingBox(), page.locator('.tv-details').boundingBox()]);
      expect(details!.y).toBeGreaterThan(tree!.y + tree!.height - 1);
      // Dark: the page background follows prefers-color-scheme.
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe('rgb(255, 255, 255)');
      await ui!.screenshot(page, 'trace-390-dark');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
