/**
 * The consumer thread itself fails, provoked through the internal RINGLOG_INTERNAL_TEST_FAULT
 * hook (src/consumer/test-fault.ts), in a child process with real threads and a real file:
 * - it throws (a bug): restarted inside its thread, its batch salvaged, nothing lost;
 * - it dies abruptly in a write (as out of memory would): the main thread restarts it, the
 *   records in the ring are written by the new thread, the batch it was writing is counted;
 * - it dies while the main thread itself is blocked on the full ring: the main thread stops
 *   waiting once the consumer shows no sign of life, instead of hanging forever;
 * - it keeps failing: after a few restarts the main thread drains what is left and closes.
 * In every case close() resolves, each failure is an 'error' event and stderr lines, and every
 * record logged is either in the file, whole and in order, or counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultPlan } from '../fixtures/fault-app.js';
import { readArrived, runFaultApp, sum, total } from '../support/fault-run.js';
import { tempDir } from '../support/log-files.js';

describe('the consumer thread fails', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());
  const plan: FaultPlan = { workers: 2, perWorker: 5000, main: 2000 };

  it('it throws once: restarted in its own thread, its batch salvaged; nothing lost', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { result, stderr } = runFaultApp(dir, plan, 'throw:3');
    const arrived = readArrived(dir);
    expect(sum(arrived.counts)).toBe(total(plan));
    expect(arrived.gaps).toBe(0);
    expect(result.stats).toMatchObject({ recordsWritten: total(plan), recordsDropped: 0 });
    expect(result.events).toEqual([
      expect.objectContaining({ event: 'error', code: 'ERR_RINGLOG_CONSUMER', message: expect.stringMatching(/injected consumer fault at flush 3/) }),
    ]);
    expect(stderr).toMatch(/^ringlog: the consumer thread failed: Error: injected consumer fault at flush 3/);
    expect(stderr).toMatch(/\nringlog: restarting it \(crash 1 of at most 4 in a row\)\n$/);
    // Restarted, not stopped: 'close' comes once, from close().
    expect(result.closed).toEqual({ beforeClose: 0, total: 1 });
  });

  it('it dies abruptly in a write: the main thread restarts it; the ring is drained by the new thread, the batch in flight is counted', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    // The main thread does not log: its event loop is free to restart the consumer at once.
    const workersOnly: FaultPlan = { workers: 3, perWorker: 5000, main: 0 };
    const { result, stderr } = runFaultApp(dir, workersOnly, 'exit:3');
    const arrived = readArrived(dir);
    const { stats } = result;
    expect(stats['writeFailed']).toBeGreaterThan(0);
    expect(sum(arrived.counts) + stats['writeFailed']!).toBe(total(workersOnly));
    expect(stats['recordsWritten']).toBe(arrived.lines);
    expect(stats['recordsDropped']).toBe(stats['writeFailed']);
    // The lost batch is one contiguous stretch of the claim order: at most one gap per source.
    expect(arrived.gaps).toBeLessThanOrEqual(3);
    expect(result.events).toEqual([
      expect.objectContaining({ event: 'error', code: 'ERR_RINGLOG_CONSUMER', message: expect.stringMatching(/died \(exit code 70\); restarting it in 100 ms/) }),
    ]);
    expect(stderr).toBe('ringlog: the consumer thread died (exit code 70); restarting it in 100 ms (restart 1 of 3)\n');
  });

  it('it dies while the main thread is blocked on the full ring: the main thread stops waiting after 5 s without a sign of life, drops and counts, and recovers', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    // Only the main thread logs, far more than the ring holds: it is blocked when the consumer dies.
    const mainOnly: FaultPlan = { workers: 0, perWorker: 0, main: 40_000 };
    const { result } = runFaultApp(dir, mainOnly, 'exit:3');
    const arrived = readArrived(dir);
    const { stats } = result;
    expect(stats['droppedFull']).toBeGreaterThan(0);
    // Everything logged is in the file or counted; the notice lines are ringlog's own.
    expect(sum(arrived.counts) + stats['droppedFull']! + stats['writeFailed']!).toBe(total(mainOnly));
    expect(stats['recordsWritten']).toBe(arrived.lines);
    expect(arrived.notices.reduce((n, notice) => n + notice.dropped, 0)).toBe(stats['droppedFull']);
    expect(result.totalMs).toBeGreaterThanOrEqual(5000);
    expect(result.events).toHaveLength(1);
  });

  it('it keeps throwing: after three restarts in its thread it gives up, and the main thread writes what is left and closes', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { result, stderr } = runFaultApp(dir, plan, 'throw-always');
    const arrived = readArrived(dir);
    const { stats } = result;
    expect(sum(arrived.counts) + stats['droppedClosed']! + stats['writeFailed']!).toBe(total(plan));
    expect(stats['recordsWritten']).toBe(arrived.lines);
    expect(arrived.gaps).toBe(0);
    const errors = result.events.filter((event) => event.event === 'error');
    expect(errors).toHaveLength(4);
    expect(errors.every((event) => event.code === 'ERR_RINGLOG_CONSUMER')).toBe(true);
    expect(stderr.match(/^ringlog: restarting it/gm)).toHaveLength(3);
    expect(stderr).toMatch(/\nringlog: giving up on it: the main thread writes what is left in the ring and closes the backend\n$/);
    // The backend closed on its own: 'close' says so, once, before the app's close().
    expect(result.closed).toEqual({ beforeClose: 1, total: 1 });
  });

  it('it keeps dying abruptly: restarted three times, then the main thread writes what is left and closes', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const workersOnly: FaultPlan = { workers: 2, perWorker: 5000, main: 0 };
    const { result, stderr } = runFaultApp(dir, workersOnly, 'exit-always:3');
    const arrived = readArrived(dir);
    const { stats } = result;
    expect(sum(arrived.counts) + stats['droppedClosed']! + stats['writeFailed']! + stats['droppedFull']!).toBe(total(workersOnly));
    expect(stats['recordsWritten']).toBe(arrived.lines);
    expect(stderr.match(/^ringlog: the consumer thread died \(exit code 70\); restarting it/gm)).toHaveLength(3);
    expect(stderr).toMatch(/died \(exit code 70\); the main thread writes what is left in the ring and closes the backend\n$/);
    expect(result.events).toHaveLength(4);
    expect(result.closed).toEqual({ beforeClose: 1, total: 1 });
  });
});
