/**
 * Every error ringlog makes, in one place: its code, its class and the one function that builds
 * it (undici's lib/core/errors.js is the model). Code elsewhere never spells a code or builds an
 * error by hand, so that what a user can catch, test for or grep is listed here and nowhere else.
 *
 * Classes follow Node's convention: option errors are a `TypeError` for a value of the wrong type
 * or shape and a `RangeError` for a number outside its range (as ERR_INVALID_ARG_TYPE and
 * ERR_OUT_OF_RANGE are), the rest are plain `Error`s with a `code`. Messages start `ringlog: `.
 *
 * This module is the vocabulary's: it imports nothing of ringlog, and every thread may load it.
 */
import { inspect } from 'node:util';

/** The codes, with what each means. */
export const ErrorCode = Object.freeze({
  /** An option (or a config file) is invalid; thrown at startup, naming the option path. */
  OPTION: 'ERR_RINGLOG_OPTION',
  /** Emitted: writing, opening, rotating or fsyncing a sink failed (`operation`, `target`, `cause`). */
  WRITE: 'ERR_RINGLOG_WRITE',
  /** Emitted: the consumer thread crashed, or died, and was restarted or given up on. */
  CONSUMER: 'ERR_RINGLOG_CONSUMER',
  /** Emitted: close() gave up waiting for the consumer after closeTimeoutMs. */
  CLOSE_TIMEOUT: 'ERR_RINGLOG_CLOSE_TIMEOUT',
  /** Emitted: a rotated file could not be compressed; it stays plain (`target`). */
  COMPRESS: 'ERR_RINGLOG_COMPRESS',
  /** A custom formatter threw or returned no string on one record (the record is written as JSON). */
  FORMATTER: 'ERR_RINGLOG_FORMATTER',
  /** A sink was written to after close(): a bug in ringlog, never seen by users. */
  SINK_CLOSED: 'ERR_RINGLOG_SINK_CLOSED',
  /** A file was submitted to a compressor that is closing or closed; it stays plain. */
  COMPRESSOR_CLOSED: 'ERR_RINGLOG_COMPRESSOR_CLOSED',
  /** A path given to the compressor names no regular file (a FIFO, a directory); not compressed. */
  NOT_A_FILE: 'ERR_RINGLOG_NOT_A_FILE',
  /** createLogBackend: the aggregator cannot listen on `listen` (a live aggregator has it, an unsafe directory ...). */
  LISTEN: 'ERR_RINGLOG_LISTEN',
  /** Emitted by an aggregator: a forwarding peer sent something invalid and was disconnected; the others go on. */
  PEER: 'ERR_RINGLOG_PEER',
  /** connect(): the handle is of a backend whose shared layout is another version (two ringlog installations). */
  VERSION: 'ERR_RINGLOG_VERSION',
});

/** Every code a ringlog error carries. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes of the errors a backend emits on its 'error' event. */
export type BackendErrorCode = typeof ErrorCode.WRITE | typeof ErrorCode.CONSUMER | typeof ErrorCode.CLOSE_TIMEOUT | typeof ErrorCode.COMPRESS | typeof ErrorCode.PEER;

/** An error with one of ringlog's codes. */
export type RinglogError = Error & { readonly code: ErrorCode };

type OptionErrorClass = typeof Error | typeof TypeError | typeof RangeError;

/** An option error: `ringlog: <message>` of class `Kind`, with ErrorCode.OPTION (and a cause, if given). */
export function optionError(Kind: OptionErrorClass, message: string, cause?: unknown): RinglogError {
  const error = new Kind(`ringlog: ${message}`, cause === undefined ? undefined : { cause });
  return Object.assign(error, { code: ErrorCode.OPTION });
}

/** Throws {@link optionError}: the shape of every message is `<option path> must be <allowed>; received <value>`. */
export function fail(Kind: OptionErrorClass, message: string, cause?: unknown): never {
  throw optionError(Kind, message, cause);
}

/** Is `error` an option error (for re-labelling it, as the config file does with its path)? */
export function isOptionError(error: unknown): error is RinglogError {
  return error instanceof Error && (error as { code?: unknown }).code === ErrorCode.OPTION;
}

/** How a received value appears in a message: strings quoted, numbers as given (inspect). */
export function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 80 });
}

/** An error the backend emits on 'error'; `extra` carries `operation`, `target`, `cause` where they apply. */
export function backendError(code: BackendErrorCode, message: string, extra: object = {}): Error & { readonly code: BackendErrorCode } {
  return Object.assign(new Error(message), { code }, extra);
}

/**
 * A custom formatter failed on one record: it threw (the error is the `cause`) or returned
 * something other than a string (`returned`). The record is not lost by it: the caller writes
 * it another way and counts it.
 */
export class FormatterError extends Error {
  readonly code = ErrorCode.FORMATTER;

  constructor(
    message: string,
    /** What the formatter returned, when it returned instead of throwing. */
    readonly returned?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FormatterError';
  }
}

/** The aggregator cannot listen on `path`: `why` says what is wrong. */
export function listenError(path: string, why: string, cause?: unknown): RinglogError {
  return Object.assign(new Error(`ringlog: cannot listen on ${path}: ${why}`, cause === undefined ? undefined : { cause }), { code: ErrorCode.LISTEN });
}

/**
 * connect() was given the handle of a backend whose shared layout is version `received`, and
 * this ringlog speaks `expected`: the thread and the backend load two ringlog installations.
 */
export function versionError(received: number, expected: number, call: string): RinglogError {
  return Object.assign(
    new Error(
      `ringlog: ${call} received the handle of a backend with shared layout version ${received}, and this ringlog reads version ${expected}: ` +
        'this thread loads another ringlog installation than the one that made the backend; make both load the same one (see `npm ls ringlog`)',
    ),
    { code: ErrorCode.VERSION },
  );
}

/** `method` was called on a closed sink. */
export function sinkClosedError(method: string): RinglogError {
  return Object.assign(new Error(`ringlog: ${method}() called on a closed sink`), { code: ErrorCode.SINK_CLOSED });
}

/** The compressor is closing or closed: `what` says what was refused. */
export function compressorClosedError(what: string): RinglogError {
  return Object.assign(new Error(`ringlog: ${what}`), { code: ErrorCode.COMPRESSOR_CLOSED });
}

/** `path` is not a regular file, so it is not compressed. */
export function notAFileError(path: string): RinglogError {
  return Object.assign(new Error(`ringlog: ${path} is not a regular file; not compressed`), { code: ErrorCode.NOT_A_FILE });
}
