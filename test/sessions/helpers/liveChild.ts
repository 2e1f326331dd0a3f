import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { assertDistFresh } from '../../distBuild.js';

const root = resolve(__dirname, '..', '..', '..');

/**
 * Fails clearly when dist/ is older than src/: the children run the built JS, which the suite's
 * globalSetup builds once (workers never run tsc). `layers` is kept for the callers; every layer is checked.
 */
export function ensureBuilt(_layers?: string[]): void {
  assertDistFresh();
}

/** A live session in a child process (test/sessions/fixtures/liveChild.mjs). */
export interface LiveChild {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  send(cmd: Record<string, unknown>): void;
  /** Waits (bounded) for a stdout line matching `pred`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<void>;
}

export async function startLiveChild(config: { tracesDir: string; sessionId: string; breakOn?: string[]; heartbeatMs?: number }): Promise<LiveChild> {
  const proc = spawn(process.execPath, [join(root, 'test', 'sessions', 'fixtures', 'liveChild.mjs'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ raw: l });
    }
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const child: LiveChild = {
    proc,
    lines,
    exited,
    send: (cmd) => proc.stdin!.write(`${JSON.stringify(cmd)}\n`),
    waitFor(pred, timeoutMs = 5000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolvePromise(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for child output; got ${JSON.stringify(lines)}; stderr ${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  await child.waitFor((l) => l.ready === true, 10_000);
  return child;
}

/** Kills the child (SIGKILL) if still running and waits for it to exit. */
export async function stopChild(child: LiveChild): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  await child.exited;
}
