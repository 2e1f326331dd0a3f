import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry } from '../../src/sessions/liveSessionRegistry.js';
import { createLocalSessionControl } from '../../src/sessions/sessionControl.js';
import { spanLine, startFixture, writeTrace, type GatewayFixture } from './gatewayFixture.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// CI must run these: a runner without the browser fails rather than passing with nothing checked.
const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const title = hasChromium ? 'in Chromium' : `in Chromium (skipped: no browser at ${CHROMIUM}; set CHROMIUM_PATH; under CI=true its absence fails)`;
const ID = 'chromium-trace-1';

let fx: GatewayFixture;
let browser: Browser | undefined;
let ndjson: Buffer;

beforeAll(async () => {
  if (!hasChromium) return;
  fx = await startFixture({ control: createLocalSessionControl({ registry: createLiveSessionRegistry({ bus: createEventBus() }) }) });
  const member = (from: number) => Array.from({ length: 50 }, (_, k) => spanLine(from + k, 300)).join('');
  // Several members over two files: the gateway must re-encode them as one gzip member.
  ndjson = await writeTrace(fx.dir, ID, [[member(0), member(50), member(100)], [member(150)]]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fx?.close();
});

it.runIf(inCi)('has a Chromium to run against (CI)', () => {
  expect(hasChromium, `CI=${process.env.CI} and no Chromium at ${CHROMIUM}: install it or set CHROMIUM_PATH`).toBe(true);
});

describe.skipIf(!hasChromium)(title, () => {
  it('decodes the whole gzip-compressed multi-member trace', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(`${fx.gateway.url}/_inspector/health`);
      // NDJSON is a download for a top-level navigation, so the page's own fetch() reads it.
      const seen = page.waitForResponse((r) => r.url().endsWith(`/_inspector/trace/${ID}`));
      const digest = await page.evaluate(async (url) => {
        const buf = await (await fetch(url, { cache: 'no-store' })).arrayBuffer();
        const hash = await crypto.subtle.digest('SHA-256', buf);
        return { length: buf.byteLength, sha256: [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('') };
      }, `/_inspector/trace/${ID}`);
      const response = await seen;
      expect((await response.allHeaders())['content-encoding']).toBe('gzip');
      expect(digest).toEqual({ length: ndjson.length, sha256: createHash('sha256').update(ndjson).digest('hex') });
    } finally {
      await page.close();
    }
  });
});
