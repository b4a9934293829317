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
    idle.reset(1000, 8 << 20);
    const naps = napsUntilSleep(idle);
    expect(new Set(naps)).toEqual(new Set([1]));
    expect(naps.reduce((a, b) => a + b, 0)).toBe(20);
    expect(idle.next()).toBe(SLEEP);
  });

  it('after a drain of an eighth of the ring or more, naps 50 µs doubling to 1 ms', () => {
    const idle = new IdleBackoff();
    idle.reset(8 << 10, 64 << 10);
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
    idle.reset(1, 4096);
    for (let i = 0; i < 19; i++) idle.next();
    idle.reset(1, 4096);
    expect(napsUntilSleep(idle)).toHaveLength(20);
    idle.reset(4096, 4096);
    expect(idle.next()).toBe(0.05);
  });
});
