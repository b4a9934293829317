/**
 * What every sender thread does when its peer goes away, whatever it speaks (the forward
 * protocol to an aggregator, syslog to a collector): reconnect with back-off, and report the
 * trouble once per episode (core/episode.ts), as a failing disk is: one 'failed' when the first
 * attempt fails, one 'recovered' with the lines it cost when the peer is back. Between the two,
 * every failed attempt is silent.
 */
import { writeSync } from 'node:fs';

/**
 * A line on stderr from a sender thread, for what it must say itself: at exit or close the
 * backend's thread no longer prints its events.
 */
export function stderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nowhere left to say it.
  }
}

/** The first wait before reconnecting, doubling at each failure up to BACKOFF_MAX_MS. */
export const BACKOFF_FIRST_MS = 50;
export const BACKOFF_MAX_MS = 2000;

/** The delay before the next connection attempt. */
export class Backoff {
  #next = BACKOFF_FIRST_MS;

  /** The delay to wait now; the one after it doubles. */
  take(): number {
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, BACKOFF_MAX_MS);
    return delay;
  }

  /** Connected: the next failure starts from the first delay again. */
  reset(): void {
    this.#next = BACKOFF_FIRST_MS;
  }
}
