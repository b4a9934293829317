/**
 * The Logger users hold, in any thread: pino's call shapes, level filtering before anything is
 * encoded, and child loggers whose bindings are encoded once, when the child is made.
 *
 * A logger's threshold is worked out once, when it is made (or its level set), from the routes
 * in the handle (routes.ts), so that a log call costs one comparison:
 *
 *   threshold = max(level, floor)
 *
 * - `level`: the level given to connect(), child() or `logger.level =` (explicit), else the one
 *   configured for the logger's name in `options.loggers` (its own or its nearest configured
 *   ancestor's), else the root's `options.level`. An explicit level replaces the configured
 *   one, up or down, as Python's `logger.setLevel` does.
 * - `floor`: the lowest level among the sinks the name reaches. A record below every one of them
 *   would be written nowhere, so it is not encoded either, whatever level is set; a logger that
 *   reaches no sink (`propagate: false` with no sink of its own) is silent.
 */
import { LEVEL_NAMES, LEVELS, levelNameOf, levelValue, type LevelName, type LevelOption } from '../core/levels.js';
import { checkBindings, checkLevel } from '../core/checks.js';
import { resolveConnectOptions, type ConnectOptions } from './connect-options.js';
import { assertHandle } from './handle.js';
import type { LineContext } from './json-line.js';
import { isErrorKind } from './json-line-values.js';
import { Producer, type NameLevels } from './producer.js';

/**
 * A log method. `msg` may hold printf placeholders `%s %d %i %f %j %o %O %%`, filled from `args`
 * by the consumer; an object's own fields are merged into the JSON line; an Error becomes `err`.
 */
export interface LogFn {
  (msg: string, ...args: unknown[]): void;
  (object: object, msg?: string, ...args: unknown[]): void;
  (value: unknown, ...args: unknown[]): void;
}

/** `level` and `name` of a child; each defaults to the parent's. */
export type ChildOptions = ConnectOptions;

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
  /** `name` and `bindings` as the JSON line writes them, when the producer writes lines. */
  readonly #line: LineContext | undefined;
  /** The level given to connect(), child() or the setter; undefined: the configured one. */
  #explicit: LevelOption | undefined;
  readonly #levels: NameLevels;
  #threshold: number;
  /** Add `caller` to every record (the callSite option). */
  readonly #callSite: boolean;

  /**
   * @internal Use `connect()` or `backend.logger()`. `level`: an explicit level, or undefined
   * for the one configured for `name`; `levels`: what the routes say about `name`.
   */
  constructor(
    producer: Producer,
    name: string | undefined,
    bindings: Bindings,
    level: LevelOption | undefined,
    levels: NameLevels = producer.levelsOf(name),
    callSite = false,
  ) {
    this.#producer = producer;
    this.#name = name;
    this.#bindings = bindings;
    const bound = Object.keys(bindings).length === 0 ? undefined : bindings;
    this.#context = producer.encodeContext(name, bound);
    this.#line = producer.lineContext(name, bound);
    this.#explicit = level;
    this.#levels = levels;
    this.#threshold = threshold(level, levels);
    this.#callSite = callSite;
  }

  static {
    for (const name of LEVEL_NAMES) {
      const level = LEVELS[name];
      // Named parameters, not a rest array: `info(msg)` and `info(obj, msg)`, most calls, take
      // #emitCommon and allocate nothing here; the other shapes gather their arguments.
      const log = function (this: Logger, first?: unknown, second?: unknown): void {
        if (level < this.#threshold) return;
        const count = arguments.length;
        if (count <= 2 && !this.#callSite && this.#emitCommon(level, first, second, count)) return;
        // eslint-disable-next-line prefer-rest-params
        this.#write(level, Array.prototype.slice.call(arguments) as unknown[], log);
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

  /** The level set for this logger, or else the one configured for its name. */
  get level(): LevelOption {
    return this.#explicit ?? levelNameOf(this.#levels.configured);
  }

  set level(level: LevelOption) {
    this.#explicit = checkLevel(level, 'logger.level');
    this.#threshold = threshold(level, this.#levels);
  }

  isLevelEnabled(level: LevelName): boolean {
    return levelValue(checkLevel(level, 'isLevelEnabled(level)')) >= this.#threshold;
  }

  /**
   * A logger whose records carry `bindings` besides this logger's (the child's win on a clash).
   * It keeps this logger's explicit level unless given one; with another name, the configured
   * level and the sinks are those of its own name.
   */
  child(bindings: Record<string, unknown>, options?: ChildOptions): Logger {
    checkBindings(bindings, 'child(bindings): bindings');
    const {
      level = this.#explicit,
      name = this.#name,
      callSite = this.#callSite,
    } = resolveConnectOptions(options, 'child(bindings, options): options');
    const levels = name === this.#name ? this.#levels : this.#producer.levelsOf(name);
    return new Logger(this.#producer, name, mergeBindings(this.#bindings, bindings), level, levels, callSite);
  }

  /** Resolves once every record this thread committed before the call is written by the consumer. */
  flush(): Promise<void> {
    return this.#producer.flush();
  }

  /**
   * `info(msg)`, `info(obj)` and `info(obj, msg)` without callSite, as #write would emit them;
   * false for any other shape, which #write takes.
   */
  #emitCommon(level: number, first: unknown, second: unknown, count: number): boolean {
    if (typeof first === 'string') {
      if (count !== 1) return false;
      this.#producer.emit(level, this.#context, first, NO_ARGS, 0, undefined, this.#line);
      return true;
    }
    if (typeof first !== 'object' || first === null) return false;
    if (count === 2 && typeof second !== 'string') return false;
    const fields = isError(first) ? { err: first } : first;
    this.#producer.emit(level, this.#context, count === 2 ? (second as string) : undefined, NO_ARGS, 0, fields, this.#line);
    return true;
  }

  /** `method`: the level method called, where the caller's stack frame starts. */
  #write(level: number, args: unknown[], method: Function): void {
    const first = args[0];
    const caller = this.#callSite ? callerOf(method) : undefined;
    const line = this.#line;
    if (typeof first === 'string') {
      this.#producer.emit(level, this.#context, first, args, 1, caller === undefined ? undefined : { caller }, line);
    } else if (typeof first === 'object' && first !== null) {
      const fields = withCaller(isError(first) ? { err: first } : first, caller);
      const second = args[1];
      if (typeof second === 'string') this.#producer.emit(level, this.#context, second, args, 2, fields, line);
      else this.#producer.emit(level, this.#context, undefined, args, 1, fields, line);
    } else {
      this.#producer.emit(level, this.#context, undefined, args, 0, caller === undefined ? undefined : { caller }, line);
    }
  }
}

/** Connects this thread to a backend through its handle and returns a logger. */
export function connect(handle: unknown, options?: ConnectOptions): Logger {
  assertHandle(handle);
  const { name, level, callSite = false } = resolveConnectOptions(options);
  const producer = Producer.for(handle);
  return new Logger(producer, name, {}, level, producer.levelsOf(name), callSite);
}

/**
 * `"functionName (file:line:column)"` of the frame that called `method`, as V8 prints it (the
 * `at ` dropped); `<anonymous>` when there is none. One frame only, so the trace stays cheap.
 */
function callerOf(method: Function): string {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, method);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const frame = holder.stack?.split('\n')[1]?.trim();
  return frame === undefined ? '<anonymous>' : frame.replace(/^at /, '');
}

/**
 * The fields of a call with `caller` added, as a new object: the caller's own object is not
 * changed, and a `caller` field the call gives itself wins. Copied as bindings are (a getter
 * that throws becomes '[Throws]'); a merging value that is not a plain object (a Map, a class
 * instance) goes under `value`, where the line would put it anyway.
 */
function withCaller(fields: object, caller: string | undefined): object {
  if (caller === undefined) return fields;
  let plain: boolean;
  try {
    const proto: unknown = Object.getPrototypeOf(fields);
    plain = (proto === Object.prototype || proto === null) && !Array.isArray(fields);
  } catch {
    plain = false;
  }
  return plain ? mergeBindings({ caller }, fields as Record<string, unknown>) : { caller, value: fields };
}

/** See the top of this file. */
function threshold(explicit: LevelOption | undefined, { configured, floor }: NameLevels): number {
  return Math.max(explicit === undefined ? configured : levelValue(explicit), floor);
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * `instanceof` runs a Proxy's getPrototypeOf trap, which may throw; a log call must not. A
 * plain object, what most calls pass, is known not to be an Error without walking the chain.
 */
function isError(value: object): boolean {
  try {
    return isErrorKind(value);
  } catch {
    return false;
  }
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
