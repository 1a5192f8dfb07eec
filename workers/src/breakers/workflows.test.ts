import { describe, expect, it } from 'vitest';
import { coolDownFor, MAX_BACKED_OFF_COOL_DOWN_MS } from './workflows';

describe('breaker cool-down', () => {
  it('is the requested cool-down at first, then doubles after each failed half-open phase', () => {
    expect([0, 1, 2, 3].map((failed) => coolDownFor(1_000, failed))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('stops growing at an hour, whatever the number of failures', () => {
    expect(coolDownFor(60_000, 6)).toBe(MAX_BACKED_OFF_COOL_DOWN_MS);
    expect(coolDownFor(1_000, 10_000)).toBe(MAX_BACKED_OFF_COOL_DOWN_MS);
  });

  it('stops growing at the cap the opener asked for, never above an hour nor below the cool-down', () => {
    expect([0, 1, 2, 3].map((failed) => coolDownFor(1_000, failed, 5_000))).toEqual([
      1_000, 2_000, 4_000, 5_000,
    ]);
    expect(coolDownFor(1_000, 20, 1_000)).toBe(1_000);
    expect(coolDownFor(60_000, 20, 10 * 3_600_000)).toBe(MAX_BACKED_OFF_COOL_DOWN_MS);
    expect(coolDownFor(10_000, 3, 1_000)).toBe(10_000);
    for (const nonsense of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(coolDownFor(1_000, 20, nonsense)).toBe(MAX_BACKED_OFF_COOL_DOWN_MS);
    }
  });

  it('keeps a requested cool-down longer than the cap as it is', () => {
    expect(coolDownFor(2 * 3_600_000, 0)).toBe(2 * 3_600_000);
    expect(coolDownFor(2 * 3_600_000, 5)).toBe(2 * 3_600_000);
  });
});
