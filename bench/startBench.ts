import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, percentile, type BenchRow } from './benchRow.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = 5;
const LIMIT_MS = 20_000;

/** Milliseconds from spawning `node args` until its stderr holds `marker`; the process is then ended. */
function timeUntil(args: string[], marker: RegExp, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${marker} within ${LIMIT_MS} ms: ${text.slice(-300)}`));
    }, LIMIT_MS);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (!marker.test(text)) return;
      const ms = performance.now() - started;
      clearTimeout(timer);
      child.once('exit', () => resolve(ms));
      child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!marker.test(text)) reject(new Error(`exited ${code} before ${marker}: ${text.slice(-300)}`));
    });
  });
}

/**
 * `npm start` on a built checkout: time from spawning `scripts/start.mjs --port 0` to the
 * gateway URL on stderr (target < 3 s), beside Node printing `--version` of the CLI (the floor
 * of starting Node and loading the CLI) in the same run.
 */
export async function startBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpscope-bench-start-'));
  const env = { ...process.env, MCP_TRACES_DIR: dir, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '' };
  const start: number[] = [];
  const floor: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      start.push(await timeUntil(['scripts/start.mjs', '--port', '0'], /gateway at http/, env));
      floor.push(await timeUntil(['-e', `process.stderr.write('ready\\n'); setInterval(() => {}, 1000)`], /ready/, env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const p50 = percentile(start, 50);
  return [
    {
      name: `npm start: spawn to gateway URL (built checkout, median of ${RUNS})`,
      measured: `${fmt(p50)} ms`,
      target: '< 3,000 ms',
      baseline: `bare node start ${fmt(percentile(floor, 50))} ms`,
      ok: p50 < 3000,
    },
  ];
}
