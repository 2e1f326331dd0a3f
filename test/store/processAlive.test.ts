import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/store/processAlive.js';

describe('isProcessAlive', () => {
  it('says this process is alive and a process that exited is gone', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await once(child, 'exit');
    expect(isProcessAlive(child.pid!)).toBe(false);
  });

  it('takes a pid that is not a positive integer as gone (never a process group)', () => {
    for (const pid of [0, -1, Number.NaN, 1.5, Number.MAX_VALUE]) expect(isProcessAlive(pid)).toBe(false);
  });
});
