import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startGateway } from '../src/http/startGateway.js';
import { fmt, percentile, type BenchSuite } from './benchRow.js';
import { writeBigSession } from './uiTraceFixture.js';

const ID = 'bench-ui-50k';
const COUNT = 50_000;
const RUNS = 3;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The page's JS heap after a full garbage collection, in bytes (CDP Runtime.getHeapUsage). */
async function heapAfterGc(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.enable');
    for (let i = 0; i < 2; i++) await cdp.send('HeapProfiler.collectGarbage');
    const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  } finally {
    await cdp.detach();
  }
}

interface ViewRun {
  /** From navigation start to the first rendered rows. */
  firstRowsMs: number;
  /** From navigation start to every span loaded. */
  loadedMs: number;
  heap: number;
  /** p95 of frame intervals while scrolling through the whole list. */
  scrollFrameP95: number;
}

/** Opens the session view and measures it. */
async function runView(browser: Browser, url: string): Promise<ViewRun> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`${url}/#/s/${ID}`);
    const view = page.locator('.trace-view[data-loaded="true"]');
    await view.waitFor({ timeout: 120_000 });
    const firstRowsMs = Number(await view.getAttribute('data-first-rows-at'));
    const loadedMs = Number(await view.getAttribute('data-loaded-at'));
    const heap = await heapAfterGc(page);
    // Scroll the list from top to bottom in 120 frames and time the frames.
    // Page code as text: bench/ compiles against Node's types, not the DOM's.
    const frames = (await page.evaluate(`(async () => {
      const vp = document.querySelector('.tv-tree .tv-viewport');
      const step = (vp.scrollHeight - vp.clientHeight) / 120;
      const deltas = [];
      let last = performance.now();
      for (let i = 1; i <= 120; i++) {
        vp.scrollTop = step * i;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        deltas.push(now - last);
        last = now;
      }
      return deltas;
    })()`)) as number[];
    return { firstRowsMs, loadedMs, heap, scrollFrameP95: percentile(frames, 95) };
  } finally {
    await page.close();
  }
}

/** The naive page: fetch the whole NDJSON and JSON.parse every line, keeping the spans. */
async function runNaive(browser: Browser, url: string): Promise<{ parsedMs: number; heap: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`${url}/#/`);
    const parsedMs = (await page.evaluate(`(async () => {
      const t0 = performance.now();
      const text = await (await fetch('/_inspector/trace/${ID}', { cache: 'no-store' })).text();
      window.naiveSpans = text.split('\\n').filter(Boolean).map((line) => JSON.parse(line));
      return performance.now() - t0;
    })()`)) as number;
    const heap = await heapAfterGc(page);
    return { parsedMs, heap };
  } finally {
    await page.close();
  }
}

const median = (xs: number[]) => percentile(xs, 50);
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

/**
 * `npm run bench ui`: a 50,000-span session (about 117 MB of NDJSON, written by the store's
 * TraceWriter) opened in headless Chromium against an in-process gateway: time from navigation
 * to the first rendered rows, to every span loaded, the page's JS heap after loading, and frame
 * times while scrolling, beside the naive page (fetch the NDJSON whole, JSON.parse every line),
 * run alternately in the same browser. Times are from navigation start (they include loading
 * the page's own script).
 */
export const uiBench: BenchSuite = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpscope-bench-ui-'));
  const gateway = await startGateway({ host: '127.0.0.1', port: 0, tracesDir: dir, log: () => undefined });
  let browser: Browser | undefined;
  try {
    await writeBigSession(dir, ID, COUNT);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
    const views: ViewRun[] = [];
    const naive: { parsedMs: number; heap: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      views.push(await runView(browser, gateway.url));
      naive.push(await runNaive(browser, gateway.url));
    }
    const first = median(views.map((v) => v.firstRowsMs));
    const loaded = median(views.map((v) => v.loadedMs));
    const heap = median(views.map((v) => v.heap));
    const frame = median(views.map((v) => v.scrollFrameP95));
    const naiveMs = median(naive.map((n) => n.parsedMs));
    const naiveHeap = median(naive.map((n) => n.heap));
    return [
      { name: `ui: open 50,000-span session, first rows (median of ${RUNS})`, measured: `${fmt(first)} ms`, target: '< 1,000 ms', baseline: `naive fetch + JSON.parse all: first rows at ${fmt(naiveMs)} ms`, ok: first < 1000 },
      { name: 'ui: 50,000-span session, all spans loaded', measured: `${fmt(loaded)} ms`, target: '- (progressive)', baseline: `naive ${fmt(naiveMs)} ms`, ok: true },
      { name: 'ui: page JS heap after loading 50,000 spans', measured: mb(heap), target: '< 150 MB', baseline: `naive ${mb(naiveHeap)}`, ok: heap < 150 * 1024 * 1024 },
      { name: 'ui: scrolling all 50,000 rows, p95 frame', measured: `${fmt(frame, 1)} ms`, target: '<= 34 ms (30 fps)', baseline: '-', ok: frame <= 34 },
    ];
  } finally {
    await browser?.close().catch(() => undefined);
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  }
};
