import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fmt, type BenchRow } from './benchRow.js';

/**
 * The CLI of the old build named by BENCH_OLD_ROOT (a checkout of an earlier commit, built, with
 * its own node_modules), for proxy rows measured against it in the same interleaved run; undefined
 * when the variable is unset or empty. Throws, naming the path, when it is set but holds no built CLI,
 * so a mistyped root fails its suite instead of quietly measuring the new build twice.
 */
export function oldCliPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = env.BENCH_OLD_ROOT;
  if (root === undefined || root === '') return undefined;
  const cli = join(resolve(root), 'dist/src/cli.js');
  if (!existsSync(cli) || !statSync(cli).isFile()) {
    throw new Error(`BENCH_OLD_ROOT=${root} holds no built CLI (${cli} missing: check out, npm ci and build it first)`);
  }
  return cli;
}

/**
 * How far a new/old ratio measured in the same interleaved run may stray and still count as
 * "within noise" of the old build. Calibrated by `npm run bench:against -- HEAD -- proxy` (the
 * same build on both sides, quiet 2-core VM): p50 ratios 0.95-1.01x, calls/s 0.96-0.99x, but
 * pooled p99s 0.60-1.27x, since a p99 is a handful of calls that met the scheduler.
 */
export const WITHIN_NOISE = { p50: 1.1, p99: 1.5, perSec: 0.9 } as const;

/**
 * One A/B row: a figure of the new build against the old build's, with `ratio` = new/old taken per
 * round (median over rounds). `higherIsBetter` flips the limit for throughput (calls/s).
 */
export function abRow(name: string, ratio: number, now: string, before: string, limit: number, higherIsBetter = false): BenchRow {
  const x = `${fmt(ratio, 2)}x`;
  return {
    name,
    measured: `${now} (${x} old)`,
    target: higherIsBetter ? `>= ${fmt(limit, 2)}x old` : `<= ${fmt(limit, 2)}x old`,
    baseline: `old build ${before}`,
    ok: higherIsBetter ? ratio >= limit : ratio <= limit,
  };
}
