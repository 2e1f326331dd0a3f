import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkMember } from '../../src/store/gzipMember.js';
import { createMemberCompressor } from '../../src/store/memberCompressor.js';
import { tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('compressor-')));
afterEach(() => cleanup());

describe('createMemberCompressor', () => {
  it('makes one complete gzip member per call, in order, reusing one handle', async () => {
    const c = createMemberCompressor(1);
    const inputs = Array.from({ length: 40 }, (_, i) => Buffer.from(`line ${i} ${'é'.repeat(i * 500)}\n`));
    const members = await Promise.all(inputs.map((b) => c.compress(b)));
    await c.close();
    await c.close();
    members.forEach((m, i) => {
      const check = checkMember(m, 0);
      expect(check.ok && check.length === m.length && check.data.equals(inputs[i]!)).toBe(true);
    });
    const file = join(dir, 'all.gz');
    await writeFile(file, Buffer.concat(members));
    expect(execFileSync('zcat', [file]).equals(Buffer.concat(inputs))).toBe(true);
    expect(gunzipSync(Buffer.concat(members)).equals(Buffer.concat(inputs))).toBe(true);
  });

  it('handles empty and large batches', async () => {
    const c = createMemberCompressor(6);
    const big = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
    expect(gunzipSync(await c.compress(Buffer.alloc(0))).length).toBe(0);
    expect(gunzipSync(await c.compress(big)).equals(big)).toBe(true);
    await c.close();
  });
});
