import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../distBuild.js';
import { proxiedClient } from './fixtures.js';
import { chromiumTitle, hasChromium, startUi, stopChild, type UiHarness, type UiPage } from './harness.js';

let tracesDir: string;
let ui: UiHarness;
let tab: UiPage;
const clients: Client[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  tracesDir = await mkdtemp(join(tmpdir(), 'mcpscope-ui-control-'));
  ui = await startUi({ tracesDir });
  tab = await ui.newPage();
  await tab.page.goto(ui.printedUrl);
  await tab.page.locator('#auth-state').getByText('signed in').waitFor();
}, 60_000);
beforeEach(() => {
  // One tab for all cases: each checks the console errors of its own steps.
  if (tab) tab.errors.length = 0;
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const child of children.splice(0)) await stopChild(child);
});
afterAll(async () => {
  await ui?.close();
  if (tracesDir) await rm(tracesDir, { recursive: true, force: true });
});

/** Starts a node script as a live workflow; resolves with it and its session id once it printed `session <id>`. */
function startWorkflow(script: string, args: string[]): Promise<{ child: ChildProcess; sessionId: string; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no session line in 20 s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /^session (\S+)$/m.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, sessionId: m[1]!, exited, stderr: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`workflow exited ${code}: ${stderr}`));
    });
  });
}

/**
 * Opens the session's page once the gateway knows the session. A workflow prints its id before the
 * gateway's watcher has seen its files; a page opened in that gap gets a 404 (which it recovers
 * from on SessionStarted, but the browser logs it, and these tests assert a clean console).
 */
async function openSession(page: Page, sessionId: string): Promise<void> {
  const detail = `${ui.url}/_inspector/sessions/${encodeURIComponent(sessionId)}`;
  let status = 0;
  for (let i = 0; i < 200 && status !== 200; i++) {
    status = (await page.request.get(detail)).status();
    if (status !== 200) await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toBe(200);
  await page.goto(`${ui.url}/#/s/${sessionId}`);
  await page.locator('#session-id').getByText(sessionId).waitFor();
}

/** Settles a promise into an observable state, so a test can assert it is still pending. */
function track<T>(p: Promise<T>): { state: () => 'pending' | 'fulfilled' | 'rejected'; value: () => T | undefined; error: () => unknown; done: Promise<unknown> } {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  let value: T | undefined;
  let error: unknown;
  const done = p.then(
    (v) => ((state = 'fulfilled'), (value = v)),
    (e: unknown) => ((state = 'rejected'), (error = e)),
  );
  return { state: () => state, value: () => value, error: () => error, done };
}

const textOf = (r: unknown) => ((r as { content?: { type: string; text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('');

describe.skipIf(!hasChromium)(chromiumTitle('controlling live sessions from the page'), () => {
  it('pause holds the client\'s next call (listed as held), step lets one through, resume answers the rest', async () => {
    const { page, errors } = tab;
    const id = 'ui-control-pause-1';
    const client = await proxiedClient(tracesDir, id);
    clients.push(client);
    await client.callTool({ name: 'echo', arguments: { message: 'before' } });
    await openSession(page, id);
    await page.locator('.control-panel').waitFor();
    await page.locator('#control-pause').click();
    await page.locator('#session-status[data-status="paused"]').waitFor();
    expect(await page.locator('#control-resume').isEnabled()).toBe(true);
    const call = track(client.callTool({ name: 'echo', arguments: { message: 'held by pause' } }));
    const held = page.locator('#held-list li[data-awaiting-approval="false"]');
    await held.filter({ hasText: 'tools/call' }).filter({ hasText: 'echo' }).waitFor({ timeout: 15_000 });
    // The page shows it held: the proxy has it, and the client has no answer.
    expect(call.state()).toBe('pending');
    await ui.screenshot(page, 'control-paused-held', { fullPage: false });
    // Step lets that one call through; the session stays paused and holds the next.
    await page.locator('#control-step').click();
    await call.done;
    expect(textOf(call.value())).toContain('held by pause');
    expect(await page.locator('#session-status').getAttribute('data-status')).toBe('paused');
    await expect.poll(() => held.count()).toBe(0);
    const next = track(client.callTool({ name: 'echo', arguments: { message: 'held again' } }));
    await held.filter({ hasText: 'echo' }).waitFor({ timeout: 15_000 });
    expect(next.state()).toBe('pending');
    await page.locator('#control-resume').click();
    await next.done;
    expect(next.state()).toBe('fulfilled');
    expect(textOf(next.value())).toContain('held again');
    await page.locator('#session-status[data-status="running"]').waitFor();
    await expect.poll(() => page.locator('#held-list li').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('approves one and rejects another breakpointed call (with a reason) from the held list', async () => {
    const { page, errors } = tab;
    const id = 'ui-control-break-1';
    const client = await proxiedClient(tracesDir, id, ['--break-on', 'tools/call:echo']);
    clients.push(client);
    await openSession(page, id);
    const first = track(client.callTool({ name: 'echo', arguments: { message: 'approve me' } }));
    const second = track(client.callTool({ name: 'echo', arguments: { message: 'reject me' } }));
    const rows = page.locator('#held-list li[data-awaiting-approval="true"]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await page.locator('#session-status').filter({ hasText: 'waiting: approval' }).waitFor();
    expect([first.state(), second.state()]).toEqual(['pending', 'pending']);
    await ui.screenshot(page, 'control-breakpoints', { fullPage: false });
    // A reload mid-session shows the same held requests, each once.
    await page.reload();
    await page.locator('#session-id').getByText(id).waitFor();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await page.setViewportSize({ width: 390, height: 800 });
    await ui.screenshot(page, 'control-breakpoints-390', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
    // Arrival order: the first call is the first row.
    await rows.nth(0).getByRole('button', { name: 'Approve' }).click();
    await first.done;
    expect(textOf(first.value())).toContain('approve me');
    await expect.poll(() => rows.count()).toBe(1);
    expect(second.state()).toBe('pending');
    await rows.nth(0).getByRole('textbox').fill('not on a Friday');
    await rows.nth(0).getByRole('button', { name: 'Reject' }).click();
    await second.done;
    const rejected = second.state() === 'rejected' ? String(second.error()) : textOf(second.value());
    expect(rejected).toContain('not on a Friday');
    await expect.poll(() => rows.count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('answers the example workflow\'s named signal from the generated form: invalid first (message, still waiting), then valid (completes)', async () => {
    const { page, errors } = tab;
    const wf = await startWorkflow(join(REPO_ROOT, 'examples', 'workflow.mjs'), ['--traces-dir', tracesDir, '--title', 'ui import']);
    await openSession(page, wf.sessionId);
    const form = page.locator('form.waiter[data-signal="approve_plan"]');
    await form.waitFor({ timeout: 15_000 });
    await form.getByText('Approve the plan to import 42 rows?').waitFor();
    await page.locator('#session-status').filter({ hasText: 'waiting: approve_plan' }).waitFor();
    await form.getByLabel('approved').check();
    await form.getByLabel('budget').fill('150');
    await form.getByRole('button', { name: 'Send approve_plan' }).click();
    await form.locator('.field-error').filter({ hasText: 'must be <= 100' }).waitFor();
    await ui.screenshot(page, 'control-signal-invalid');
    // Still waiting: the form is there, the process runs.
    expect(await form.isVisible()).toBe(true);
    expect(wf.child.exitCode).toBeNull();
    await form.getByLabel('budget').fill('40');
    await form.getByRole('button', { name: 'Send approve_plan' }).click();
    await page.locator('#session-status[data-status="completed"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#announcer').textContent()).toContain('This session is completed');
    expect(await wf.exited).toBe(0);
    expect(await page.locator('form.waiter').count()).toBe(0);
    expect(await page.locator('.control-panel').isHidden()).toBe(true);
    await ui.screenshot(page, 'control-signal-completed');
    expect(errors).toEqual([]);
  });

  it('shows the gateway\'s validation message for a value the form cannot check, and the session keeps waiting', async () => {
    const { page, errors } = tab;
    const wf = await startWorkflow(join(REPO_ROOT, 'test', 'ui', 'fixtures', 'codeWorkflow.mjs'), [tracesDir]);
    await openSession(page, wf.sessionId);
    const form = page.locator('form.waiter[data-signal="enter_code"]');
    await form.waitFor({ timeout: 15_000 });
    await form.getByLabel('code').fill('abc');
    await form.getByRole('button', { name: 'Send enter_code' }).click();
    await form.locator('.form-error').filter({ hasText: /invalid payload for signal 'enter_code'.*code/ }).waitFor();
    expect(wf.child.exitCode).toBeNull();
    await page.locator('#session-status').filter({ hasText: 'waiting: enter_code' }).waitFor();
    await form.getByLabel('code').fill('ABC');
    await form.getByRole('button', { name: 'Send enter_code' }).click();
    await page.locator('#session-status[data-status="completed"]').waitFor({ timeout: 15_000 });
    expect(wf.stderr()).toContain('answer {"code":"ABC"}');
    // The browser logs the refused request (400); nothing else.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('falls back to a JSON text area for a schema it cannot turn into fields, and renders an enum as a choice', async () => {
    const { page, errors } = tab;
    const wf = await startWorkflow(join(REPO_ROOT, 'test', 'ui', 'fixtures', 'jsonWorkflow.mjs'), [tracesDir]);
    await openSession(page, wf.sessionId);
    const tags = page.locator('form.waiter[data-signal="set_tags"]');
    await tags.waitFor({ timeout: 15_000 });
    const area = tags.getByLabel('Payload (JSON)');
    expect(await area.inputValue()).toBe('{}');
    await area.fill('{"tags": [');
    await tags.getByRole('button', { name: 'Send set_tags' }).click();
    await tags.locator('.field-error').filter({ hasText: 'not valid JSON' }).waitFor();
    await area.fill('{"tags": []}');
    await tags.getByRole('button', { name: 'Send set_tags' }).click();
    await tags.locator('.form-error').filter({ hasText: /invalid payload for signal 'set_tags'.*tags/ }).waitFor();
    await area.fill('{"tags": ["urgent", "billing"]}');
    await tags.getByRole('button', { name: 'Send set_tags' }).click();
    const priority = page.locator('form.waiter[data-signal="set_priority"]');
    await priority.waitFor({ timeout: 15_000 });
    expect(await page.locator('form.waiter[data-signal="set_tags"]').count()).toBe(0);
    expect(await priority.getByLabel('level').locator('option').allTextContents()).toEqual(['low', 'high']);
    await priority.getByLabel('level').selectOption({ label: 'high' });
    await priority.getByLabel('note').fill('much too long');
    await priority.getByRole('button', { name: 'Send set_priority' }).click();
    await priority.locator('.field-error').filter({ hasText: 'at most 10 characters' }).waitFor();
    await priority.getByLabel('note').fill('today');
    await priority.getByRole('button', { name: 'Send set_priority' }).click();
    await page.locator('#session-status[data-status="completed"]').waitFor({ timeout: 15_000 });
    expect(wf.stderr()).toContain('tags {"tags":["urgent","billing"]}');
    expect(wf.stderr()).toContain('priority {"level":"high","note":"today"}');
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('cancels a live session (with a reason) from the panel', async () => {
    const { page, errors } = tab;
    const wf = await startWorkflow(join(REPO_ROOT, 'examples', 'workflow.mjs'), ['--traces-dir', tracesDir, '--title', 'to cancel']);
    await openSession(page, wf.sessionId);
    await page.locator('form.waiter').waitFor({ timeout: 15_000 });
    expect(await page.locator('#control-cancel-confirm').isHidden()).toBe(true);
    await page.locator('#control-cancel').click();
    await page.locator('#cancel-reason').fill('wrong input file');
    await page.locator('#control-cancel-confirm').click();
    await page.locator('#session-status[data-status="cancelled"]').waitFor({ timeout: 15_000 });
    await page.locator('#session-reason').filter({ hasText: 'wrong input file' }).waitFor();
    expect(await wf.exited).toBe(3);
    expect(errors).toEqual([]);
  });
});
