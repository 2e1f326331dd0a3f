import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, assertDistFresh } from '../distBuild.js';
import { stopChild } from '../../bench/stopChild.js';

/** The browser the UI tests drive. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** True when the browser is installed. */
export const hasChromium = existsSync(CHROMIUM);
/** Under CI the browser's absence fails (see {@link chromiumRequiredTest}) rather than skipping everything. */
export const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');
/** A describe title that says why the tests were skipped when they are. */
export function chromiumTitle(title: string): string {
  return hasChromium ? title : `${title} (skipped: no browser at ${CHROMIUM}; set CHROMIUM_PATH; under CI=true its absence fails)`;
}
/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts', 'ui');

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');

/** Options of {@link startUi}. */
export interface UiHarnessOptions {
  /** Extra arguments for `mcpscope serve --http`. */
  serveArgs?: string[];
  /** Extra environment for the gateway process. */
  env?: Record<string, string>;
  /** An existing traces dir (default: a fresh temp dir, removed at close). */
  tracesDir?: string;
  /** Browser viewport. Default 1280x800. */
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** A page opened by the harness, with its console errors. */
export interface UiPage {
  page: Page;
  /** Console errors, page errors and failed requests seen so far (tests assert none). */
  errors: string[];
}

/** A running gateway + browser. */
export interface UiHarness {
  /** Gateway base URL, e.g. `http://127.0.0.1:41234` (no credentials). */
  url: string;
  /** The URL `serve` printed for a browser (sign-in), exactly as printed. */
  printedUrl: string;
  /** The API token `serve` printed (for Bearer requests from the test). */
  token: string;
  tracesDir: string;
  /** Everything the gateway wrote on stderr so far. */
  stderr(): string;
  browser: Browser;
  /** The default browser context (one profile: cookies are shared by its pages). */
  context: BrowserContext;
  /** Opens a page in `context` (default: the shared one), collecting console errors. */
  newPage(context?: BrowserContext): Promise<UiPage>;
  /** Saves a screenshot (full page unless `fullPage: false`) as `test-artifacts/ui/<name>.png`; returns its path. */
  screenshot(page: Page, name: string, options?: { fullPage?: boolean }): Promise<string>;
  /** Closes the browser, stops the gateway (SIGTERM, then SIGKILL) and removes the temp dir. */
  close(): Promise<void>;
}

/**
 * Starts `mcpscope serve --http --port 0 --traces-dir <dir>` from the built dist/ as a child
 * process, waits for the URL it prints, and launches headless Chromium through playwright-core.
 * Fails fast (with the gateway's stderr) when the gateway exits or prints nothing in 20 s.
 */
export async function startUi(options: UiHarnessOptions = {}): Promise<UiHarness> {
  assertDistFresh();
  const ownDir = options.tracesDir === undefined ? await mkdtemp(join(tmpdir(), 'mcpscope-ui-')) : undefined;
  const tracesDir = options.tracesDir ?? ownDir!;
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--traces-dir', tracesDir, ...(options.serveArgs ?? [])], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '', ...options.env },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (stderr += c));
  let browser: Browser | undefined;
  try {
    const printed = await waitForPrinted(child, () => stderr);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
    const b = browser;
    let closing: Promise<void> | undefined;
    return {
      ...printed,
      tracesDir,
      stderr: () => stderr,
      browser: b,
      context,
      async newPage(ctx = context) {
        const page = await ctx.newPage();
        const errors: string[] = [];
        page.on('console', (m) => {
          // A failed request's message names no URL; its location does.
          if (m.type() === 'error') errors.push(`console: ${m.text()}${m.location().url ? ` (${m.location().url})` : ''}`);
        });
        page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
        return { page, errors };
      },
      async screenshot(page, name, shot = {}) {
        mkdirSync(ARTIFACTS_DIR, { recursive: true });
        const path = join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
        await page.screenshot({ path, fullPage: shot.fullPage ?? true });
        return path;
      },
      close() {
        closing ??= (async () => {
          await b.close().catch(() => undefined);
          await stopChild(child);
          if (ownDir) await rm(ownDir, { recursive: true, force: true });
        })();
        return closing;
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await stopChild(child);
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
    throw err;
  }
}

/** The lines `serve` prints: `gateway at <url>/#code=<one-time code>` and `API token: <token>`. */
function parsePrinted(text: string): { url: string; printedUrl: string; token: string } | undefined {
  const line = /gateway at (http:\/\/127\.0\.0\.1:\d+)(\/#code=[A-Za-z0-9_-]+)/.exec(text);
  const token = /API token: ([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!line || token === undefined) return undefined;
  return { url: line[1]!, printedUrl: line[1]! + line[2]!, token };
}

function waitForPrinted(child: ChildProcess, stderr: () => string): Promise<{ url: string; printedUrl: string; token: string }> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = parsePrinted(stderr());
      if (found) finish(() => resolve(found));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`mcpscope serve exited (${code}) before printing its URL: ${stderr()}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`mcpscope serve printed no URL in 20 s: ${stderr()}`))), 20_000);
    const finish = (then: () => void) => {
      clearTimeout(timer);
      child.stderr!.off('data', check);
      child.off('exit', onExit);
      then();
    };
    child.stderr!.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

// The one stop helper lives in bench/, which the UI bench (compiled apart from test/) shares.
export { stopChild };
