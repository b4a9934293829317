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

  it('after a drain, naps 1 ms at a time, and sleeps once 20 ms went by empty', () => {
    const idle = new IdleBackoff();
    idle.reset();
    const naps = napsUntilSleep(idle);
    expect(new Set(naps)).toEqual(new Set([1]));
    expect(naps.reduce((a, b) => a + b, 0)).toBe(20);
    expect(idle.next()).toBe(SLEEP);
  });

  it('a drain in the middle starts the naps over', () => {
    const idle = new IdleBackoff();
    idle.reset();
    for (let i = 0; i < 19; i++) idle.next();
    idle.reset();
    expect(napsUntilSleep(idle)).toHaveLength(20);
  });
});
