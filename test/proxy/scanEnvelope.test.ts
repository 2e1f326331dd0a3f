import { describe, expect, it } from 'vitest';
import { classifyMessage, kindOf } from '../../src/core/jsonRpc.js';
import { scanEnvelope, type ScanCheck } from '../../src/proxy/scanEnvelope.js';

/** A line as the framer delivers it: the bytes with their `\n`, and where the content ends. */
const line = (text: string | Buffer): [Buffer, number] => {
  const b = Buffer.concat([typeof text === 'string' ? Buffer.from(text) : text, Buffer.from('\n')]);
  return [b, b.length - 1];
};
const scan = (text: string | Buffer, check: ScanCheck = 'all') => scanEnvelope(...line(text), check);

/** What JSON.parse + classifyMessage make of the same bytes (the reference the scanner must agree with). */
function reference(buf: Buffer, end: number): { kind: string; id?: unknown; method?: unknown } {
  let msg: unknown;
  try {
    msg = JSON.parse(buf.toString('utf8', 0, end));
  } catch {
    return { kind: 'parse error' };
  }
  if (Array.isArray(msg)) return { kind: 'batch' };
  const kind = kindOf(classifyMessage(msg, 'forward'));
  const m = msg as { id?: unknown; method?: unknown };
  return { kind, id: m.id, method: m.method };
}

/** How many top-level members of the line's object hold an object or array. */
function compoundMembers(buf: Buffer, end: number): number {
  const value = JSON.parse(buf.toString('utf8', 0, end)) as unknown;
  if (typeof value !== 'object' || value === null) return 0;
  return Object.values(value).filter((v) => typeof v === 'object' && v !== null).length;
}

/**
 * Asserts the scanner's contract for one line; returns whether it took the fast path. With
 * `envelope`, a line JSON.parse rejects may still be read (its values are not checked), but a
 * valid one must be read as with `all`.
 */
function agrees(buf: Buffer, end: number, check: ScanCheck = 'all'): boolean {
  const env = scanEnvelope(buf, end, check);
  if (check === 'envelope') {
    const full = scanEnvelope(buf, end);
    if (full !== undefined && compoundMembers(buf, end) <= 1) expect(env, buf.toString('latin1', 0, end)).toEqual(full);
  }
  if (env === undefined) return false;
  const ref = reference(buf, end);
  // The contract's exception: an invalid line, or members between two object or array values.
  if (check === 'envelope' && (ref.kind === 'parse error' || compoundMembers(buf, end) > 1)) return true;
  const label = JSON.stringify(buf.toString('latin1', 0, end));
  expect(ref.kind, label).toBe(env.kind);
  expect(Object.is(ref.id, env.id), `${label}: id ${String(ref.id)} vs ${String(env.id)}`).toBe(true);
  expect(ref.method, label).toBe(env.method);
  return true;
}

const CORPUS = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}',
  '{"method":"ping","jsonrpc":"2.0","id":"abc-1"}',
  '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":0.5,"total":1e2}}',
  '{"jsonrpc":"2.0","id":12,"result":{"content":[{"type":"text","text":"caf\\u00e9 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t"}],"isError":false}}',
  '{"jsonrpc":"2.0","id":-3,"error":{"code":-32601,"message":"Method not found","data":null}}',
  ' \t{ "jsonrpc" : "2.0" , "id" : 0 , "result" : [ ] } \r',
  '{"jsonrpc":"2.0","id":"x","result":{"a":[1,-0.5,2E+3,true,false,null,{"b":{}}],"ünïcödé":"日本語"}}',
  '{"jsonrpc":"2.0","id":999999999999999,"result":{}}',
  '{"jsonrpc":"2.0","id":1,"method":"m","result":1}',
];

describe('scanEnvelope', () => {
  it('reads requests, notifications and responses as JSON.parse + classifyMessage do', () => {
    expect(scan(CORPUS[0]!)).toEqual({ kind: 'request', id: 1, method: 'tools/call' });
    expect(scan(CORPUS[1]!)).toEqual({ kind: 'request', id: 'abc-1', method: 'ping' });
    expect(scan(CORPUS[2]!)).toEqual({ kind: 'notification', id: undefined, method: 'notifications/progress' });
    expect(scan(CORPUS[4]!)).toEqual({ kind: 'response', id: -3, method: undefined });
    for (const text of CORPUS) expect(agrees(...line(text)), text).toBe(true);
  });

  it('reads integer ids JSON.parse rounds with their exact text as the id token', () => {
    expect(scan('{"jsonrpc":"2.0","id":9007199254740993,"method":"a"}')).toEqual({ kind: 'request', id: 9007199254740993, idToken: '9007199254740993', method: 'a' });
    expect(scan('{"jsonrpc":"2.0","id":-1234567890123456,"result":{}}')).toEqual({ kind: 'response', id: -1234567890123456, idToken: '-1234567890123456', method: undefined });
    expect(scan('{"jsonrpc":"2.0","id":123456789012345,"method":"a"}')?.idToken).toBeUndefined();
  });

  it('with check "envelope", reads the members after the first object value from the end and never reads that value', () => {
    const big = `{"result":{"content":[{"type":"text","text":${JSON.stringify('row {"a":"b\\"}\n'.repeat(2000))}}],"x":[1,{"y":"]}"}]},"jsonrpc":"2.0","id":7}`;
    expect(scan(big, 'envelope')).toEqual({ kind: 'response', id: 7, idToken: undefined, method: undefined });
    expect(agrees(...line(big), 'envelope')).toBe(true);
    // Unchecked: what lies between the first object or array value and the tail is never read.
    expect(scan('{"jsonrpc":"2.0","id":1,"result":{"t":"x}}', 'envelope')?.kind).toBe('response');
    expect(scan('{"jsonrpc":"2.0","id":1,"result":{"t":1}}}', 'envelope')?.kind).toBe('response');
    expect(scan('{"jsonrpc":"2.0","id":1,"result":{"t":"\\x"}}', 'envelope')?.kind).toBe('response');
    expect(scan('{"jsonrpc":"2.0","id":1,"result":{"t":"\u0001"}}', 'envelope')?.kind).toBe('response');
    expect(scan('{"jsonrpc":"2.0","id":1,"result":{"t":"\u0001"}}')).toBeUndefined();
    // Still read strictly: the envelope members, the object's ends, the brackets around the unread part.
    for (const text of ['{"jsonrpc":"2.0","id":1,"result":{"t":1}', '{"jsonrpc":"2.0","id":1,"result":{"t":1}} x', '{"jsonrpc":"1.0","id":1,"result":{}}', '{"jsonrpc":"2.0","id":1,"result":{]}']) {
      expect(scan(text, 'envelope'), text).toBeUndefined();
    }
  });

  it('accepts invalid UTF-8 inside strings, which decoding turns into U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"t":"'), Buffer.from([0xc3, 0xff, 0xed, 0xa0, 0x80]), Buffer.from('"}}')]);
    expect(agrees(...line(bytes))).toBe(true);
    const cut = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"result":"'), Buffer.from([0xe6, 0x97]), Buffer.from('"}')]);
    expect(agrees(...line(cut))).toBe(true);
  });

  it('leaves everything unusual to JSON.parse', () => {
    const slow = [
      '', '{}', '[]', '[{"jsonrpc":"2.0","id":1,"method":"a"}]', 'null', '"str"', '42',
      '{"jsonrpc":"2.0","id":1,"method":"a"', '{"jsonrpc":"2.0","id":1,"method":"a"} x', '{"jsonrpc":"2.0","id":1,"method":"a",}',
      '{"jsonrpc":"2.0","id":1.5,"method":"a"}', '{"jsonrpc":"2.0","id":1e3,"method":"a"}', '{"jsonrpc":"2.0","id":-0,"method":"a"}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}', '{"jsonrpc":"2.0","id":true,"method":"a"}',
      '{"jsonrpc":"2.0","id":"\\u0031","method":"a"}', '{"jsonrpc":"2.0","id":"é","method":"a"}', '{"jsonrpc":"2.0","id":1,"method":"\\u0061"}',
      '{"jsonrpc":"2.0","id":1,"method":"a","id":2}', '{"jsonrpc":"2.0","id":1,"result":1,"result":2}', '{"\\u0069d":1,"jsonrpc":"2.0","method":"a"}',
      '{"jsonrpc":"1.0","id":1,"method":"a"}', '{"jsonrpc":2,"id":1,"method":"a"}', '{"jsonrpc":"2.0","id":1,"method":5}',
      '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"2.0","id":1,"result":1,"error":{}}', '{"jsonrpc":"2.0","result":1}', '{"id":1,"method":"a"}',
      '{"jsonrpc":"2.0","id":01,"method":"a"}', '{"jsonrpc":"2.0","id":1,"method":"a","params":{"x":"\u0001"}}', '{"jsonrpc":"2.0","id":1,"method":"a","params":"\\x"}',
      '{"jsonrpc":"2.0","id":1,"method":"a","params":[1,]}', '{"jsonrpc":"2.0","id":1,"method":"a","params":tru}', '\ufeff{"jsonrpc":"2.0","id":1,"method":"a"}',
      `{"jsonrpc":"2.0","id":1,"result":${'['.repeat(100)}${']'.repeat(100)}}`,
    ];
    for (const text of slow) expect(scan(text), text).toBeUndefined();
    // Deep nesting is valid JSON; JSON.parse handles it, the scanner does not try.
    expect(reference(...line(`{"jsonrpc":"2.0","id":1,"result":${'['.repeat(100)}${']'.repeat(100)}}`)).kind).toBe('response');
  });

  it('never disagrees with JSON.parse + classifyMessage on 30,000 mutated lines, checking all or the envelope', () => {
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const alphabet = Buffer.from('{}[]":,\\ \t\r0123456789-+.eEuabfnrtl/xyz', 'latin1');
    const odd = [0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xe6, 0xed, 0xff, 0x0a];
    let fast = 0;
    let total = 0;
    let fastUnchecked = 0;
    for (let n = 0; n < 30_000; n++) {
      let b = Buffer.from(CORPUS[rand(CORPUS.length)]!);
      const edits = 1 + rand(3);
      for (let e = 0; e < edits; e++) {
        const at = rand(b.length + 1);
        const op = rand(5);
        const byte = rand(8) === 0 ? odd[rand(odd.length)]! : alphabet[rand(alphabet.length)]!;
        if (op === 0 && at < b.length) b[at] = byte;
        else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
        else if (op === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rand(4)))]);
        else if (op === 3) b = b.subarray(0, at);
        else {
          const from = rand(b.length + 1);
          b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + rand(12)), b.subarray(at)]);
        }
      }
      total++;
      if (agrees(...line(b))) fast++;
      if (agrees(...line(b), 'envelope')) fastUnchecked++;
    }
    expect(fastUnchecked).toBeGreaterThanOrEqual(fast);
    expect(fastUnchecked).toBeLessThan(total);
    // Both outcomes occur often enough for the comparison to mean something.
    expect(fast).toBeGreaterThan(total / 20);
    expect(fast).toBeLessThan(total * 0.9);
  });
});
