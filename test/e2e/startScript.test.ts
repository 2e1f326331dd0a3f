import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, ROOT, waitForOutput } from './proxyHelpers.js';

// `npm start` is `node scripts/start.mjs`; the script is run directly so signals reach it.
// Each case runs it from a scratch checkout so mtimes are under the test's control and the
// repository's own dist/ is never rebuilt while other tests use it.

const REBUILD = /sources changed since the last build; rebuilding…/;
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child, 5000);
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpscope-start-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(ROOT, 'scripts/start.mjs'), join(dir, 'scripts/start.mjs'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Sets the mtime of `path` and of everything under it to `seconds` (epoch). */
function age(path: string, seconds: number): void {
  utimesSync(path, seconds, seconds);
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) age(join(path, e.name), seconds);
}

function start(dir: string, args: string[], tracesDir: string): ChildProcess {
  const child = spawn(process.execPath, [join(dir, 'scripts/start.mjs'), ...args], {
    cwd: dir,
    env: { ...process.env, MCP_TRACES_DIR: tracesDir, MCPSCOPE_PORT: '', MCPSCOPE_HOST: '', MCPSCOPE_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function collect(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  return { text: () => text };
}

/** A tiny project whose "CLI" reports the arguments it got, so rebuilds take a second, not the real build's. */
function toyProject(dir: string, cliSource: string): void {
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'toy', type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', lib: ['ES2022'], types: [], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, rootDir: '.', outDir: 'dist' },
      include: ['src/**/*.ts'],
    }),
  );
  writeFileSync(join(dir, 'src/cli.ts'), cliSource);
}

// Without @types/node (loading it would make each toy build several seconds slower).
const REPORT_ARGS = [
  'declare const process: { argv: string[]; stderr: { write(text: string): boolean } };',
  'process.stderr.write(`toy cli ${JSON.stringify(process.argv.slice(2))}\\n`);',
  'export {};',
  '',
].join('\n');

describe('npm start (scripts/start.mjs)', () => {
  it('serves from a built checkout without rebuilding, passes flags through, and answers health', async () => {
    const dir = await scratch();
    const traces = join(dir, 'traces');
    // A checkout as `npm ci` leaves it: sources older than the build.
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    cpSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'), 'dir');
    // Far older than any build, so the repository's own dist/ (linked here) is never rebuilt.
    const old = Date.UTC(2000, 0, 1) / 1000;
    for (const p of ['src', 'tsconfig.json', 'package.json']) age(join(dir, p), old);

    const child = start(dir, ['--port', '0'], traces);
    const out = collect(child);
    const line = await waitForOutput(child, /gateway at (http:\/\/127\.0\.0\.1:\d+)\/#code=\S+/, 20_000);
    expect(out.text()).not.toMatch(/rebuilding/);
    const base = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
    expect(base).not.toBe('http://127.0.0.1:7800');
    const health = await fetch(`${base}/_inspector/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ name: 'mcpscope' });
    expect(out.text()).toContain(`traces in ${traces}`);

    child.kill('SIGTERM');
    expect(await exitOf(child, 10_000)).toBe(0);
  });

  it('rebuilds when a source is newer than the build, says so on stderr, then runs `serve --http` with the extra flags', async () => {
    const dir = await scratch();
    toyProject(dir, REPORT_ARGS);
    const child = start(dir, ['--port', '0', '--no-control'], join(dir, 'traces'));
    const out = collect(child);
    expect(await exitOf(child, 30_000)).toBe(0);
    // No build at all yet counts as stale too, with its own reason.
    expect(out.text()).toMatch(/no build found; rebuilding…/);
    expect(out.text()).toContain('toy cli ["serve","--http","--port","0","--no-control"]');

    // Built now: a second start does not rebuild.
    const again = start(dir, [], join(dir, 'traces'));
    const againOut = collect(again);
    expect(await exitOf(again, 30_000)).toBe(0);
    expect(againOut.text()).not.toMatch(/rebuilding/);
    expect(againOut.text()).toContain('toy cli ["serve","--http"]');

    // An edited source is newer than the build.
    const future = Date.now() / 1000 + 60;
    writeFileSync(join(dir, 'src/cli.ts'), `${REPORT_ARGS}process.stderr.write('edited\\n');\n`);
    utimesSync(join(dir, 'src/cli.ts'), future, future);
    const edited = start(dir, [], join(dir, 'traces'));
    const editedOut = collect(edited);
    expect(await exitOf(edited, 30_000)).toBe(0);
    expect(editedOut.text()).toMatch(REBUILD);
    expect(editedOut.text()).toContain('edited');
  });

  it('counts a deleted source file (its directory changed) as a change', async () => {
    const dir = await scratch();
    toyProject(dir, REPORT_ARGS);
    writeFileSync(join(dir, 'src/extra.ts'), 'export const x = 1;\n');
    const first = start(dir, [], join(dir, 'traces'));
    expect(await exitOf(first, 30_000)).toBe(0);
    const old = Date.now() / 1000 - 3600;
    age(join(dir, 'src'), old);
    age(join(dir, 'package.json'), old);
    age(join(dir, 'tsconfig.json'), old);
    unlinkSync(join(dir, 'src/extra.ts'));
    const future = Date.now() / 1000 + 60;
    utimesSync(join(dir, 'src'), future, future);
    const second = start(dir, [], join(dir, 'traces'));
    const out = collect(second);
    expect(await exitOf(second, 30_000)).toBe(0);
    expect(out.text()).toMatch(REBUILD);
  });

  it('rebuilds when a file under ui/ is newer than the UI build, and only then', async () => {
    const dir = await scratch();
    toyProject(dir, REPORT_ARGS);
    mkdirSync(join(dir, 'ui'));
    writeFileSync(join(dir, 'ui/main.ts'), 'export {};\n');
    // A toy UI build: records that it ran and writes the manifest whose mtime dates the UI build.
    writeFileSync(
      join(dir, 'scripts/buildUi.mjs'),
      "import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('dist/ui', { recursive: true });\nwriteFileSync('dist/ui/manifest.json', '{}');\nprocess.stderr.write('toy ui build\\n');\n",
    );
    const first = start(dir, [], join(dir, 'traces'));
    const firstOut = collect(first);
    expect(await exitOf(first, 30_000)).toBe(0);
    expect(firstOut.text()).toMatch(/no build found; rebuilding…/);
    expect(firstOut.text()).toContain('toy ui build');

    const again = start(dir, [], join(dir, 'traces'));
    const againOut = collect(again);
    expect(await exitOf(again, 30_000)).toBe(0);
    expect(againOut.text()).not.toMatch(/rebuilding/);

    const future = Date.now() / 1000 + 60;
    utimesSync(join(dir, 'ui/main.ts'), future, future);
    const edited = start(dir, [], join(dir, 'traces'));
    const editedOut = collect(edited);
    expect(await exitOf(edited, 30_000)).toBe(0);
    expect(editedOut.text()).toMatch(REBUILD);
    expect(editedOut.text()).toContain('toy ui build');
  });

  it('does not start when the rebuild fails, and shows the compiler errors on stderr', async () => {
    const dir = await scratch();
    toyProject(dir, 'const n: number = "not a number";\nexport {};\n');
    const child = spawn(process.execPath, [join(dir, 'scripts/start.mjs')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exitOf(child, 30_000)).toBe(1);
    expect(stderr).toMatch(/no build found; rebuilding…/);
    expect(stderr).toMatch(/TS2322/);
    expect(stderr).toMatch(/build failed .*not starting/);
    expect(stdout).toBe('');
  });
});
