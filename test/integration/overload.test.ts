/**
 * Overload: producers that outrun the consumer.
 * - onFull 'drop': the call returns at once, drops are counted, and once space returns a line
 *   "ringlog: N records dropped (ring full)" says how many, rendered like any record.
 * - A sustained overload by 8 producer threads, with 'block' and with 'drop': memory stays flat,
 *   nothing deadlocks, and every record that was not dropped arrives intact, at most once and in
 *   order. It lasts RINGLOG_SOAK_MS per mode: 2 s in `npm test` (each mode then logs and checks several
 *   million records), 30 s in `npm run test:soak`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend } from '../../dist/src/index.js';
import { Slot, viewShared } from '../../dist/src/ring/layout.js';
import type { SoakWorkerData } from '../fixtures/soak-worker.js';
import { checksum } from '../fixtures/stress-text.js';
import { forEachRecord, readRecords, tempDir } from '../support/log-files.js';

const SOAK_MS = Number(process.env['RINGLOG_SOAK_MS'] ?? 2000);
const SOAK_PRODUCERS = 8;
const MiB = 1024 * 1024;

describe("onFull: 'drop'", () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('returns at once, counts the drops, and writes "N records dropped" at level warn when space returns', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const file = join(dir, 'app.log');
    const backend = await createLogBackend({ bufferSize: '64KiB', onFull: 'drop', file });
    const log = backend.logger('main');
    // The consumer held off the ring (DRAIN_LOCK taken, as a drain on another thread takes it):
    // ~130 bytes a record, 5,000 are ten times what the ring holds. (Outrunning the consumer
    // with a burst from one thread stopped working once it wrote line lanes as they are.)
    const control = viewShared(backend.handle.buffer).control;
    while (Atomics.compareExchange(control, Slot.DRAIN_LOCK, 0, 1) !== 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const started = performance.now();
    for (let i = 0; i < 5000; i++) log.info({ i }, 'burst record with a little padding to take room');
    const elapsed = performance.now() - started;
    Atomics.store(control, Slot.DRAIN_LOCK, 0);
    const { droppedFull } = backend.stats();
    expect(droppedFull).toBeGreaterThan(0);
    // Never waited: 5,000 calls take milliseconds, not the time of writing them.
    expect(elapsed).toBeLessThan(2000);
    // Space returns as the consumer drains; the notice follows without close().
    const deadline = Date.now() + 5000;
    while (!readFileSync(file, 'utf8').includes('"name":"ringlog"') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stats = await backend.close();
    const records = readRecords(dir, 'app.log');
    const notices = records.filter((r) => r['name'] === 'ringlog');
    expect(notices.length).toBeGreaterThan(0);
    for (const notice of notices) {
      expect(Object.keys(notice)).toEqual(['level', 'time', 'pid', 'hostname', 'name', 'dropped', 'msg']);
      expect(notice).toMatchObject({ level: 40, pid: process.pid, msg: `ringlog: ${String(notice['dropped'])} records dropped (ring full)` });
    }
    expect(notices.reduce((n, notice) => n + (notice['dropped'] as number), 0)).toBe(stats.droppedFull);
    const kept = records.filter((r) => r['name'] === 'main').map((r) => r['i'] as number);
    expect(kept.length + stats.droppedFull).toBe(5000);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(stats.recordsWritten).toBe(records.length);
  });

  it('writes no notice when nothing was dropped', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ bufferSize: '64KiB', onFull: 'drop', file: join(dir, 'app.log') });
    const log = backend.logger('main');
    for (let i = 0; i < 100; i++) log.info({ i }, 'fits');
    const stats = await backend.close();
    expect(stats.droppedFull).toBe(0);
    expect(readRecords(dir, 'app.log').filter((r) => r['name'] === 'ringlog')).toEqual([]);
  });
});

describe(`sustained overload: ${SOAK_PRODUCERS} producers for ${SOAK_MS / 1000} s (RINGLOG_SOAK_MS)`, () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each([['block'], ['drop']] as const)("onFull '%s': memory flat, no deadlock, every record kept arrives intact, at most once, in order", async (onFull) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({
      bufferSize: '256KiB',
      onFull,
      file: { path: join(dir, 'app.log'), maxSize: '64MiB', maxFiles: 100_000 },
    });
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const workerUrl = new URL('../../dist/test/fixtures/soak-worker.js', import.meta.url);
    const counts = Array.from({ length: SOAK_PRODUCERS }, (_, worker) => {
      const workerData: SoakWorkerData = { log: backend.handle, worker, stop };
      const thread = new Worker(workerUrl, { workerData });
      return new Promise<number>((resolve, reject) => {
        thread.once('message', (count: number) => resolve(count));
        thread.once('error', reject);
      });
    });

    // RSS every 250 ms: after a warm-up (a fifth of the run), it must not keep growing.
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 250);
    await new Promise((resolve) => setTimeout(resolve, SOAK_MS));
    Atomics.store(stop, 0, 1);
    const logged = await Promise.all(counts);
    clearInterval(sampler);
    const stats = await backend.close();

    const warm = rss.slice(Math.floor(rss.length / 5));
    const third = Math.max(1, Math.floor(warm.length / 3));
    const early = Math.max(...warm.slice(0, third));
    const late = Math.max(...warm.slice(-third));
    console.log(`soak ${onFull}: ${logged.reduce((a, b) => a + b, 0)} records logged in ${SOAK_MS} ms, ${stats.droppedFull} dropped; RSS early ${(early / MiB).toFixed(0)} MiB, late ${(late / MiB).toFixed(0)} MiB`);
    expect(late - early).toBeLessThan(64 * MiB);

    const next = new Array<number>(SOAK_PRODUCERS).fill(0);
    const arrived = new Array<number>(SOAK_PRODUCERS).fill(0);
    let noticed = 0;
    let lines = 0;
    forEachRecord(dir, 'app.log', (record) => {
      lines++;
      if (record['name'] === 'ringlog') {
        noticed += record['dropped'] as number;
        return;
      }
      const { worker, i, sum, msg } = record as { worker: number; i: number; sum: number; msg: string };
      if (checksum(msg) !== sum) throw new Error(`worker ${worker} record ${i} is not intact`);
      if (i < next[worker]!) throw new Error(`worker ${worker} record ${i} after ${next[worker]! - 1}: twice or out of order`);
      if (onFull === 'block' && i !== next[worker]) throw new Error(`worker ${worker}: record ${next[worker]} missing`);
      next[worker] = i + 1;
      arrived[worker]!++;
    });
    const kept = arrived.reduce((a, b) => a + b, 0);
    expect(kept + stats.droppedFull).toBe(logged.reduce((a, b) => a + b, 0));
    expect(noticed).toBe(stats.droppedFull);
    expect(stats.recordsWritten).toBe(lines);
    expect(stats).toMatchObject({ recordsFailed: 0, writeFailed: 0, abandoned: 0, droppedClosed: 0 });
    if (onFull === 'block') {
      expect(stats.droppedFull).toBe(0);
      expect(arrived).toEqual(logged);
    } else {
      expect(stats.droppedFull).toBeGreaterThan(0);
    }
  }, SOAK_MS * 4 + 60_000);
});
