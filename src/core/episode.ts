/**
 * Failure episodes, as every output reports them: a file sink's writes, opens, rotations and
 * fsyncs (consumer/sink/write-failure.ts), and a sender's connection to an aggregator, a syslog
 * collector or an OTLP collector (forward/). An episode starts with the first failure, which is
 * reported once, and ends with the first success, reported once with what the episode cost.
 * The events cross postMessage to the main thread, which emits the backend's 'error' and
 * 'recover' (main/backend.ts): so they are plain data.
 */

/**
 * What can fail, for messages: `open` covers reopening the file; `rotate` the renames of a
 * rotation; `forward`, `syslog` and `otlp` a sender's connection.
 */
export type Operation = 'open' | 'write' | 'rotate' | 'fsync' | 'forward' | 'syslog' | 'otlp';

/** An fs or socket error as plain data: it crosses postMessage intact (an Error would lose `code`). */
export interface ErrorInfo {
  readonly message: string;
  readonly code: string | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  readonly stack: string | undefined;
}

export type FailureEvent =
  | {
      readonly type: 'failed';
      readonly operation: Operation;
      /** The file path, 'stdout (fd 1)', or the peer's address. */
      readonly target: string;
      readonly error: ErrorInfo;
      /** True when the records wait for a retry (writes, senders); false when nothing is retried (rotation, fsync). */
      readonly retrying: boolean;
    }
  | {
      readonly type: 'recovered';
      readonly operation: Operation;
      readonly target: string;
      /** Records given up on during the episode. */
      readonly recordsLost: number;
      readonly durationMs: number;
    };

/** `error` as plain data; `path` stands in for an error that names none (a socket's). */
export function errorInfo(error: unknown, path?: string): ErrorInfo {
  if (error instanceof Error) {
    const e = error as NodeJS.ErrnoException;
    return {
      message: e.message,
      code: typeof e.code === 'string' ? e.code : undefined,
      syscall: typeof e.syscall === 'string' ? e.syscall : undefined,
      path: typeof e.path === 'string' ? e.path : path,
      stack: e.stack,
    };
  }
  return { message: String(error), code: undefined, syscall: undefined, path, stack: undefined };
}

export interface EpisodeOptions {
  /** Whether the records wait for a retry while it fails (the event's `retrying`). */
  readonly retrying: boolean;
  /** A running count of the records lost so far: 'recovered' reports how much it grew. Default: none. */
  readonly lost?: () => number;
  /** The path an error that names none is reported with (a sender: its peer's address). */
  readonly errorPath?: string;
}

/** One kind of failure that is reported once when it starts and once when it ends. */
export class Episode {
  readonly #operation: Operation;
  readonly #target: string;
  readonly #report: (event: FailureEvent) => void;
  readonly #options: EpisodeOptions;
  #current: { readonly since: number; readonly lost: number } | undefined;

  constructor(operation: Operation, target: string, report: (event: FailureEvent) => void, options: EpisodeOptions) {
    this.#operation = operation;
    this.#target = target;
    this.#report = report;
    this.#options = options;
  }

  get failing(): boolean {
    return this.#current !== undefined;
  }

  /** Reports the failure if it starts an episode; later ones in the same episode are silent. */
  fail(error: unknown, operation = this.#operation): void {
    if (this.#current !== undefined) return;
    const { retrying, lost, errorPath } = this.#options;
    this.#current = { since: Date.now(), lost: lost?.() ?? 0 };
    this.#report({ type: 'failed', operation, target: this.#target, error: errorInfo(error, errorPath), retrying });
  }

  /** Ends the episode, if there is one, and reports the recovery with what it cost. */
  recover(): void {
    const current = this.#current;
    if (current === undefined) return;
    this.#current = undefined;
    this.#report({
      type: 'recovered',
      operation: this.#operation,
      target: this.#target,
      recordsLost: (this.#options.lost?.() ?? 0) - current.lost,
      durationMs: Date.now() - current.since,
    });
  }
}
