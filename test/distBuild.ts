import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The sources under src/ (relative paths) whose dist/src output is missing or older than them. */
export function staleSources(root = REPO_ROOT): string[] {
  return readdirSync(join(root, 'src'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => {
      const out = join(root, 'dist', 'src', f.replace(/\.ts$/, '.js'));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(root, 'src', f)).mtimeMs;
    });
}

/** True when dist/ui is missing or older than a file under ui/ (or its build script). */
export function uiStale(root = REPO_ROOT): boolean {
  const manifest = join(root, 'dist', 'ui', 'manifest.json');
  if (!existsSync(manifest)) return true;
  const built = statSync(manifest).mtimeMs;
  const sources = readdirSync(join(root, 'ui'), { recursive: true }).map((f) => join(root, 'ui', String(f)));
  return [...sources, join(root, 'scripts', 'buildUi.mjs')].some((f) => statSync(f).mtimeMs > built);
}

/**
 * Builds dist/ with tsc when a source is newer than its output, and dist/ui when a file under ui/ is. Runs once, in vitest's main
 * process (globalSetup), never in a test worker: workers running tsc side by side raced each
 * other's output and stalled the suite. Type errors do not stop tsc from emitting, so only a
 * build that emits nothing fails here.
 */
export function buildDistIfStale(root = REPO_ROOT): void {
  if (uiStale(root)) {
    const ui = spawnSync(process.execPath, [join(root, 'scripts', 'buildUi.mjs')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    if (ui.status !== 0) throw new Error(`UI build failed: ${ui.error?.message ?? ''}${ui.stdout}${ui.stderr}`);
  }
  if (staleSources(root).length === 0) return;
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const result = spawnSync(npx, ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  const still = staleSources(root);
  if (still.length > 0) throw new Error(`tsc left dist/ older than ${still.slice(0, 5).join(', ')}: ${result.error?.message ?? ''}${result.stdout}${result.stderr}`);
}

/**
 * Fails with a clear message when dist/ is older than src/ (tests whose child processes run the
 * built JS call it). The suite's globalSetup builds before any test runs; a file edited mid-run
 * is the only way to get here.
 */
export function assertDistFresh(root = REPO_ROOT): void {
  const stale = staleSources(root);
  if (stale.length > 0) throw new Error(`dist/ is older than src/ (${stale.slice(0, 5).join(', ')}): run \`npx tsc -p .\` or the suite through vitest, whose globalSetup builds`);
}
