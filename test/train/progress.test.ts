/** The progress line's time left: '-' until a step has been timed (never "ETA NFs" / "INF" at step 0). */
import { describe, expect, it } from 'vitest';
import { etaClock } from '../../src/train/progress.js';

describe('etaClock', () => {
  it("says '-' before any step is timed, then the time left at the pace so far", () => {
    let t = 1000;
    const eta = etaClock(100, () => t);
    expect(eta(0)).toBe('-');
    t += 5000; // 5 s for 10 steps: 0.5 s a step, 90 left
    expect(eta(10)).toBe('45s');
    t += 55000;
    expect(eta(20)).toBe('4m00s');
  });

  it('a resumed epoch is timed from the step it resumed at', () => {
    let t = 0;
    const eta = etaClock(1000, () => t);
    expect(eta(400)).toBe('-');
    t += 2000;
    expect(eta(410)).toBe('1m58s'); // 0.2 s a step, 590 left
  });
});
