import { execFileSync } from 'node:child_process';

/** One row of `ps -eo pid,pgid,ppid,stat,args`. */
export interface ProcessRow {
  pid: number;
  pgid: number;
  ppid: number;
  stat: string;
  args: string;
}

/** The process table as `ps` shows it now. */
export function processTable(): ProcessRow[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,ppid=,stat=,args='], { encoding: 'utf8' });
  const rows: ProcessRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), pgid: Number(m[2]), ppid: Number(m[3]), stat: m[4]!, args: m[5]! });
  }
  return rows;
}

/** Every process descended from `root` (not `root` itself). */
export function descendants(root: number, table = processTable()): ProcessRow[] {
  const found: ProcessRow[] = [];
  const parents = new Set([root]);
  // Bounded: each pass adds a generation; a process tree is not deeper than the table.
  for (let pass = 0; pass < table.length; pass++) {
    const next = table.filter((r) => parents.has(r.ppid) && !parents.has(r.pid));
    if (next.length === 0) break;
    for (const r of next) {
      found.push(r);
      parents.add(r.pid);
    }
  }
  return found;
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone: it runs nothing). */
export function running(pid: number): boolean {
  const row = processTable().find((r) => r.pid === pid);
  return row !== undefined && !row.stat.startsWith('Z');
}

/** Polls (bounded) until `predicate` holds; throws with `what` otherwise. */
export async function pollUntil(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ends (SIGKILL) any of `pids` still running: test clean-up for processes a failed test left. */
export function killLeftovers(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
