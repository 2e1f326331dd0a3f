// `npm run bench:against -- [REF] [--out FILE] [--timeout MIN] [-- SUITE...]`
//
// Runs `npm run bench` before (REF, default 0f48925) and after (this working tree) on the same
// machine and prints one markdown table joined by row name. REF is checked out into a throw-away
// git worktree under the OS temp dir, installed and built there, and its own bench runs first; then
// this tree's bench runs with BENCH_OLD_ROOT pointing at it, so the proxy rows also carry an A/B
// against the old build measured in the same interleaved rounds. The worktree is removed at the
// end, on error and on Ctrl-C. Progress goes to stderr, the table to stdout (and to --out FILE).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinBenchTables, parseBenchTable } from './benchTable.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_REF = '0f48925';
const MINUTE = 60_000;
/** Bounds for every child process; a bench may take longer on a loaded machine (see --timeout). */
const LIMITS = { git: MINUTE, install: 10 * MINUTE, build: 10 * MINUTE, probe: MINUTE, bench: 40 * MINUTE };
const USAGE = 'usage: npm run bench:against -- [REF] [--out FILE] [--timeout MINUTES] [-- SUITE...]';

class Failure extends Error {}

/** Parses argv: one optional ref, --out FILE, --timeout MIN (per bench run), suites after `--`. */
function parseArgs(argv) {
  const opts = { ref: undefined, out: undefined, benchMs: LIMITS.bench, suites: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      opts.suites = argv.slice(i + 1);
      break;
    } else if (a === '--out' || a === '--timeout') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Failure(`${a} needs a value\n${USAGE}`);
      if (a === '--out') opts.out = resolve(v);
      else {
        const min = Number(v);
        if (!Number.isFinite(min) || min <= 0) throw new Failure(`--timeout wants minutes > 0, got ${v}`);
        opts.benchMs = min * MINUTE;
      }
    } else if (a === '--help' || a === '-h') {
      throw new Failure(USAGE);
    } else if (a.startsWith('-')) {
      throw new Failure(`unknown option ${a}\n${USAGE}`);
    } else if (opts.ref === undefined) {
      opts.ref = a;
    } else {
      throw new Failure(`one ref only (got ${opts.ref} and ${a}); suites go after --\n${USAGE}`);
    }
  }
  opts.ref ??= DEFAULT_REF;
  return opts;
}

/** Process groups still running, ended on timeout, error or signal. */
const running = new Set();

function endGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs a command in its own process group (so its children end with it), bounded by `timeoutMs`.
 * stderr is echoed with a `[label]` prefix and its tail kept for error messages; stdout is
 * captured. Resolves `{ code, stdout, stderrTail }`; rejects with a Failure on timeout.
 */
function run(label, cmd, args, { cwd, env = process.env, timeoutMs, echo = true }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child);
    const out = [];
    let tail = '';
    let pending = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      endGroup(child);
    }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      const s = d.toString();
      tail = (tail + s).slice(-4000);
      if (!echo) return;
      const lines = (pending + s).split('\n');
      pending = lines.pop();
      for (const l of lines) process.stderr.write(`[${label}] ${l}\n`);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Failure(`${label}: cannot start ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (echo && pending) process.stderr.write(`[${label}] ${pending}\n`);
      if (timedOut) reject(new Failure(`${label}: ${cmd} ${args.join(' ')} did not finish within ${Math.round(timeoutMs / 1000)} s and was ended`));
      else resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderrTail: tail });
    });
  });
}

/** Runs and fails with the command's stderr tail unless it exits 0. */
async function mustRun(label, what, cmd, args, options) {
  const r = await run(label, cmd, args, options);
  if (r.code !== 0) throw new Failure(`${what} failed (exit ${r.code}):\n${r.stderrTail.trim()}`);
  return r;
}

const git = (args, timeout = LIMITS.git) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', timeout });

/** The suites a built tree's bench knows: asked by naming one it does not know (every version lists them). */
async function knownSuites(label, tree) {
  const r = await run(label, process.execPath, ['dist/bench/run.js', '--list-suites--'], { cwd: tree, timeoutMs: LIMITS.probe, echo: false });
  const m = /known: (.*)$/m.exec(r.stderrTail);
  if (!m) throw new Failure(`${label}: cannot list the bench suites of ${tree}:\n${r.stderrTail.trim()}`);
  return m[1].split(',').map((s) => s.trim()).filter(Boolean);
}

/** Runs one tree's bench and reads its table back. */
async function bench(label, tree, suites, env, timeoutMs) {
  process.stderr.write(`bench:against: running the ${label} bench in ${tree}${suites.length ? ` (${suites.join(' ')})` : ''}\n`);
  const r = await run(label, process.execPath, ['--expose-gc', 'dist/bench/run.js', ...suites], { cwd: tree, env, timeoutMs });
  try {
    return parseBenchTable(r.stdout);
  } catch (err) {
    throw new Failure(`${label} bench (exit ${r.code}) printed no table: ${err.message}\n${r.stderrTail.trim()}`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const sha = git(['rev-parse', '--verify', '--quiet', `${opts.ref}^{commit}`]).stdout.trim();
  if (!sha) throw new Failure(`ref '${opts.ref}' does not exist in ${ROOT} (git rev-parse found no commit)`);
  const head = git(['rev-parse', '--short', 'HEAD']).stdout.trim();
  const dirty = git(['status', '--porcelain']).stdout.trim() !== '';
  const labels = { before: opts.ref === sha.slice(0, opts.ref.length) ? sha.slice(0, 7) : `${opts.ref} ${sha.slice(0, 7)}`, after: `HEAD ${head}${dirty ? '+changes' : ''}` };

  process.stderr.write('bench:against: building this tree\n');
  await mustRun('after', 'building this tree (npm run build)', 'npm', ['run', 'build', '--silent'], { cwd: ROOT, timeoutMs: LIMITS.build });
  const newKnown = await knownSuites('after', ROOT);
  const unknown = opts.suites.filter((s) => !newKnown.includes(s));
  if (unknown.length > 0) throw new Failure(`unknown suite(s) ${unknown.join(', ')}; known: ${newKnown.join(', ')}`);
  // `proxy` already runs the 100 KB rows; naming both would run them twice.
  const suites = opts.suites.includes('proxy') ? opts.suites.filter((s) => s !== 'proxy-big') : opts.suites;

  const tmp = mkdtempSync(join(tmpdir(), 'mcpscope-bench-against-'));
  const tree = join(tmp, 'tree');
  const cleanup = () => {
    for (const child of running) endGroup(child);
    git(['worktree', 'remove', '--force', tree]);
    rmSync(tmp, { recursive: true, force: true });
    git(['worktree', 'prune']);
  };
  const onSignal = (sig) => {
    process.stderr.write(`bench:against: ${sig}, removing ${tmp}\n`);
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    process.stderr.write(`bench:against: checking out ${opts.ref} (${sha.slice(0, 7)}) into ${tree}\n`);
    const added = git(['worktree', 'add', '--detach', tree, sha]);
    if (added.status !== 0) throw new Failure(`git worktree add failed: ${added.stderr.trim()}`);
    await mustRun('before', `installing ${opts.ref} (npm ci)`, 'npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: tree, timeoutMs: LIMITS.install });
    const oldScripts = JSON.parse(readFileSync(join(tree, 'package.json'), 'utf8')).scripts ?? {};
    if (oldScripts.build) await mustRun('before', `building ${opts.ref} (npm run build)`, 'npm', ['run', 'build', '--silent'], { cwd: tree, timeoutMs: LIMITS.build });
    else await mustRun('before', `building ${opts.ref} (tsc)`, 'npx', ['tsc', '-p', 'tsconfig.json'], { cwd: tree, timeoutMs: LIMITS.build });
    if (!existsSync(join(tree, 'dist/bench/run.js'))) throw new Failure(`${opts.ref} built, but has no dist/bench/run.js: no bench to compare with`);

    const oldKnown = await knownSuites('before', tree);
    const oldSuites = suites.filter((s) => oldKnown.includes(s));
    const notes = [];
    const skipped = suites.filter((s) => !oldKnown.includes(s));
    if (skipped.length > 0) notes.push(`suite(s) ${skipped.join(', ')} do not exist at ${labels.before}: after only`);
    const { BENCH_OLD_ROOT: _unused, ...oldEnv } = process.env;
    const before = suites.length > 0 && oldSuites.length === 0 ? [] : await bench('before', tree, oldSuites, oldEnv, opts.benchMs);
    const after = await bench('after', ROOT, suites, { ...process.env, BENCH_OLD_ROOT: tree }, opts.benchMs);

    const cpu = cpus();
    const header = [
      `Measured ${new Date().toISOString()} on ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, node ${process.version}; before first, then after (proxy A/B rows interleaved in one run).`,
      ...notes.map((n) => `Note: ${n}.`),
      '',
    ].join('\n');
    const md = `${header}\n${joinBenchTables(before, after, labels)}`;
    process.stdout.write(md);
    if (opts.out) {
      writeFileSync(opts.out, md);
      process.stderr.write(`bench:against: wrote ${opts.out}\n`);
    }
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:against: ${err instanceof Failure ? err.message : (err?.stack ?? String(err))}\n`);
  process.exitCode = 1;
});
