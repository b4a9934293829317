/**
 * The Logger users hold, in any thread: pino's call shapes, level filtering before anything is
 * encoded, and child loggers whose bindings are encoded once, when the child is made.
 */
import { isLevelOption, LEVEL_NAMES, LEVELS, levelValue, type LevelName, type LevelOption } from '../levels.js';
import { resolveConnectOptions, type ConnectOptions } from '../options.js';
import { assertHandle } from './handle.js';
import { Producer } from './producer.js';

/**
 * A log method. `msg` may hold printf placeholders `%s %d %i %f %j %o %O %%`, filled from `args`
 * by the consumer; an object's own fields are merged into the JSON line; an Error becomes `err`.
 */
export interface LogFn {
  (msg: string, ...args: unknown[]): void;
  (object: object, msg?: string, ...args: unknown[]): void;
  (value: unknown, ...args: unknown[]): void;
}

export interface ChildOptions {
  /** Threshold of the child; default: the parent's at the time of the call. */
  level?: LevelOption;
  /** Name of the child; default: the parent's. */
  name?: string;
}

export type Bindings = Readonly<Record<string, unknown>>;

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

export class Logger {
  readonly #producer: Producer;
  readonly #name: string | undefined;
  readonly #bindings: Bindings;
  /** `name` and `bindings` as encoded bytes, copied into every record. */
  readonly #context: Uint8Array;
  #level: LevelOption;
  #threshold: number;

  /** @internal Use `connect()` or `backend.logger()`. */
  constructor(producer: Producer, name: string | undefined, bindings: Bindings, level: LevelOption) {
    this.#producer = producer;
    this.#name = name;
    this.#bindings = bindings;
    this.#context = producer.encodeValues([name, Object.keys(bindings).length === 0 ? undefined : bindings]);
    this.#level = level;
    this.#threshold = levelValue(level);
  }

  static {
    for (const name of LEVEL_NAMES) {
      const level = LEVELS[name];
      const log = function (this: Logger, ...args: unknown[]): void {
        if (level >= this.#threshold) this.#write(level, args);
      };
      Object.defineProperty(log, 'name', { value: name });
      Object.defineProperty(this.prototype, name, { value: log, writable: true, configurable: true });
    }
  }

  get name(): string | undefined {
    return this.#name;
  }

  get bindings(): Bindings {
    return this.#bindings;
  }

  get level(): LevelOption {
    return this.#level;
  }

  set level(level: LevelOption) {
    assertLevel(level, 'logger.level');
    this.#level = level;
    this.#threshold = levelValue(level);
  }

  isLevelEnabled(level: LevelName): boolean {
    assertLevel(level, 'isLevelEnabled(level)');
    return levelValue(level) >= this.#threshold;
  }

  /** A logger whose records carry `bindings` besides this logger's (the child's win on a clash). */
  child(bindings: Record<string, unknown>, options: ChildOptions = {}): Logger {
    if (typeof bindings !== 'object' || bindings === null || Array.isArray(bindings)) {
      throw new TypeError(`ringlog: child(bindings) expects an object; received ${describe(bindings)}`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`ringlog: child(bindings, options) expects an options object; received ${describe(options)}`);
    }
    const { level = this.#level, name = this.#name } = options;
    assertLevel(level, 'child options.level');
    if (typeof name !== 'string' && name !== undefined) {
      throw new TypeError(`ringlog: child options.name must be a string; received ${describe(name)}`);
    }
    return new Logger(this.#producer, name, mergeBindings(this.#bindings, bindings), level);
  }

  /** Resolves once every record this thread committed before the call is written by the consumer. */
  flush(): Promise<void> {
    return this.#producer.flush();
  }

  #write(level: number, args: unknown[]): void {
    const first = args[0];
    if (typeof first === 'string') {
      this.#producer.emit(level, this.#context, first, args, 1, undefined);
    } else if (typeof first === 'object' && first !== null) {
      const fields = first instanceof Error ? { err: first } : first;
      const second = args[1];
      if (typeof second === 'string') this.#producer.emit(level, this.#context, second, args, 2, fields);
      else this.#producer.emit(level, this.#context, undefined, args, 1, fields);
    } else {
      this.#producer.emit(level, this.#context, undefined, args, 0, undefined);
    }
  }
}

/** Connects this thread to a backend through its handle and returns a logger. */
export function connect(handle: unknown, options?: ConnectOptions): Logger {
  assertHandle(handle);
  const { name, level = handle.level } = resolveConnectOptions(options);
  return new Logger(Producer.for(handle), name, {}, level);
}

/**
 * Copies bindings once, at child() time; a getter that throws becomes '[Throws]' instead of
 * making child() throw. The copy is what gets encoded, so later changes to the caller's object
 * do not leak into records.
 */
function mergeBindings(parent: Bindings, added: Record<string, unknown>): Bindings {
  // Null prototype: a `__proto__` key is then an ordinary key, not the object's prototype.
  const merged: Record<string, unknown> = Object.assign(Object.create(null), parent);
  let keys: string[];
  try {
    keys = Object.keys(added);
  } catch {
    return merged;
  }
  for (const key of keys) {
    try {
      merged[key] = added[key];
    } catch {
      merged[key] = '[Throws]';
    }
  }
  return Object.freeze(merged);
}

function assertLevel(level: unknown, what: string): asserts level is LevelOption {
  if (!isLevelOption(level)) {
    throw new TypeError(`ringlog: ${what} must be one of ${[...LEVEL_NAMES, 'silent'].join(', ')}; received ${describe(level)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
