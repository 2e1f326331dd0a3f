import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { constants } from 'node:os';
import { oversizeReader } from './envelopeSniffer.js';
import { createLineFramer, DEFAULT_MAX_LINE_BYTES } from './lineFramer.js';
import type { SendMeta, Upstream, UpstreamHandlers, UpstreamOutcome } from './upstream.js';

/** An upstream MCP server started as a child process speaking newline-delimited JSON-RPC on stdio. */
export interface StdioUpstreamSpec {
  command: string;
  args?: string[];
  /** Environment of the child; default: inherited from this process. */
  env?: Record<string, string | undefined>;
  /** Working directory of the child; default: this process's. */
  cwd?: string;
}

export interface StdioUpstreamOptions extends StdioUpstreamSpec {
  handlers: UpstreamHandlers;
  /** Where the child's stderr goes, byte for byte. */
  stderr: Writable;
  /** How long `close()` waits after ending stdin before SIGTERM, and after SIGTERM before SIGKILL. Default 2000 ms. */
  graceMs?: number;
  /** Longest line accepted from the child, in bytes. Default 64 MiB. */
  maxLineBytes?: number;
}

/**
 * True where the upstream runs in a process group of its own (every platform but Windows). Node
 * can only make one with a new session (setsid), which on Linux with scheduler autogroups also
 * gives the upstream a scheduling group of its own: measured, sequential round trips cost ~7%
 * more than a plain pipe relay on a busy 2-core machine. Ending what npx starts is worth it.
 */
const GROUPS = process.platform !== 'win32';
/** How often `close()` looks whether the process group is gone. */
const GROUP_POLL_MS = 25;

/**
 * Spawns the upstream (no shell) and starts forwarding at once. The child's stdout is
 * framed into lines for `handlers.message`; its stderr passes through to `stderr`; its
 * exit (after stdout is drained) is reported once through `handlers.closed` with its exit
 * code (128 + signal number when killed, 127 when it could not be started).
 *
 * On POSIX the child leads a process group (and session) of its own, so that what it starts
 * (`npx` runs the real server as a grandchild, through `sh -c`) can be ended with it: `close()`
 * ends stdin, then signals the whole group, SIGTERM and later SIGKILL, until no process of the
 * group is left, also after the child itself exited and left some behind. Its own group also
 * keeps the terminal's Ctrl-C (sent to the foreground group) from reaching the server before
 * the proxy has ended the session. If this process is killed outright (SIGKILL) nothing can
 * signal the group: the upstream then sees EOF on stdin (and EPIPE on stdout), which MCP
 * servers take as the end of the session.
 */
export function createStdioUpstream(options: StdioUpstreamOptions): Upstream {
  return new StdioUpstream(options);
}

/** The outcome a child's `close` event reports. */
function exitOutcome(code: number | null, signal: NodeJS.Signals | null): UpstreamOutcome {
  if (signal) return { failed: true, reason: `upstream killed by ${signal}`, exitCode: 128 + (constants.signals[signal] ?? 0) };
  if (code === 0) return { failed: false, reason: 'upstream exited', exitCode: 0 };
  return { failed: true, reason: `upstream exited with code ${code ?? 'unknown'}`, exitCode: code ?? 1 };
}

class StdioUpstream implements Upstream {
  private readonly handlers: UpstreamHandlers;
  private readonly graceMs: number;
  private readonly child: ChildProcess;
  /** The child's process group (where there are groups): signals and the end of `close()` cover it all. */
  private readonly pgid: number | undefined;
  private readonly stdin: Writable;
  private closedOutcome: UpstreamOutcome | undefined;
  private resolveClosed!: () => void;
  private readonly closedPromise = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  private exited = false;
  private paused = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: StdioUpstreamOptions) {
    this.handlers = options.handlers;
    this.graceMs = options.graceMs ?? 2000;
    this.child = spawn(options.command, options.args ?? [], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env as NodeJS.ProcessEnv } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      windowsHide: true,
      detached: GROUPS,
    });
    this.pgid = GROUPS ? this.child.pid : undefined;
    this.stdin = this.child.stdin!;
    this.wireOutput();
    this.wireLifecycle();
  }

  send(framed: Buffer, _end: number, _meta: SendMeta): boolean {
    return this.stdin.writable ? this.stdin.write(framed) : true;
  }

  pause(): void {
    this.paused = true;
    this.child.stdout!.pause();
  }

  resume(): void {
    this.paused = false;
    this.child.stdout!.resume();
  }

  cork(): void {
    this.stdin.cork();
  }

  uncork(): void {
    this.stdin.uncork();
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    const child = this.child;
    if (child.pid === undefined) {
      // Never started: its 'error' (due on the next tick) reports the outcome.
      await settlesWithin(this.closedPromise, this.graceMs);
      return;
    }
    this.stdin.end();
    if (await this.goneWithin(this.graceMs)) return;
    this.signal('SIGTERM');
    if (await this.goneWithin(this.graceMs)) return;
    this.signal('SIGKILL');
    if (await this.goneWithin(this.graceMs)) return;
    this.handlers.log(this.groupAlive() ? `upstream process group ${this.pgid ?? child.pid} did not end after SIGKILL` : 'upstream did not exit');
    this.finish({ failed: true, reason: 'upstream did not exit', exitCode: 1 });
  }

  /** The child's stdout framed into messages, its stderr passed through, pipe errors left to 'close'. */
  private wireOutput(): void {
    const { child, handlers, options } = this;
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const framer = createLineFramer((framed, end, passed) => handlers.message(framed, end, passed), {
      maxLineBytes,
      oversize: oversizeReader(maxLineBytes, (line) => {
        handlers.log(`upstream sent a line of ${line.bytes} bytes, over the limit of ${maxLineBytes}: not delivered`);
        handlers.oversize?.(line);
      }),
      ...(handlers.chunkStart ? { group: { start: () => handlers.chunkStart!(), end: () => handlers.chunkEnd?.() } } : {}),
      ...(handlers.stream ? { stream: handlers.stream } : {}),
    });
    child.stdout!.on('data', (chunk: Buffer) => framer.push(chunk));
    child.stdout!.on('end', () => framer.end());
    child.stderr!.on('data', (chunk: Buffer) => options.stderr.write(chunk));
    // Writing to a child that died raises EPIPE here; its exit is reported through 'close'.
    child.stdin!.on('error', () => {});
    child.stdin!.on('drain', () => handlers.drained?.());
    child.stdout!.on('error', () => {});
    child.stderr!.on('error', () => {});
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.exited = true;
      framer.end();
      this.finish(exitOutcome(code, signal));
    });
  }

  private wireLifecycle(): void {
    const child = this.child;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        this.finish({ failed: true, reason: `cannot start upstream ${JSON.stringify(this.options.command)}: ${err.message}`, exitCode: 127 });
      } else {
        this.handlers.log(`upstream process error: ${err.message}`);
      }
    });
    child.on('exit', () => {
      this.exited = true;
      // A grandchild may hold stdout open; do not wait for it forever. While reading is paused
      // (the client is not reading), what is left in the pipe is still to be delivered: wait on.
      const destroyLater = (): void => {
        setTimeout(() => {
          if (this.paused && this.closing === undefined) return destroyLater();
          child.stdout!.destroy();
          child.stderr!.destroy();
        }, 1000).unref();
      };
      destroyLater();
    });
  }

  private finish(outcome: UpstreamOutcome): void {
    if (this.closedOutcome) return;
    this.closedOutcome = outcome;
    this.handlers.closed(outcome);
    this.resolveClosed();
  }

  /** Signals every process of the upstream's group (just the child where there are no groups). */
  private signal(sig: NodeJS.Signals): void {
    try {
      if (this.pgid !== undefined) process.kill(-this.pgid, sig);
      else if (!this.exited) this.child.kill(sig);
    } catch {
      // the group is gone already
    }
  }

  /** True while any process of the upstream's group is left (zombies included: they go once reaped). */
  private groupAlive(): boolean {
    if (this.pgid === undefined) return !this.exited;
    try {
      process.kill(-this.pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /** True once the child has been reported closed and its group is empty, within `ms`. */
  private async goneWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    if (!(await settlesWithin(this.closedPromise, ms))) return false;
    while (this.groupAlive()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(GROUP_POLL_MS, left)));
    }
    return true;
  }
}

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
