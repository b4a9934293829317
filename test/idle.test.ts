import { describe, expect, it } from 'vitest';
import { IdleBackoff, SLEEP } from '../src/consumer/idle.js';

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

  it('after a drain, naps 50 µs doubling to 1 ms, and sleeps once 20 ms went by empty', () => {
    const idle = new IdleBackoff();
    idle.reset();
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
    idle.reset();
    for (let i = 0; i < 8; i++) idle.next();
    idle.reset();
    expect(idle.next()).toBe(0.05);
  });
});
