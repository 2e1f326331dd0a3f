#!/usr/bin/env node
// Builds, runs the whole vitest suite, and ends with the plain summary line
// `N passed, N failed` derived from vitest's JSON report (CI reads that line).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const build = spawnSync(npx, ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
const buildUi = build.status === 0 ? spawnSync(process.execPath, ['scripts/buildUi.mjs'], { stdio: 'inherit' }) : build;
if (build.status !== 0 || buildUi.status !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

rmSync(report, { force: true });
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync(npx, args, { stdio: 'inherit' });

let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests ?? 0;
  // A suite that fails to load has no failed tests of its own: count it.
  const brokenSuites = (json.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
  failed = (json.numFailedTests ?? 0) + brokenSuites;
} catch (err) {
  console.log(`could not read ${report}: ${err.message}`);
  failed = Math.max(failed, 1);
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
