/**
 * The decoded form of one log record: what the codec gives the consumer, and what formatters
 * render. Producers never build this shape; they encode their arguments straight into the ring.
 *
 * Values are already made safe by the encoder: cycles, throwing getters, functions, symbols and
 * `toJSON` have been resolved on the producer side, so a formatter only meets the types below.
 */

/** A plain object as decoded: null prototype, so a `__proto__` key is an ordinary own key. */
export type ObjectValue = { [key: string]: Value };

export type Value =
  | undefined
  | null
  | boolean
  | number
  | bigint
  | string
  | Value[]
  | ObjectValue
  | ErrorValue;

/**
 * An Error as logged: pino's `err` shape (`type`, `message`, `stack`), plus the error's own
 * enumerable fields and its `cause`, which may itself be an ErrorValue (a cause chain).
 */
export class ErrorValue {
  constructor(
    readonly type: string,
    readonly message: string,
    readonly stack: string | undefined,
    readonly fields: ObjectValue | undefined,
    readonly cause: Value,
  ) {}
}

export interface LogRecord {
  /** Milliseconds since the epoch, taken in the producer at the log call. */
  readonly time: number;
  /** pino's level number: 10 trace ... 60 fatal. */
  readonly level: number;
  /** `threadId` of the producing thread (0 for the main thread). */
  readonly threadId: number;
  /** The logger's name, if it has one. */
  readonly name: string | undefined;
  /** Bindings of the logger (merged along its chain of `child()` calls). */
  readonly bindings: ObjectValue | undefined;
  /** The message, or a printf-style template when `args` is not empty. */
  readonly msg: string | undefined;
  /** Arguments for the template's `%s %d %i %f %j %o %O` placeholders. */
  readonly args: readonly Value[];
  /** The merging object of the call (`log.info({ a: 1 }, 'msg')`); an Error arrives as `err`. */
  readonly fields: ObjectValue | undefined;
}
