/**
 * What the consumer does when the disk fails: retry with back-off, then give up on the batch and
 * count it, report the failure once per episode and the recovery once at its end.
 *
 * A failure episode starts with the first write (or open, rotation, fsync) that fails and ends
 * with the next one that succeeds. Within an episode:
 *
 * 1. The first failing batch is retried after 10, 20, 40 ... 640 ms and then 1 s: about 2.3 s in
 *    all, during which the consumer drains nothing, so producers feel it as a full ring (they
 *    wait with `onFull: 'block'`, drop and count with 'drop'). A disk that comes back within
 *    that time (an NFS hiccup, a log cleaner freeing space) loses nothing.
 * 2. If it still fails, the batch is given up: its records are counted in `writeFailed`. From
 *    then on each batch gets one attempt, without waiting, until one succeeds: holding the ring
 *    for a disk that stays full would block every producer for as long as the disk is full,
 *    which is an app that hangs because of its logging. Losing the records, and saying how many,
 *    is the lesser evil.
 * 3. The first success ends the episode and reports how many records it cost.
 *
 * The retries stop early at a deadline: close() and process exit set one, so they end in
 * bounded time whatever the disk does.
 *
 * Reporting is the monitor's job (one stderr line, a message to the main thread, which emits
 * the backend's 'error' and 'recover' events); this module only decides when.
 */

import { Episode, type FailureEvent, type Operation } from '../../core/episode.js';

/** Back-off between the attempts at one batch: doubling from 10 ms, capped at 1 s (~2.3 s in all). */
export const RETRY_DELAYS_MS: readonly number[] = Object.freeze([10, 20, 40, 80, 160, 320, 640, 1000]);

/** Where a sink's failures go, and how it sleeps between retries. Supplied by the drainer. */
export interface SinkMonitor {
  report(event: FailureEvent): void;
  /** Sleeps about `ms` (synchronously: the drainer has no event loop), showing signs of life. */
  sleep(ms: number): void;
  /** Called with the number of lines about to be written, and with 0 once the write returned. */
  writing?(lines: number): void;
}

/** The retry loop as FdWriter sees it. */
export interface WriteGuard {
  /** Runs `attempt`, a write of `lines` buffered lines, with retries; false when it gave up. */
  run(attempt: () => void, lines: number): boolean;
  /** Lines given up on for good: counted in the episode's loss. */
  lost(lines: number): void;
}

/** The write policy described at the top of this file. */
export class WriteRetry implements WriteGuard {
  readonly #episode: Episode;
  readonly #monitor: SinkMonitor;
  readonly #delays: readonly number[];
  /** Lines given up on since this sink began: the episode reports how much it grew. */
  #lost = 0;
  /** The episode's first batch used up its retries: one attempt per batch until one succeeds. */
  #exhausted = false;
  #deadline = Number.POSITIVE_INFINITY;

  constructor(target: string, monitor: SinkMonitor, delays: readonly number[] = RETRY_DELAYS_MS) {
    this.#episode = new Episode('write', target, (event) => monitor.report(event), { retrying: true, lost: () => this.#lost });
    this.#monitor = monitor;
    this.#delays = delays;
  }

  get failing(): boolean {
    return this.#episode.failing;
  }

  /** No retry sleeps past `deadline` (ms since the epoch); close and exit set it. */
  setDeadline(deadline: number): void {
    this.#deadline = Math.min(this.#deadline, deadline);
  }

  run(attempt: () => void, lines: number): boolean {
    const monitor = this.#monitor;
    monitor.writing?.(lines);
    try {
      for (let retry = 0; ; retry++) {
        try {
          attempt();
        } catch (error) {
          this.#episode.fail(error, operationOf(error));
          if (this.#exhausted) return false;
          const delay = this.#delays[retry];
          if (delay === undefined || Date.now() + delay > this.#deadline) {
            this.#exhausted = true;
            return false;
          }
          monitor.sleep(delay);
          continue;
        }
        this.#exhausted = false;
        this.#episode.recover();
        return true;
      }
    } finally {
      monitor.writing?.(0);
    }
  }

  lost(lines: number): void {
    this.#lost += lines;
  }
}

/** Errors from opening the file (the sink reopens before a write) read better as 'open'. */
function operationOf(error: unknown): Operation {
  const syscall = (error as NodeJS.ErrnoException | undefined)?.syscall;
  return syscall === 'open' || syscall === 'mkdir' || syscall === 'stat' ? 'open' : 'write';
}

/** The one stderr line for an event, as the drainer writes it. */
export function describeEvent(event: FailureEvent): string {
  if (event.operation === 'forward') {
    return event.type === 'failed'
      ? `ringlog: cannot forward to the aggregator at ${event.target} (${event.error.message}); retrying with back-off: lines wait in the outbox, then go to the spill file (stats().spilled), and past its cap are dropped and counted (stats().forwardDropped)`
      : `ringlog: forwarding to the aggregator at ${event.target} works again after ${(event.durationMs / 1000).toFixed(1)} s; ${event.recordsLost} lines were lost`;
  }
  if (event.operation === 'syslog') {
    return event.type === 'failed'
      ? `ringlog: cannot send to the syslog collector at ${event.target} (${event.error.message}); retrying with back-off: lines wait in the outbox, and when it is full the ring fills and onFull decides`
      : `ringlog: sending to the syslog collector at ${event.target} works again after ${(event.durationMs / 1000).toFixed(1)} s; at most ${event.recordsLost} lines were lost (those the broken connection may have held, stats().syslogLost)`;
  }
  if (event.operation === 'otlp') {
    return event.type === 'failed'
      ? `ringlog: cannot export to the OTLP collector at ${event.target} (${event.error.message}); retrying what can be retried with back-off: batches wait in the outbox, and when it is full the ring fills and onFull decides`
      : `ringlog: exporting to the OTLP collector at ${event.target} works again after ${(event.durationMs / 1000).toFixed(1)} s; ${event.recordsLost} log records were lost (stats().otlpLost)`;
  }
  if (event.type === 'failed') {
    const what = `${event.operation === 'write' ? 'write to' : `${event.operation === 'rotate' ? 'rotate' : event.operation}`} ${event.target}`;
    const then = event.retrying
      ? 'retrying; records that cannot be written are dropped and counted in stats().writeFailed'
      : event.operation === 'rotate'
        ? 'writing on to the current file, and trying again later'
        : 'data may not be on disk';
    return `ringlog: cannot ${what} (${event.error.message}); ${then}`;
  }
  const seconds = (event.durationMs / 1000).toFixed(1);
  const what = event.operation === 'rotate' ? 'rotating' : event.operation === 'fsync' ? 'fsync of' : 'writing to';
  const lost = event.operation === 'write' || event.operation === 'open' ? `; ${event.recordsLost} records were lost` : '';
  return `ringlog: ${what} ${event.target} works again after ${seconds} s${lost}`;
}
