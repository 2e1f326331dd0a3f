/**
 * The one rule for "does the process that wrote this still run", for locks, live metas and
 * registrations alike: a pid that is not a positive integer is gone; otherwise `kill(pid, 0)`
 * decides, and only ESRCH means gone (EPERM is alive but not ours; any other error is taken as
 * alive, so a session is never declared abandoned on a doubtful answer). Pids are per machine:
 * a pid reused since is reported alive.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
