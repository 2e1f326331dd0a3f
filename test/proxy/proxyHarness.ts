import { PassThrough, Writable } from 'node:stream';
import { resolve } from 'node:path';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { recordTo } from '../../src/proxy/recordTo.js';
import { startProxy, type ProxyHandle, type ProxyOptions } from '../../src/proxy/startProxy.js';

export const RAW_SERVER = resolve(__dirname, '../fixtures/proxy/rawServer.mjs');
export const TOY_SERVER = resolve(__dirname, '../fixtures/proxy/toyServer.mjs');

/** An in-process proxy driven through streams: write lines in, read framed lines out. */
export interface Harness {
  proxy: ProxyHandle;
  sink: InMemorySpanSink;
  /** Raw bytes the client received, in order. */
  output(): Buffer;
  /** Lines the client received. */
  lines(): string[];
  stderr(): string;
  send(text: string | Buffer): void;
  endInput(): void;
  /** Waits (bounded) until `predicate(lines)` holds. */
  waitFor(predicate: (lines: string[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export async function startHarness(overrides: Partial<ProxyOptions> & Pick<ProxyOptions, 'upstream'>): Promise<Harness> {
  const clientIn = new PassThrough();
  const chunks: Buffer[] = [];
  const clientOut = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      err += chunk.toString();
      cb();
    },
  });
  const sink = new InMemorySpanSink();
  const proxy = await startProxy({ clientIn, clientOut, stderr, openRecording: recordTo(() => sink), graceMs: 500, ...overrides });
  const output = () => Buffer.concat(chunks);
  const lines = () => output().toString('utf8').split('\n').filter((l) => l !== '');
  return {
    proxy,
    sink,
    output,
    lines,
    stderr: () => err,
    send: (text) => clientIn.write(text),
    endInput: () => clientIn.end(),
    async waitFor(predicate, what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(lines())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(lines())}; stderr ${err}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
