#!/usr/bin/env node
// `npm start [-- FLAGS]`: runs `mcpscope serve --http FLAGS` from the built output. It rebuilds
// first only when the build is missing or older than a source (src/, ui/, tsconfig.json,
// package.json), and says so on stderr, so a checkout built by `npm ci` starts at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// tsc rewrites every output on each build, so the entry point's mtime is the time of the last build.
const entry = join(root, 'dist', 'src', 'cli.js');
// The UI build rewrites its manifest each time: its mtime is the time of the last UI build.
const uiManifest = join(root, 'dist', 'ui', 'manifest.json');
const uiBuildScript = join(root, 'scripts', 'buildUi.mjs');
// A checkout without the browser UI's sources (or its build script) builds the server only.
const hasUi = existsSync(join(root, 'ui')) && existsSync(uiBuildScript);

function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Newest mtime of the source files (.ts, and .css/.html under ui/) under `dir` and of the directories themselves (a deleted or renamed file changes its directory's). */
function newestUnder(dir, depth = 0) {
  let newest = mtimeOf(dir) ?? 0;
  if (depth > 32) return newest;
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestUnder(path, depth + 1));
    else if (/\.(ts|css|html)$/.test(e.name)) newest = Math.max(newest, mtimeOf(path) ?? 0);
  }
  return newest;
}

function staleReason() {
  const built = mtimeOf(entry);
  const uiBuilt = hasUi ? mtimeOf(uiManifest) : Infinity;
  if (built === undefined || uiBuilt === undefined) return 'no build found';
  const config = Math.max(mtimeOf(join(root, 'tsconfig.json')) ?? 0, mtimeOf(join(root, 'package.json')) ?? 0);
  const sources = Math.max(newestUnder(join(root, 'src')), config);
  const uiSources = hasUi ? Math.max(newestUnder(join(root, 'ui')), mtimeOf(uiBuildScript) ?? 0, config) : 0;
  return sources > built || uiSources > uiBuilt ? 'sources changed since the last build' : undefined;
}

const reason = staleReason();
if (reason !== undefined) {
  process.stderr.write(`mcpscope: ${reason}; rebuilding…\n`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // tsc reports on stdout; keep that for the server and send the report to stderr.
  const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write(`mcpscope: build failed (${build.error?.message ?? `tsc exit code ${build.status ?? build.signal}`}); not starting\n`);
    process.exit(1);
  }
  const ui = hasUi ? spawnSync(process.execPath, [uiBuildScript], { cwd: root, stdio: ['ignore', 2, 2] }) : { status: 0 };
  if (ui.status !== 0) {
    process.stderr.write(`mcpscope: UI build failed (${ui.error?.message ?? `exit code ${ui.status ?? ui.signal}`}); not starting\n`);
    process.exit(1);
  }
}

// The CLI reads its arguments from process.argv when imported: run it in this process, so
// signals reach it directly and no second Node start-up is paid.
process.argv = [process.argv[0], entry, 'serve', '--http', ...process.argv.slice(2)];
await import(pathToFileURL(entry).href);
