import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = resolve(__dirname, '..', 'dist', 'src', 'cli.js');

async function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('mcpscope CLI', () => {
  it('prints its version from package.json', async () => {
    const { code, stdout } = await inspector(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints help listing the commands', async () => {
    const { code, stdout } = await inspector(['--help']);
    expect(code).toBe(0);
    for (const name of ['sessions', 'trace', 'proxy', 'serve']) expect(stdout).toContain(name);
  });

  it('answers an unknown command with one line and exit code 2', async () => {
    const { code, stderr, stdout } = await inspector(['frobnicate']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('unknown command "frobnicate"');
  });
});
