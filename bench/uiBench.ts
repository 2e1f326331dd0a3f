import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fmt, percentile, type BenchSuite } from './benchRow.js';
import { stopChild } from './stopChild.js';
import { writeBigSession } from './uiTraceFixture.js';

const ID = 'bench-ui-50k';
const COUNT = 50_000;
const RUNS = 3;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The built CLI (this file runs as dist/bench/uiBench.js). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

/** Starts `mcpscope serve --http` on a free port, as a user would; resolves with its base URL. */
function startServe(tracesDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--traces-dir', tracesDir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '' } });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no URL in 20 s: ${err}`));
    }, 20_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      err += c;
      const m = /gateway at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}): ${err}`));
    });
  });
}

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
  /** Script + style + layout per frame while scrolling 240 px a frame, ms. */
  wheelWorkMs: number;
  /** p95 frame interval scrolling 240 px (10 rows) a frame, like a wheel. */
  wheelFrameP95: number;
  /** The same without scrolling: what a frame costs this browser here at all. */
  idleFrameP95: number;
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
    const frameTimes = (scroll: boolean, px?: number) => `(async () => {
      const vp = document.querySelector('.tv-tree .tv-viewport');
      const step = ${px ?? '(vp.scrollHeight - vp.clientHeight) / 120'};
      vp.scrollTop = 0;
      const deltas = [];
      await new Promise((r) => requestAnimationFrame(r));
      let last = performance.now();
      for (let i = 1; i <= 120; i++) {
        if (${scroll}) vp.scrollTop = step * i;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        deltas.push(now - last);
        last = now;
      }
      return deltas;
    })()`;
    const idle = (await page.evaluate(frameTimes(false))) as number[];
    const frames = (await page.evaluate(frameTimes(true))) as number[];
    // What the page's own work costs per frame (script, style, layout), beside the frame
    // interval, which on a headless software-rendered browser is mostly raster and paint.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metric = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [m.name, m.value]));
    const before = await metric();
    const wheel = (await page.evaluate(frameTimes(true, 240))) as number[];
    const after = await metric();
    await cdp.detach();
    const work = (['ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration'] as const).reduce((sum, k) => sum + ((after[k] ?? 0) - (before[k] ?? 0)), 0);
    return { firstRowsMs, loadedMs, heap, scrollFrameP95: percentile(frames, 95), wheelWorkMs: (work * 1000) / wheel.length, wheelFrameP95: percentile(wheel, 95), idleFrameP95: percentile(idle, 95) };
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
 * TraceWriter) opened in headless Chromium from `mcpscope serve --http`: time from navigation
 * to the first rendered rows, to every span loaded, the page's JS heap after loading, and frame
 * times while scrolling, beside the naive page (fetch the NDJSON whole, JSON.parse every line),
 * run alternately in the same browser. Times are from navigation start (they include loading
 * the page's own script).
 */
export const uiBench: BenchSuite = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpscope-bench-ui-'));
  let browser: Browser | undefined;
  let serve: { url: string; child: ChildProcess } | undefined;
  try {
    await writeBigSession(dir, ID, COUNT);
    serve = await startServe(dir);
    const gateway = { url: serve.url };
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
    const idleFrame = median(views.map((v) => v.idleFrameP95));
    const wheelFrame = median(views.map((v) => v.wheelFrameP95));
    const wheelWork = median(views.map((v) => v.wheelWorkMs));
    const naiveMs = median(naive.map((n) => n.parsedMs));
    const naiveHeap = median(naive.map((n) => n.heap));
    return [
      { name: `ui: open 50,000-span session, first rows (median of ${RUNS})`, measured: `${fmt(first)} ms`, target: '< 1,000 ms', baseline: `naive fetch + JSON.parse all: first rows at ${fmt(naiveMs)} ms`, ok: first < 1000 },
      { name: 'ui: 50,000-span session, all spans loaded', measured: `${fmt(loaded)} ms`, target: '- (progressive)', baseline: `naive ${fmt(naiveMs)} ms`, ok: true },
      { name: 'ui: page JS heap after loading 50,000 spans', measured: mb(heap), target: '< 150 MB', baseline: `naive ${mb(naiveHeap)}`, ok: heap < 150 * 1024 * 1024 },
      { name: 'ui: scrolling 240 px a frame, page work per frame', measured: `${fmt(wheelWork, 1)} ms`, target: '<= 8 ms (half a 60 fps frame)', baseline: `frame interval p95 ${fmt(wheelFrame, 1)} ms; idle p95 ${fmt(idleFrame, 1)} ms`, ok: wheelWork <= 8 },
      { name: 'ui: top to end in 120 frames (every row new), p95 frame', measured: `${fmt(frame, 1)} ms`, target: '<= 50 ms (20 fps, worst case)', baseline: `idle frames (no scrolling) p95 ${fmt(idleFrame, 1)} ms`, ok: frame <= 50 },
    ];
  } finally {
    await browser?.close().catch(() => undefined);
    if (serve) await stopChild(serve.child);
    await rm(dir, { recursive: true, force: true });
  }
};
