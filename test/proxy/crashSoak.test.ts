import { describe, expect, it } from 'vitest';
import { CRASH_LOSS_TARGET_MS, runCrashSoak } from '../../bench/crashSoak.js';

describe('a recording proxy SIGKILLed at random moments under full load (built CLI)', () => {
  it(`loses less than ${CRASH_LOSS_TARGET_MS} ms of answered traffic in each of 30 kills`, async () => {
    const { trials, seed } = await runCrashSoak({ kills: 30 });
    const worst = trials.reduce((a, t) => (t.lostMs > a.lostMs ? t : a));
    const worstSpans = Math.max(...trials.map((t) => t.lostSpans));
    const answered = trials.reduce((a, t) => a + t.answered, 0);
    console.error(
      `crash soak (seed ${seed}): ${trials.length} kills, ${answered} calls answered; worst loss ${worst.lostMs.toFixed(1)} ms (${worst.lostSpans} calls, kill at +${worst.killAfterMs} ms); most calls lost in one kill ${worstSpans}`,
    );
    // Every kill came under load: the figure is about traffic, not an idle proxy.
    for (const t of trials) expect(t.answered).toBeGreaterThan(0);
    expect(worst.lostMs).toBeLessThan(CRASH_LOSS_TARGET_MS);
  }, 120_000);
});
