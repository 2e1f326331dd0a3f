import { describe, expect, it } from 'vitest';
import { createLineFramer } from '../../src/proxy/lineFramer.js';

function collect(options?: Parameters<typeof createLineFramer>[1]) {
  const lines: Array<{ framed: Buffer; content: Buffer }> = [];
  const framer = createLineFramer((framed, end) => lines.push({ framed: Buffer.from(framed), content: Buffer.from(framed.subarray(0, end)) }), options);
  return { framer, lines };
}

describe('createLineFramer', () => {
  it('splits lines within one chunk and keeps the terminator in the frame', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('{"a":1}\n{"b":2}\r\n'));
    expect(lines.map((l) => l.content.toString())).toEqual(['{"a":1}', '{"b":2}']);
    expect(lines.map((l) => l.framed.toString())).toEqual(['{"a":1}\n', '{"b":2}\r\n']);
  });

  it('joins lines split across chunks, byte by byte', () => {
    const { framer, lines } = collect();
    const text = Buffer.from('{"text":"héllo wörld"}\n{"x":[1,2,3]}\n');
    for (let i = 0; i < text.length; i++) framer.push(text.subarray(i, i + 1));
    expect(lines.map((l) => l.content.toString())).toEqual(['{"text":"héllo wörld"}', '{"x":[1,2,3]}']);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('keeps a CR split from its LF out of the content', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('{"a":1}\r'));
    framer.push(Buffer.from('\n'));
    expect(lines[0]!.content.toString()).toBe('{"a":1}');
  });

  it('skips empty lines and delivers an unterminated last line on end', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('\n\r\n{"a":1}\n{"tail":true}'));
    expect(lines).toHaveLength(1);
    framer.end();
    framer.end();
    expect(lines.map((l) => l.framed.toString())).toEqual(['{"a":1}\n', '{"tail":true}\n']);
  });

  it('passes invalid UTF-8 through as bytes', () => {
    const { framer, lines } = collect();
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
    framer.push(bytes.subarray(0, 2));
    framer.push(bytes.subarray(2));
    expect(lines[0]!.framed.equals(bytes)).toBe(true);
  });

  it('handles a huge line arriving in many chunks', () => {
    const { framer, lines } = collect();
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    for (let i = 0; i < big.length; i += 65536) framer.push(big.subarray(i, i + 65536));
    framer.push(Buffer.from('\n{"next":1}\n'));
    expect(lines).toHaveLength(2);
    expect(lines[0]!.content.length).toBe(big.length);
    expect(lines[1]!.content.toString()).toBe('{"next":1}');
  });

  it('passes lines over the limit on in pieces, without keeping them, and goes on', () => {
    const over: Array<{ text: string; bytes: number }> = [];
    let pieces: Buffer[] = [];
    const oversize = {
      data: (piece: Buffer) => pieces.push(Buffer.from(piece)),
      end: (bytes: number) => {
        over.push({ text: Buffer.concat(pieces).toString(), bytes });
        pieces = [];
      },
    };
    const { framer, lines } = collect({ maxLineBytes: 16, oversize });
    framer.push(Buffer.from('{"this line":'));
    framer.push(Buffer.from('"is far too long"'));
    framer.push(Buffer.from(',"more":"still going"}\n{"ok":1}\n'));
    framer.push(Buffer.from('{"also too long in one chunk"}\n{"ok":2}\n'));
    framer.push(Buffer.from('{"cut off by the end of the stream"'));
    framer.end();
    expect(lines.map((l) => l.content.toString())).toEqual(['{"ok":1}', '{"ok":2}']);
    expect(over).toEqual([
      { text: '{"this line":"is far too long","more":"still going"}', bytes: 52 },
      { text: '{"also too long in one chunk"}', bytes: 30 },
      { text: '{"cut off by the end of the stream"', bytes: 35 },
    ]);
  });
});

describe('createLineFramer group', () => {
  /** Pushes `chunks` and returns what happened, in order: line contents and group start/end marks. */
  function pushed(...chunks: string[]): string[] {
    const events: string[] = [];
    const framer = createLineFramer((framed, end) => events.push(framed.toString('utf8', 0, end)), {
      group: { start: () => events.push('<'), end: () => events.push('>') },
    });
    for (const c of chunks) framer.push(Buffer.from(c));
    return events;
  }

  it('brackets only the lines of a chunk that completes two lines or more', () => {
    expect(pushed('{"a":1}\n')).toEqual(['{"a":1}']);
    expect(pushed('{"a":1}')).toEqual([]);
    expect(pushed('')).toEqual([]);
    expect(pushed('{"a":', 'tail\n{"b":')).toEqual(['{"a":tail']);
    expect(pushed('{"a":1}\n{"b":2}\n')).toEqual(['<', '{"a":1}', '{"b":2}', '>']);
    expect(pushed('{"a":', 'end\n{"b":2}\npartial')).toEqual(['<', '{"a":end', '{"b":2}', '>']);
  });

  it('ends the group even when a line handler throws', () => {
    const events: string[] = [];
    const framer = createLineFramer(() => {
      throw new Error('handler failed');
    }, { group: { start: () => events.push('<'), end: () => events.push('>') } });
    expect(() => framer.push(Buffer.from('{"a":1}\n{"b":2}\n'))).toThrow('handler failed');
    expect(events).toEqual(['<', '>']);
  });
});

describe('createLineFramer with a stream (cut-through)', () => {
  /** A framer with a stream that records every call, in order, and passes lines when `pass` says so. */
  function streamed(options: { after: number; maxLineBytes?: number; pass?: (head: Buffer) => boolean; reuse?: boolean }) {
    const calls: string[] = [];
    const pieces: Buffer[] = [];
    const oversize: string[] = [];
    const framer = createLineFramer(
      (framed, end, passed) => calls.push(`line ${passed ? 'passed' : 'held'} ${framed.subarray(0, end).toString()}`),
      {
        ...(options.maxLineBytes ? { maxLineBytes: options.maxLineBytes } : {}),
        oversize: { data: (piece) => oversize.push(piece.toString()), end: (bytes) => calls.push(`oversize ${bytes}`) },
        stream: {
          after: options.after,
          reuse: options.reuse ?? false,
          begin: (head) => (calls.push(`begin ${head.toString()}`), options.pass?.(head) ?? true),
          data: (piece) => (calls.push(`data ${piece.toString()}`), pieces.push(Buffer.from(piece))),
          end: (complete) => calls.push(`end ${complete}`),
        },
      },
    );
    return { framer, calls, passedBytes: () => Buffer.concat(pieces).toString(), oversize: () => oversize.join('') };
  }

  it('passes a line that spans chunks from `after` held bytes on, then delivers it whole, marked passed', () => {
    const { framer, calls, passedBytes } = streamed({ after: 6 });
    framer.push(Buffer.from('{"a":'));
    expect(calls).toEqual([]);
    framer.push(Buffer.from('"xy'));
    framer.push(Buffer.from('z"}\n{"b":1}\n'));
    expect(calls).toEqual(['begin {"a":', 'data {"a":', 'data "xy', 'data z"}\n', 'end true', 'line passed {"a":"xyz"}', 'line held {"b":1}']);
    expect(passedBytes()).toBe('{"a":"xyz"}\n');
  });

  it('never passes a line that ends in the chunk it starts in, nor one complete below `after`', () => {
    const { framer, calls } = streamed({ after: 100 });
    framer.push(Buffer.from('{"a":1}\n{"b":'));
    framer.push(Buffer.from('2}\n'));
    expect(calls).toEqual(['line held {"a":1}', 'line held {"b":2}']);
  });

  it('asks once per line: a line refused is held to its end and delivered as before', () => {
    const { framer, calls } = streamed({ after: 2, pass: () => false });
    for (const piece of ['[1', ',2', ',3]\n', '[4', ']\n']) framer.push(Buffer.from(piece));
    expect(calls).toEqual(['begin [1', 'line held [1,2,3]', 'begin [4', 'line held [4]']);
  });

  it('ends a passing line that goes over the limit where it stopped, and hands the whole line to oversize', () => {
    const { framer, calls, passedBytes, oversize } = streamed({ after: 4, maxLineBytes: 12 });
    framer.push(Buffer.from('{"a":"'));
    framer.push(Buffer.from('xxxx'));
    framer.push(Buffer.from('xxxxxx"}\n{"b":2}\n'));
    expect(passedBytes()).toBe('{"a":"xxxx');
    expect(calls.slice(-3)).toEqual(['end false', 'oversize 18', 'line held {"b":2}']);
    expect(oversize()).toBe('{"a":"xxxxxxxxxx"}');
    // Over the limit before its newline came: cut at once, the rest passed over.
    const late = streamed({ after: 4, maxLineBytes: 12 });
    for (const piece of ['{"a":"', 'xxxx', 'xxxxxx', '"}\n{"b":2}\n']) late.framer.push(Buffer.from(piece));
    expect(late.passedBytes()).toBe('{"a":"xxxx');
    expect(late.calls.slice(-3)).toEqual(['end false', 'oversize 18', 'line held {"b":2}']);
    expect(late.oversize()).toBe('{"a":"xxxxxxxxxx"}');
  });

  it('with reuse, joins passed lines into one buffer it reuses (up to 1 MiB), other lines into their own', () => {
    const seen: Array<{ text: string; buffer: ArrayBufferLike }> = [];
    const framer = createLineFramer((framed, end) => seen.push({ text: framed.subarray(0, end).toString(), buffer: framed.buffer }), {
      stream: { after: 4, reuse: true, begin: () => true, data: () => {}, end: () => {} },
    });
    const big = 'x'.repeat(1024 * 1024 + 10);
    for (const piece of ['{"a":', '1}\n', '{"b":', '22}\n', '{"c":3}\n', `{"d":"${big.slice(0, 100)}`, `${big.slice(100)}"}\n`]) framer.push(Buffer.from(piece));
    expect(seen.map((s) => s.text.slice(0, 12))).toEqual(['{"a":1}', '{"b":22}', '{"c":3}', '{"d":"xxxxxx']);
    expect(seen[3]!.text.length).toBe(big.length + 8);
    // The first two were passed: one buffer; the one in a single chunk and the one over 1 MiB: their own.
    expect(seen[1]!.buffer).toBe(seen[0]!.buffer);
    expect(seen[2]!.buffer).not.toBe(seen[0]!.buffer);
    expect(seen[3]!.buffer).not.toBe(seen[0]!.buffer);
  });

  it('ends a passing line the stream left unterminated with the newline it is delivered with', () => {
    const { framer, calls, passedBytes } = streamed({ after: 2 });
    framer.push(Buffer.from('{"a"'));
    framer.push(Buffer.from(':1}'));
    framer.end();
    expect(passedBytes()).toBe('{"a":1}\n');
    expect(calls.slice(-2)).toEqual(['end true', 'line passed {"a":1}']);
  });
});
