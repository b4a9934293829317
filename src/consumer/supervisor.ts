/**
 * Keeps a consumer running in the consumer thread when it throws (a bug in ringlog: a failing
 * disk does not throw, see write-failure.ts). The crashed consumer's batch is salvaged (written,
 * or counted when even that fails), the crash is reported, and a fresh consumer with fresh sinks
 * takes over after a short back-off, all inside the thread: this needs nothing from the main
 * thread, which may itself be blocked on the full ring. Records still in the ring are not lost;
 * they wait there for the new consumer.
 *
 * After RESTART_DELAYS_MS.length crashes within a minute of each other the thread gives up: it
 * seals the ring (producers stop waiting; later records count as droppedClosed) and ends with the
 * error; the backend on the main thread then drains what is left itself and closes (backend.ts). Deaths that no catch sees (out of memory, the thread killed) are the backend's
 * to handle too: it restarts the thread.
 */
import type { ConsumerOptions } from './open-router.js';
import type { SharedViews } from '../ring/layout.js';
import { lanesOf } from '../ring/lanes.js';
import { Consumer } from './consumer.js';
import type { Router } from './router.js';
import { errorInfo, type ErrorInfo } from '../core/episode.js';

/** Waits before each restart after a crash: 10 ms, 100 ms, 1 s; then the thread gives up. */
export const RESTART_DELAYS_MS: readonly number[] = Object.freeze([10, 100, 1000]);
/** A consumer that ran this long since its last crash has its restarts back. */
export const HEALTHY_AFTER_MS = 60_000;

export interface ConsumerCrash {
  readonly type: 'crashed';
  readonly error: ErrorInfo;
  /** Which crash in a row this is, from 1. */
  readonly crash: number;
  /** False: the thread gives up and ends. */
  readonly restarting: boolean;
}

export interface SupervisorHooks {
  /** Sinks for a restarted consumer: must not throw when a file cannot be opened now. */
  reopen(): Router;
  report(crash: ConsumerCrash): void;
  sleep(ms: number): void;
}

/** Runs consumers on `views` until the backend closes; throws only when it gives up. */
export function supervise(views: SharedViews, options: ConsumerOptions, first: Router, hooks: SupervisorHooks): void {
  let router = first;
  let crashes = 0;
  let startedAt = Date.now();
  for (;;) {
    // Half the close timeout for retries of a failing disk, so that close() usually ends by
    // itself, with everything counted, before the backend's timer gives up on it.
    const consumer = new Consumer(views, router, options.closeTimeoutMs / 2);
    try {
      consumer.run();
      return;
    } catch (error) {
      consumer.salvage();
      if (Date.now() - startedAt >= HEALTHY_AFTER_MS) crashes = 0;
      const delay = RESTART_DELAYS_MS[crashes++];
      hooks.report({ type: 'crashed', error: errorInfo(error), crash: crashes, restarting: delay !== undefined });
      if (delay === undefined) {
        // Producers must not wait for a consumer that will not come back: sealed, the ring
        // refuses new records (counted as droppedClosed) and keeps the committed ones for the
        // main thread, which drains them once it sees this thread end.
        lanesOf(views).seal();
        throw error;
      }
      hooks.sleep(delay);
      startedAt = Date.now();
      router = hooks.reopen();
    }
  }
}

/** The stderr line for a crash. */
export function describeCrash(crash: ConsumerCrash): string {
  const then = crash.restarting
    ? `restarting it (crash ${crash.crash} of at most ${RESTART_DELAYS_MS.length + 1} in a row)`
    : 'giving up on it: the main thread writes what is left in the ring and closes the backend';
  return `ringlog: the consumer thread failed: ${crash.error.stack ?? crash.error.message}\nringlog: ${then}`;
}
