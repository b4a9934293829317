import { describe, expect, it } from 'vitest';
import { IdleBackoff, SLEEP } from '../../../src/consumer/idle.js';

/** Naps until SLEEP; returns them. */
function napsUntilSleep(idle: IdleBackoff): number[] {
  const naps: number[] = [];
  for (let nap = idle.next(); nap !== SLEEP; nap = idle.next()) {
    naps.push(nap);
    if (naps.length > 1000) throw new Error('never sleeps');
  }
  return naps;
}

describe('IdleBackoff', () => {
  it('starts asleep: a consumer that never drained anything does not nap', () => {
    expect(new IdleBackoff().next()).toBe(SLEEP);
  });

  it('after a small drain, naps 1 ms at a time, and sleeps once 20 ms went by empty', () => {
    const idle = new IdleBackoff();
    idle.drained(1000, 8 << 20, 1, false);
    const naps = napsUntilSleep(idle);
    expect(new Set(naps)).toEqual(new Set([1]));
    expect(naps.reduce((a, b) => a + b, 0)).toBe(20);
    expect(idle.next()).toBe(SLEEP);
  });

  it('when an eighth of the ring filled in under 1 ms, empty looks nap 50 µs doubling to 1 ms', () => {
    const idle = new IdleBackoff();
    idle.drained(8 << 10, 64 << 10, 0.5, false);
    const naps = napsUntilSleep(idle);
    expect(naps.slice(0, 6)).toEqual([0.05, 0.1, 0.2, 0.4, 0.8, 1]);
    expect(new Set(naps.slice(5))).toEqual(new Set([1]));
    const total = naps.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(20);
    expect(total).toBeLessThan(21);
    expect(idle.next()).toBe(SLEEP);
  });

  it('a drain in the middle starts the naps over', () => {
    const idle = new IdleBackoff();
    idle.drained(1, 4096, 1, false);
    for (let i = 0; i < 19; i++) idle.next();
    idle.drained(1, 4096, 1, false);
    expect(napsUntilSleep(idle)).toHaveLength(20);
    idle.drained(4096, 4096, 1, false);
    expect(idle.next()).toBe(0.05);
  });
});

describe('IdleBackoff.drained: the nap after a drain that found records', () => {
  const capacity = 8 << 20;
  it('naps 1 ms when an eighth of the ring takes longer than that to fill at the last rate', () => {
    // 11 KiB in 30 µs (one steady producer, ~3 M records/s): an eighth takes ~2.8 ms.
    expect(new IdleBackoff().drained(11 << 10, capacity, 0.03, false)).toBe(1);
    // The first drain after a long sleep: a trickle.
    expect(new IdleBackoff().drained(128, capacity, 5000, false)).toBe(1);
  });

  it('naps only as long as an eighth of the ring takes to fill, down to 50 µs', () => {
    // An eighth of a 64 KiB ring is 8 KiB; 4 KiB came in 0.2 ms: 8 KiB take 0.4 ms.
    expect(new IdleBackoff().drained(4 << 10, 64 << 10, 0.2, false)).toBeCloseTo(0.4, 10);
    expect(new IdleBackoff().drained(4 << 10, 64 << 10, 0.025, false)).toBe(0.05);
  });

  it('looks again at once when even 50 µs would fill an eighth, or records are known to wait', () => {
    expect(new IdleBackoff().drained(8 << 10, 64 << 10, 0.04, false)).toBe(0);
    expect(new IdleBackoff().drained(16, capacity, 1000, true)).toBe(0);
  });

  it('never naps longer than 1 ms or shorter than 50 µs', () => {
    for (let bytes = 8; bytes <= capacity; bytes *= 4) {
      for (const elapsed of [0.001, 0.01, 0.1, 1, 10, 1e6]) {
        const nap = new IdleBackoff().drained(bytes, capacity, elapsed, false);
        expect(nap === 0 || (nap >= 0.05 && nap <= 1)).toBe(true);
      }
    }
  });
});
