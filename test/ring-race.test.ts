/**
 * isSealed() and end() against a ring that producers and the consumer move a lap at a time,
 * from other threads. Reading HEAD and then TAIL could pair a HEAD from before a lap with a TAIL
 * from after it, which looks like a sealed ring: a producer then counted its record as
 * droppedClosed while the backend ran (seen in the drop stress test), and seal() could think
 * there was nothing to seal. They now take TAIL - HEAD at one instant.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { allocateShared, viewShared } from '../src/shared/layout.js';
import { NO_SPACE, Ring } from '../src/shared/ring.js';

describe('a ring that moves under the reader', () => {
  it('is never taken for sealed, and its end is never behind HEAD, while it laps', async () => {
    const buffer = allocateShared(4096);
    const ring = new Ring(viewShared(buffer));
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const url = new URL('../dist/test/fixtures/seal-watcher.js', import.meta.url);
    const watchers = [0, 1].map(() => new Worker(url, { workerData: { buffer, stop } }));
    const reports = watchers.map(
      (watcher) => new Promise<{ asked: number; sealed: number; endBehindHead: number }>((resolve, reject) => {
        watcher.once('message', resolve);
        watcher.once('error', reject);
      }),
    );
    const until = Date.now() + 1500;
    let laps = 0;
    while (Date.now() < until) {
      for (let k = 0; k < 100; k++, laps++) {
        let index: number;
        while ((index = ring.claim(200, 1)) !== NO_SPACE) ring.commit(index, 200);
        ring.release(ring.read(() => {}, Number.MAX_SAFE_INTEGER));
      }
    }
    Atomics.store(stop, 0, 1);
    const results = await Promise.all(reports);
    for (const { asked, sealed, endBehindHead } of results) {
      expect(asked).toBeGreaterThan(1000);
      expect(sealed).toBe(0);
      expect(endBehindHead).toBe(0);
    }
    expect(laps).toBeGreaterThan(1000);
    // And a sealed ring is still seen as sealed.
    ring.seal();
    expect(ring.isSealed()).toBe(true);
    expect(ring.end()).toBe(ring.head());
  });
});
