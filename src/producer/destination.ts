/**
 * ringlog as pino's destination: `pino(options, destination(handle))`. pino formats the line in
 * the worker (serializers, redaction, mixins, hooks: all pino's); each `write(line)` commits it
 * into the ring as a finished-line record (Flag.LINE) before it returns, and the consumer copies
 * it to the sinks. The file gets the bytes pino gave, from any number of threads, none torn.
 *
 * What pino asks of a destination (pino 10: pino.js, lib/proto.js, lib/tools.js,
 * lib/multistream.js), and what this gives:
 * - `write(string)`, one whole line per call (pino ends every line with '\n'); its result is not
 *   read. A string that is not whole lines still becomes whole lines (see write()).
 * - `writable: true`: how `pino(stream)` with one argument tells a stream from options.
 * - `flush(cb)` for `logger.flush(cb)`; `flushSync()` and `end()` for pino.multistream's
 *   flushSync() and end(); `emit` for the PINO_CONFIG message pino sends at creation.
 * - Not `Symbol.for('pino.metadata')`: the level comes from the line itself (levelOf), which
 *   stays right when the line is written by anything else than the pino that set `lastLevel`.
 * - No 'drain', 'ready' or 'error' events: nothing is buffered here, the destination is ready
 *   when made, and the backend reports failures itself (backend.on('error')).
 */
import { EventEmitter } from 'node:events';
import { fail, show } from '../core/errors.js';
import { LEVELS } from '../core/levels.js';
import { assertHandle } from './handle.js';
import { Producer } from './producer.js';

/**
 * The level byte of a line whose level cannot be read (`formatters.level` renaming the key, a
 * custom label, a line that is not pino's): fatal's, which no sink's level is above, so that a
 * line is never filtered out for a reason its writer cannot see. Sinks at `silent` take none.
 */
export const UNKNOWN_LINE_LEVEL = LEVELS.fatal;

/** Levels above this are written as it: the level is one byte in the record. */
const MAX_LINE_LEVEL = 0xff;

const LEVEL_PREFIX = '{"level":';
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;

export class Destination extends EventEmitter {
  /** pino(stream) takes its only argument for a stream rather than options when this is true. */
  readonly writable = true;
  readonly #producer: Producer;
  /** Lines below every root sink's level are written nowhere, so they are not committed. */
  readonly #floor: number;
  /** end(): 'ending' until the lines written before it are in the file, then 'closed'. */
  #state: 'open' | 'ending' | 'closed' = 'open';

  /** @internal Use `destination(handle)`. */
  constructor(producer: Producer) {
    super();
    this.#producer = producer;
    this.#floor = producer.levelsOf(undefined).floor;
  }

  /**
   * Commits the line into the ring before it returns, as every ringlog call does: `onFull`
   * decides when the ring is full, a line larger than `maxRecordSize` becomes the oversized
   * notice. A string with several lines becomes one record per line, each with its own level;
   * one whose end is not a line end gets a '\n' there, so that the next write cannot continue
   * it in the middle of another thread's lines. Returns true: nothing waits here for 'drain'.
   */
  write(chunk: string): boolean {
    // As sonic-boom does: pino writes strings; anything else is written as its string.
    const text = typeof chunk === 'string' ? chunk : String(chunk);
    if (text.length === 0) return true;
    // pino's case, one whole line: committed as it is, without a copy.
    if (text.indexOf('\n') === text.length - 1) {
      this.#commit(text);
      return true;
    }
    for (let start = 0; start < text.length; ) {
      const end = text.indexOf('\n', start);
      if (end === -1) {
        this.#commit(`${text.slice(start)}\n`);
        break;
      }
      this.#commit(text.slice(start, end + 1));
      start = end + 1;
    }
    return true;
  }

  /**
   * Calls `cb` once every line written before the call is in the file (handed to the OS by
   * the consumer thread), or once the backend has closed. pino's `logger.flush(cb)` calls this.
   */
  flush(cb?: (error?: Error | null) => void): void {
    if (cb !== undefined && typeof cb !== 'function') {
      fail(TypeError, `destination.flush(cb): cb must be a function or undefined; received ${show(cb)}`);
    }
    void this.#producer.flush().then(() => cb?.());
  }

  /**
   * Nothing to do, and so synchronous: sonic-boom's flushSync writes out what its thread still
   * holds, and here a line is in the ring once write() returns. From there the consumer writes
   * it, and at process exit the main thread drains the ring itself (README, Guarantees), even
   * when this thread is gone.
   */
  flushSync(): void {}

  /**
   * Emits 'finish' then 'close' once the lines written so far are in the file, as sonic-boom's
   * end() does; `cb` is called with them. It closes nothing: the ring belongs to the backend
   * and the other threads (backend.close() closes the file), and a write after end() is
   * committed as any other, since dropping it would lose a line to save nothing.
   */
  end(cb?: () => void): this {
    if (cb !== undefined && typeof cb !== 'function') {
      fail(TypeError, `destination.end(cb): cb must be a function or undefined; received ${show(cb)}`);
    }
    if (this.#state === 'closed') {
      if (cb !== undefined) queueMicrotask(cb);
      return this;
    }
    if (cb !== undefined) this.once('close', cb);
    if (this.#state === 'ending') return this;
    this.#state = 'ending';
    void this.#producer.flush().then(() => {
      this.#state = 'closed';
      this.emit('finish');
      this.emit('close');
    });
    return this;
  }

  #commit(line: string): void {
    const level = levelOf(line);
    if (level < this.#floor) return;
    this.#producer.writeLine(level, line);
  }
}

/**
 * A destination for pino in this thread: `pino(options, destination(workerData.log))`. Every
 * destination and logger a thread makes from one handle share its Producer.
 */
export function destination(handle: unknown): Destination {
  assertHandle(handle, 'destination(handle)');
  return new Destination(Producer.for(handle));
}

/**
 * The level of a pino line, from its start: `{"level":30,` (pino's default, numbers for custom
 * levels too) or `{"level":"info",` (`formatters.level` returning the label). Numbers are
 * ringlog's own (pino's 10 to 60), so a sink's `level` takes or leaves the line as it would a
 * record of its logger; a custom level keeps its place between them. UNKNOWN_LINE_LEVEL when
 * the line starts otherwise.
 */
export function levelOf(line: string): number {
  if (!line.startsWith(LEVEL_PREFIX)) return UNKNOWN_LINE_LEVEL;
  let at = LEVEL_PREFIX.length;
  const first = line.charCodeAt(at);
  if (first === QUOTE) {
    const close = line.indexOf('"', at + 1);
    if (close === -1 || !endsValue(line.charCodeAt(close + 1))) return UNKNOWN_LINE_LEVEL;
    const label = line.slice(at + 1, close);
    return Object.hasOwn(LEVELS, label) ? LEVELS[label as keyof typeof LEVELS] : UNKNOWN_LINE_LEVEL;
  }
  let value = 0;
  for (let code = first; code >= ZERO && code <= NINE; code = line.charCodeAt(++at)) {
    value = Math.min(value * 10 + (code - ZERO), MAX_LINE_LEVEL);
  }
  // No digit, a sign, a fraction or an exponent: not a level number pino writes.
  if (at === LEVEL_PREFIX.length || !endsValue(line.charCodeAt(at))) return UNKNOWN_LINE_LEVEL;
  return value;
}

function endsValue(code: number): boolean {
  return code === COMMA || code === CLOSE_BRACE;
}
