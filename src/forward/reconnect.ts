/**
 * What every sender thread does when its peer goes away, whatever it speaks (the forward
 * protocol to an aggregator, syslog to a collector): reconnect with back-off, and report the
 * trouble once per episode, as a failing disk is reported (consumer/sink/write-failure.ts): one
 * 'failed' when the first attempt fails, one 'recovered' with the lines it cost when the peer
 * is back. Between the two, every failed attempt is silent.
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

/** An error as plain data, as consumer/sink/write-failure.ts's ErrorInfo: it crosses postMessage intact. */
export interface SenderError {
  readonly message: string;
  readonly code: string | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  readonly stack: string | undefined;
}

/** What a sender thread tells its backend (the same events as a failing disk's). */
export type SenderEvent =
  | { readonly type: 'failed'; readonly operation: SenderOperation; readonly target: string; readonly error: SenderError; readonly retrying: true }
  | { readonly type: 'recovered'; readonly operation: SenderOperation; readonly target: string; readonly recordsLost: number; readonly durationMs: number };

/**
 * 'forward': to an aggregator (forward/sender.ts); 'syslog': to a syslog collector
 * (forward/stream-sender.ts); 'otlp': to an OpenTelemetry collector (forward/http-sender.ts).
 */
export type SenderOperation = 'forward' | 'syslog' | 'otlp';

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

/**
 * One peer's failure episodes. `lost()` reads the sender's running count of lines lost, so
 * that 'recovered' says how many the episode cost.
 */
export class Episode {
  readonly #operation: SenderOperation;
  readonly #target: string;
  readonly #report: (event: SenderEvent) => void;
  readonly #lost: () => number;
  #current: { readonly startedAt: number; readonly lost: number } | undefined;

  constructor(operation: SenderOperation, target: string, report: (event: SenderEvent) => void, lost: () => number) {
    this.#operation = operation;
    this.#target = target;
    this.#report = report;
    this.#lost = lost;
  }

  get active(): boolean {
    return this.#current !== undefined;
  }

  /** The peer failed: reported when no episode is under way. */
  fail(error: NodeJS.ErrnoException): void {
    if (this.#current !== undefined) return;
    this.#current = { startedAt: Date.now(), lost: this.#lost() };
    this.#report({
      type: 'failed',
      operation: this.#operation,
      target: this.#target,
      error: { message: error.message, code: error.code, syscall: error.syscall, path: this.#target, stack: error.stack },
      retrying: true,
    });
  }

  /** The peer is back: ends the episode, if any, with what it cost. */
  recover(): void {
    const episode = this.#current;
    if (episode === undefined) return;
    this.#current = undefined;
    this.#report({
      type: 'recovered',
      operation: this.#operation,
      target: this.#target,
      recordsLost: this.#lost() - episode.lost,
      durationMs: Date.now() - episode.startedAt,
    });
  }
}
