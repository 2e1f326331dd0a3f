import { buildDistIfStale } from './distBuild.js';

/** Builds dist/ once before the suite: tests start child processes on the built JS. */
export default function setup(): void {
  buildDistIfStale();
}
