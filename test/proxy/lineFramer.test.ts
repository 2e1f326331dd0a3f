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
