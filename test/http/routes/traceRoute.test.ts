import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { damages, intactIds, ndjsonOf, writeIndexedTrace } from '../../store/damageKit.js';
import { appendMember, rawRequest, spanLine, startFixture, writeTrace, type GatewayFixture } from '../gatewayFixture.js';

const ID = 'trace-multi-01';
const SINGLE = 'trace-single-1';
let fx: GatewayFixture;
let ndjson: Buffer;
let single: Buffer;

function run(cmd: string, args: string[], input?: Buffer): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'ignore'] });
    if (input) child.stdin!.end(input);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${fx.gateway.url}${path}`, { headers: { ...headers } });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

beforeAll(async () => {
  fx = await startFixture();
  // Two rotated parts, several members each, lines of different sizes: ranges cross member and file boundaries.
  const member = (from: number, n: number) => Array.from({ length: n }, (_, k) => spanLine(from + k, (from + k) * 7)).join('');
  ndjson = await writeTrace(fx.dir, ID, [
    [member(0, 3), member(3, 5), member(8, 1)],
    [member(9, 4), member(13, 2)],
  ]);
  single = await writeTrace(fx.dir, SINGLE, [[member(100, 20)]]);
});
afterAll(async () => fx?.close());

describe('GET /_inspector/trace/{id}', () => {
  it('serves the whole NDJSON with a strong ETag and Accept-Ranges', async () => {
    const res = await get(`/_inspector/trace/${ID}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['etag']).toMatch(/^"[^"]+"$/);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(ndjson)).toBe(true);
  });

  it('answers every single-range form byte for byte, across members and files', async () => {
    const n = ndjson.length;
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=0-99', 0, 99],
      ['bytes=10-', 10, n - 1],
      ['bytes=-1', n - 1, n - 1],
      ['bytes=-500', n - 500, n - 1],
      [`bytes=-${n + 1000}`, 0, n - 1],
      [`bytes=${n - 1}-${n + 50}`, n - 1, n - 1],
    ];
    // every 97th offset with a span of 800 bytes crosses many member boundaries
    for (let s = 0; s < n; s += 997) cases.push([`bytes=${s}-${Math.min(n - 1, s + 800)}`, s, Math.min(n - 1, s + 800)]);
    for (const [header, start, end] of cases) {
      const res = await get(`/_inspector/trace/${ID}`, { range: header, 'accept-encoding': 'gzip' });
      expect(res.status, header).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${n}`);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(end - start + 1);
      expect(res.body.equals(ndjson.subarray(start, end + 1)), header).toBe(true);
    }
  });

  it('416 with Content-Range bytes */len for unsatisfiable ranges; whole body for several or malformed ranges', async () => {
    const n = ndjson.length;
    for (const header of [`bytes=${n}-`, `bytes=${n + 10}-${n + 20}`, 'bytes=-0']) {
      const res = await get(`/_inspector/trace/${ID}`, { range: header });
      expect(res.status, header).toBe(416);
      expect(res.headers['content-range']).toBe(`bytes */${n}`);
    }
    for (const header of ['bytes=0-1,5-9', 'bytes=abc', 'items=0-5', 'bytes=5-2']) {
      const res = await get(`/_inspector/trace/${ID}`, { range: header });
      if (header === 'bytes=5-2') {
        expect(res.status).toBe(416);
        continue;
      }
      expect(res.status, header).toBe(200);
      expect(res.body.equals(ndjson)).toBe(true);
    }
  });

  it('honours If-Range: range on a matching ETag, whole body otherwise', async () => {
    const { headers } = await get(`/_inspector/trace/${ID}`);
    const etag = String(headers['etag']);
    const hit = await get(`/_inspector/trace/${ID}`, { range: 'bytes=5-9', 'if-range': etag });
    expect(hit.status).toBe(206);
    expect(hit.body.equals(ndjson.subarray(5, 10))).toBe(true);
    for (const ifRange of ['"stale"', 'Wed, 21 Oct 2015 07:28:00 GMT', `W/${etag}`]) {
      const miss = await get(`/_inspector/trace/${ID}`, { range: 'bytes=5-9', 'if-range': ifRange });
      expect(miss.status, ifRange).toBe(200);
      expect(miss.body.equals(ndjson)).toBe(true);
    }
  });

  it('304 on If-None-Match, and a new ETag once the trace grows', async () => {
    const first = await get(`/_inspector/trace/${SINGLE}`);
    const etag = String(first.headers['etag']);
    const cached = await get(`/_inspector/trace/${SINGLE}`, { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);
    expect((await get(`/_inspector/trace/${SINGLE}`, { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
    expect((await get(`/_inspector/trace/${SINGLE}`, { 'if-none-match': '*' })).status).toBe(304);

    const extra = spanLine(999, 10);
    await appendMember(fx.dir, SINGLE, extra);
    const grown = await get(`/_inspector/trace/${SINGLE}`, { 'if-none-match': etag });
    expect(grown.status).toBe(200);
    expect(grown.headers['etag']).not.toBe(etag);
    expect(grown.body.equals(Buffer.concat([single, Buffer.from(extra)]))).toBe(true);
    single = grown.body;
  });

  it('compresses full responses for clients that accept gzip, and never twice', async () => {
    for (const id of [ID, SINGLE]) {
      const expected = id === ID ? ndjson : single;
      const res = await get(`/_inspector/trace/${id}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['vary']).toMatch(/Accept-Encoding/i);
      // One gunzip pass yields the NDJSON: not compressed twice.
      expect(gunzipSync(res.body).equals(expected)).toBe(true);
      const gzEtag = String(res.headers['etag']);
      expect((await get(`/_inspector/trace/${id}`, { 'accept-encoding': 'gzip', 'if-none-match': gzEtag })).status).toBe(304);
    }
    const refused = await get(`/_inspector/trace/${ID}`, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(ndjson)).toBe(true);
  });

  it('is decoded whole by fetch and by curl --compressed', async () => {
    const res = await fetch(`${fx.gateway.url}/_inspector/trace/${ID}`);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await res.arrayBuffer()).equals(ndjson)).toBe(true);
    if (!existsSync('/usr/bin/curl')) return;
    // Asynchronous: the gateway runs in this process and must keep serving while curl runs.
    const curl = await run('curl', ['-s', '--max-time', '10', '--compressed', '-D', '-', '-o', join(fx.root, 'curl.out'), `${fx.gateway.url}/_inspector/trace/${ID}`]);
    expect(curl.code).toBe(0);
    expect(curl.stdout).toMatch(/content-encoding: gzip/i);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(join(fx.root, 'curl.out'))).equals(ndjson)).toBe(true);
  });

  it('HEAD answers the headers without a body', async () => {
    const res = await request(`${fx.gateway.url}/_inspector/trace/${ID}`, { method: 'HEAD' });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(ndjson.length);
  });
});

describe('GET /_inspector/trace/{id}.jsonl.gz', () => {
  it('serves the stored member bytes, with ranges over the file and no Content-Encoding', async () => {
    const res = await get(`/_inspector/trace/${ID}.jsonl.gz`, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(gunzipSync(res.body).equals(ndjson)).toBe(true);
    const part = await get(`/_inspector/trace/${ID}.jsonl.gz`, { range: 'bytes=10-49' });
    expect(part.status).toBe(206);
    expect(part.body.equals(res.body.subarray(10, 50))).toBe(true);
    const tail = await get(`/_inspector/trace/${ID}.jsonl.gz`, { range: 'bytes=-16' });
    expect(tail.body.equals(res.body.subarray(res.body.length - 16))).toBe(true);
    expect((await get(`/_inspector/trace/${ID}.jsonl.gz`, { range: `bytes=${res.body.length}-` })).status).toBe(416);
  });

  it('never serves past the last complete member of a torn file', async () => {
    const id = 'torn-trace-1';
    const text = await writeTrace(fx.dir, id, [[spanLine(1), spanLine(2)]]);
    const { appendFile } = await import('node:fs/promises');
    await appendFile(join(fx.dir, `${id}.jsonl.gz`), Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0])); // a cut-off member
    const gz = await get(`/_inspector/trace/${id}.jsonl.gz`);
    expect(gunzipSync(gz.body).equals(text)).toBe(true);
    const nd = await get(`/_inspector/trace/${id}`);
    expect(nd.body.equals(text)).toBe(true);
  });
});

// Before: with the index present, a member damaged in the middle was answered 200 with the
// whole Content-Length and the connection cut mid-body; the download held the damaged bytes.
describe('a trace damaged in the middle, with its index in place', () => {
  damages(15).forEach((damage, k) => {
    it(`${damage.name}: full body, a Range and the .jsonl.gz download hold every intact span, with a warning`, async () => {
      const id = `damaged-trace-${k}`;
      const trace = await writeIndexedTrace(fx.dir, id, 300);
      await damage.apply(trace);
      const expected = Buffer.from(ndjsonOf(intactIds(trace, damage)));
      fx.logs.length = 0;

      const full = await get(`/_inspector/trace/${id}`);
      expect(full.status).toBe(200);
      expect(Number(full.headers['content-length'])).toBe(expected.length);
      expect(full.body.equals(expected)).toBe(true);
      expect(full.headers['mcpscope-warning']).toMatch(/damaged region/);

      const encoded = await get(`/_inspector/trace/${id}`, { 'accept-encoding': 'gzip' });
      expect(gunzipSync(encoded.body).equals(expected)).toBe(true);

      const [from, to] = [1000, expected.length - 2000];
      const part = await get(`/_inspector/trace/${id}`, { range: `bytes=${from}-${to}` });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes ${from}-${to}/${expected.length}`);
      expect(part.body.equals(expected.subarray(from, to + 1))).toBe(true);

      const gz = await get(`/_inspector/trace/${id}.jsonl.gz`);
      expect(gz.status).toBe(200);
      expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
      expect(gunzipSync(gz.body).equals(expected)).toBe(true);
      const zcat = await run('gzip', ['-dc'], gz.body);
      expect(zcat.code).toBe(0);
      expect(zcat.stdout).toBe(expected.toString());
      const gzPart = await get(`/_inspector/trace/${id}.jsonl.gz`, { range: 'bytes=100-' });
      expect(gzPart.body.equals(gz.body.subarray(100))).toBe(true);

      expect(fx.logs.filter((l) => l.includes(id))).toHaveLength(1);
    });
  });

  it('a Range that does not reach a member garbled inside is answered from the members it needs', async () => {
    const id = 'damaged-late-member';
    const trace = await writeIndexedTrace(fx.dir, id, 300);
    const damage = damages(trace.members.length - 3)[2]!; // garbled inside, framing intact
    await damage.apply(trace);
    const expected = Buffer.from(ndjsonOf(intactIds(trace, damage)));
    const head = await get(`/_inspector/trace/${id}`, { range: 'bytes=0-999' });
    expect(head.status).toBe(206);
    expect(head.body.equals(expected.subarray(0, 1000))).toBe(true);
    expect(head.headers['mcpscope-warning']).toBeUndefined();
    const full = await get(`/_inspector/trace/${id}`);
    expect(full.body.equals(expected)).toBe(true);
    expect(full.headers['mcpscope-warning']).toMatch(/1 damaged region/);
    expect(full.headers.etag).not.toBe(head.headers.etag);
  });

  it('a session with a meta but no member downloads as a valid empty gzip file', async () => {
    const id = 'meta-only-trace';
    await writeFile(join(fx.dir, `${id}.meta.json`), JSON.stringify({ id, title: 't', engine: 'proxy', status: 'completed', started_at: '2026-01-01T00:00:00.000000Z', span_count: 0, error_count: 0 }));
    const gz = await get(`/_inspector/trace/${id}.jsonl.gz`);
    expect(gz.status).toBe(200);
    expect(gunzipSync(gz.body).length).toBe(0);
    expect((await get(`/_inspector/trace/${id}`)).body.length).toBe(0);
    // A reader polling from byte 0 gets the empty body, not a 416 (its first spans may be seconds away).
    const ranged = await get(`/_inspector/trace/${id}`, { range: 'bytes=0-131071' });
    expect(ranged.status).toBe(200);
    expect(ranged.body.length).toBe(0);
  });
});

describe('trace route input validation', () => {
  it('404 for an unknown session, 400 for invalid ids, without touching the file system', async () => {
    await writeFile(join(fx.root, 'outside-secret.jsonl.gz'), 'TOP-SECRET-CONTENT');
    expect((await get('/_inspector/trace/no-such-session')).status).toBe(404);
    const bad = ['%2e%2e', '..%2Foutside-secret', '%2e%2e%2foutside-secret.jsonl.gz', 'abc%00def', 'a'.repeat(300), 'ab', 'has%20space', '%ff%fe', 'x%2Fy-session'];
    for (const seg of bad) {
      const res = await rawRequest(fx.gateway.port, `GET /_inspector/trace/${seg} HTTP/1.1\r\nHost: ${fx.host}\r\nConnection: close\r\n\r\n`);
      expect(res.status, seg).toBe(400);
      expect(res.body).not.toContain('TOP-SECRET');
    }
    for (const path of ['/_inspector/trace/../outside-secret.jsonl.gz', '/_inspector/trace/../../etc/passwd', '/_inspector/trace/', '/_inspector/trace']) {
      const res = await rawRequest(fx.gateway.port, `GET ${path} HTTP/1.1\r\nHost: ${fx.host}\r\nConnection: close\r\n\r\n`);
      expect([400, 404], path).toContain(res.status);
      expect(res.body).not.toContain('TOP-SECRET');
    }
    expect((await get(`/_inspector/trace/${ID}?x=1`)).status).toBe(400);
  });
});
