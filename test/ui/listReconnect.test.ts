import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxiedClient } from './fixtures.js';
import { chromiumTitle, hasChromium, startUi, type UiHarness } from './harness.js';

/**
 * A TCP relay in front of the gateway that the test can cut (every open connection dropped and
 * new ones refused) and restore: a real network interruption of the page's event stream.
 */
interface Relay {
  port: number;
  target: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startRelay(): Promise<Relay> {
  const sockets = new Set<Socket>();
  let target = 0;
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((down) => {
        const up = connect(target, '127.0.0.1');
        for (const s of [down, up]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        down.pipe(up);
        up.pipe(down);
        down.on('close', () => up.destroy());
        up.on('close', () => down.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  const port = await listen(0);
  return {
    port,
    get target() {
      return target;
    },
    set target(t: number) {
      target = t;
    },
    cut: stop,
    restore: async () => {
      await listen(port);
    },
    close: stop,
  };
}

let tracesDir: string;
let relay: Relay;
let ui: UiHarness;

beforeAll(async () => {
  if (!hasChromium) return;
  tracesDir = await mkdtemp(join(tmpdir(), 'mcpscope-ui-reconnect-'));
  relay = await startRelay();
  ui = await startUi({ tracesDir, serveArgs: ['--allowed-host', `127.0.0.1:${relay.port}`, '--allowed-origin', `http://127.0.0.1:${relay.port}`] });
  relay.target = Number(new URL(ui.url).port);
}, 60_000);
afterAll(async () => {
  await relay?.close();
  await ui?.close();
  if (tracesDir) await rm(tracesDir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)(chromiumTitle('event stream reconnects'), () => {
  it('after a network cut, reconnects with Last-Event-ID: the events of the cut arrive once, none twice', async () => {
    const via = `http://127.0.0.1:${relay.port}`;
    const { page, errors } = await ui.newPage();
    await page.goto(ui.printedUrl.replace(ui.url, via));
    await page.locator('#auth-state').getByText('signed in').waitFor();
    await page.locator('#connection[data-state="live"]').waitFor();
    const first = await proxiedClient(tracesDir, 'ui-reconnect-before');
    await page.locator('#activity li[data-type="SessionStarted"]').filter({ hasText: 'ui-reconnect-before' }).waitFor({ timeout: 15_000 });

    await relay.cut();
    await page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 15_000 });
    // While the page is cut off: one session ends, another starts and ends.
    await first.close();
    const during = await proxiedClient(tracesDir, 'ui-reconnect-during');
    await during.callTool({ name: 'echo', arguments: { message: 'while cut off' } });
    await during.close();
    await ui.screenshot(page, 'list-reconnecting');
    await relay.restore();

    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 20_000 });
    for (const [type, id] of [['SessionFinished', 'ui-reconnect-before'], ['SessionStarted', 'ui-reconnect-during'], ['SessionFinished', 'ui-reconnect-during']] as const) {
      await page.locator(`#activity li[data-type="${type}"]`).filter({ hasText: id }).first().waitFor({ timeout: 15_000 });
      expect(await page.locator(`#activity li[data-type="${type}"]`).filter({ hasText: id }).count(), `${type} ${id}`).toBe(1);
    }
    const ids = await page.locator('#activity li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.eventId!));
    expect(new Set(ids).size).toBe(ids.length);
    await page.locator('#sessions tr[data-session-id="ui-reconnect-during"] .badge-completed').waitFor();
    expect(await page.locator('#sessions tr[data-session-id="ui-reconnect-before"]').count()).toBe(1);
    // Requests cut mid-flight are reported by the browser as network errors; nothing else.
    expect(errors.filter((e) => !/ERR_(CONNECTION|EMPTY_RESPONSE|NETWORK|INCOMPLETE_CHUNKED_ENCODING)|network error|Failed to fetch/i.test(e))).toEqual([]);
    await page.close();
  });
});
