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

// Tests whose subject is how the product behaves under load it makes itself (the crash soak
// bounds lost traffic in milliseconds) run after the rest, alone, so the machine's load is theirs.
const SOLO = ['test/proxy/crashSoak.test.ts'];
const extra = process.argv.slice(2);
const phases = extra.length > 0 ? [extra] : [[...SOLO.flatMap((f) => ['--exclude', f])], SOLO];

let passed = 0;
let failed = 0;
for (const phase of phases) {
  rmSync(report, { force: true });
  const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...phase];
  const run = spawnSync(npx, args, { stdio: 'inherit' });
  let phaseFailed = 0;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests ?? 0;
    // A suite that fails to load has no failed tests of its own: count it.
    const brokenSuites = (json.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
    phaseFailed = (json.numFailedTests ?? 0) + brokenSuites;
  } catch (err) {
    console.log(`could not read ${report}: ${err.message}`);
    phaseFailed = 1;
  }
  if (run.status !== 0 && phaseFailed === 0) phaseFailed = 1;
  failed += phaseFailed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
