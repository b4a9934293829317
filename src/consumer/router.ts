/**
 * Per record, in the consumer: which sinks take it, and the line each of them gets.
 *
 * A record goes to every sink its logger's name reaches (routes.ts: the dotted hierarchy,
 * `propagate`) whose own level it meets. The logger's level was applied in the producer
 * already: a record in the ring passed it, so here only the sinks' levels are checked.
 *
 * Fast, because it runs for every record:
 * - When every sink is a root sink and no logger stops propagation, the name does not matter
 *   and is never read (`#uniform`): today's single-file configuration, and any set of root
 *   sinks that differ only by level.
 * - Otherwise the name is compared, as bytes in the ring, with the names of the last few
 *   records (RECENT_NAMES): a steady stream from one logger, or from a handful interleaving,
 *   costs a byte comparison, no string. Another name is decoded and looked up in a map of
 *   routes by name (sinksFor() runs once per distinct name). Measured with null sinks (JSON,
 *   the cookbook's routes, 2-3 sinks a record): ~290 ns a record whether one name or two
 *   alternate, against ~520 ns when only the last record's name was kept.
 * - Each formatter renders a record at most once, however many sinks use it (sinks that share
 *   a formatter share the line), and the record is decoded at most once, only for formatters
 *   that need the decoded form: a JSON sink's line comes from the byte renderer when it can.
 * - One sink that takes every record (the default) has a path of its own, the consumer's loop
 *   before routing existed, plus one level comparison.
 *
 * It also stands for its sinks as a whole toward the consumer: flush, close, counters summed.
 */
import { Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../record/descriptor.js';
import type { LogRecord } from '../record/log-record.js';
import { namesRoute, sinksFor, type RouteTable } from '../core/routes.js';
import { decodeRecord } from '../record/decoder.js';
import type { LineFormat } from './formats.js';
import { NOT_RENDERED } from '../line/json-bytes.js';
import type { Sink } from './sink/sink.js';

/** A sink as the router sees it. */
export interface Output {
  readonly sink: Sink;
  /** The sink's own minimum level number. */
  readonly level: number;
  /** Index of its LineFormat. */
  readonly format: number;
}

interface Route {
  /** The outputs a record of this logger reaches, before their own levels, in sink order. */
  readonly outputs: readonly Output[];
  /** The lowest of their levels: a record below it goes nowhere. */
  readonly floor: number;
}

/**
 * Distinct logger names whose routes are kept. Names are usually a fixed set; one that embeds
 * an id would make a new name per record, and then the map is cleared rather than let grow.
 */
const MAX_ROUTES = 1024;

/**
 * Names whose bytes are compared before decoding: enough for the handful of loggers that
 * usually interleave in a batch (the cookbook's six), few enough that a miss costs little.
 */
const RECENT_NAMES = 8;

/**
 * Lines rendered in the sink's own buffer when their bound is at most this; a larger record's
 * bound (up to 6x a megabyte) would make the sink grow its buffer, so it is rendered apart.
 */
const IN_PLACE_MAX_BYTES = 64 * 1024;

/** A format's state for the record at hand: its rendering failed. */
const FAILED = -2;

interface RecentName {
  /** The name as UTF-8 bytes. */
  readonly bytes: Uint8Array;
  readonly route: Route;
}

export class Router {
  readonly #table: RouteTable;
  readonly #outputs: readonly Output[];
  readonly #sinks: readonly Sink[];
  readonly #formats: readonly LineFormat[];
  /** The one output when there is one and it gets every record whatever its logger. */
  readonly #only: Output | undefined;
  /** The route of every record when names do not matter. */
  readonly #uniform: Route | undefined;
  readonly #routes = new Map<string, Route>();
  readonly #root: Route;
  /** The names of recent records and their routes; a new one replaces the oldest. */
  readonly #recent: RecentName[] = [];
  #nextRecent = 0;
  /** Per format: the record (by #stamp) it was last rendered for, and the result. */
  readonly #renderedFor: Float64Array;
  readonly #lengths: Int32Array;
  readonly #lines: (string | undefined)[];
  #stamp = 0;
  /** Records that could not be decoded or rendered, not yet taken by the consumer. */
  #failed = 0;

  /** `sinks[i]` is the sink of `table.sinks[i]`; `formatOf[i]` the index of its LineFormat in `formats`. */
  constructor(table: RouteTable, sinks: readonly Sink[], formats: readonly LineFormat[], formatOf: readonly number[]) {
    if (sinks.length !== table.sinks.length || formatOf.length !== sinks.length) {
      throw new RangeError(`ringlog: ${sinks.length} sinks for ${table.sinks.length} routes and ${formatOf.length} formats`);
    }
    this.#table = table;
    this.#sinks = sinks;
    this.#formats = formats;
    this.#outputs = sinks.map((sink, i) => ({ sink, level: table.sinks[i]!.level, format: formatOf[i]! }));
    this.#renderedFor = new Float64Array(formats.length);
    this.#lengths = new Int32Array(formats.length);
    this.#lines = formats.map(() => undefined);
    const uniform = !namesRoute(table);
    this.#root = this.#route(undefined);
    this.#uniform = uniform ? this.#root : undefined;
    this.#only = uniform && this.#outputs.length === 1 ? this.#outputs[0] : undefined;
  }

  /**
   * Renders the record at `index` in `bytes` and buffers its line in every sink that takes it;
   * returns how many did. A record that cannot be rendered is counted (see takeFailed()).
   */
  write(bytes: Bytes, index: number, length: number): number {
    // No record is shorter than its header: a frame the ring found damaged (ring.ts DAMAGED), or
    // bytes of another format. Its level and flags would be the next frame's bytes: not read.
    if (length < HEADER_BYTES) {
      this.#failed++;
      return 0;
    }
    if (length > HEADER_BYTES && (bytes.u8[index + RecordOffset.FLAGS]! & Flag.LINE) !== 0) return this.#writeFinished(bytes, index, length);
    return this.#only === undefined ? this.#writeRouted(bytes, index, length) : this.#writeOnly(this.#only, bytes, index, length);
  }

  /**
   * A line the producer finished (Flag.LINE, only asked for when names route nothing and every
   * sink writes JSON lines), a line pino wrote through destination() (whatever the sinks), or
   * whole lines an aggregator received from another process (their count in ARG_COUNT): copied
   * to every root sink whose level it meets, whatever its format; a format that frames lines
   * (syslog's) frames each of them first, with the record's level and time.
   * Returns lines times sinks. One that does not end its line is counted as failed.
   */
  #writeFinished(bytes: Bytes, index: number, length: number): number {
    const u8 = bytes.u8;
    if (u8[index + length - 1] !== NEWLINE) {
      this.#failed++;
      return 0;
    }
    const level = u8[index + RecordOffset.LEVEL]!;
    const start = index + HEADER_BYTES;
    const lineBytes = length - HEADER_BYTES;
    let written = 0;
    for (const output of this.#root.outputs) {
      if (level < output.level) continue;
      const frame = this.#formats[output.format]!.frame;
      if (frame === undefined) output.sink.writeBytes(bytes, lineBytes, start);
      else {
        const time = bytes.view.getFloat64(index + RecordOffset.TIME, true);
        const text = bytes.buffer.toString('utf8', start, start + lineBytes);
        for (let from = 0; from < text.length; ) {
          const end = text.indexOf('\n', from) + 1;
          output.sink.writeLine(frame(text.slice(from, end), level, time));
          from = end;
        }
      }
      written++;
    }
    // Every line ends in a newline byte: a count past the record's bytes is damage (ring.ts,
    // Damaged headers), and must not add thousands of lines to recordsWritten.
    const lines = Math.min(bytes.view.getUint16(index + RecordOffset.ARG_COUNT, true), lineBytes);
    return lines > 1 ? written * lines : written;
  }

  /**
   * A run of `lines` finished lines from a line lane (ring/line-lane.ts), to the sink as it is:
   * the backend makes line lanes only for one sink that takes every line (JSON, no routing by
   * name). Returns lines times sinks.
   */
  writeLines(bytes: Bytes, start: number, length: number, lines: number): number {
    const outputs = this.#root.outputs;
    for (let i = 0; i < outputs.length; i++) outputs[i]!.sink.writeLines(bytes, start, length, lines);
    return lines * outputs.length;
  }

  /** As write(), for a record made in the consumer (the drop notice). */
  writeRecord(record: LogRecord): number {
    const route = this.#uniform ?? this.#routeFor(record.name);
    let written = 0;
    const lines: (string | undefined)[] = this.#formats.map(() => undefined);
    for (const output of route.outputs) {
      if (record.level < output.level) continue;
      const line = (lines[output.format] ??= this.#formats[output.format]!.format(record));
      output.sink.writeLine(line);
      written++;
    }
    return written;
  }

  /** Records that could not be decoded or rendered since the last call. */
  takeFailed(): number {
    const failed = this.#failed;
    this.#failed = 0;
    return failed;
  }

  #writeOnly(output: Output, bytes: Bytes, index: number, length: number): number {
    if (output.level > 0 && bytes.u8[index + RecordOffset.LEVEL]! < output.level) return 0;
    const { format, renderer } = this.#formats[output.format]!;
    const sink = output.sink;
    // Straight into the sink's buffer when the bound is small: the line is then written once,
    // where it is sent from.
    const bound = renderer === undefined ? Number.POSITIVE_INFINITY : renderer.maxLineBytes(length);
    const start = bound <= IN_PLACE_MAX_BYTES ? sink.reserveLine(bound) : -1;
    let line: string | undefined;
    let lineBytes = NOT_RENDERED;
    try {
      if (start >= 0) lineBytes = renderer!.renderInto(bytes, index, length, sink.lineBuffer.u8, start);
      else if (renderer !== undefined) lineBytes = renderer.render(bytes, index, length);
      if (lineBytes === NOT_RENDERED) line = format(decodeRecord(bytes, index, length));
    } catch {
      // A record that does not decode or render is counted, and the rest of the batch goes on.
      this.#failed++;
      return 0;
    }
    if (line !== undefined) sink.writeLine(line);
    else if (start >= 0) sink.commitLine(lineBytes);
    else sink.writeBytes(renderer!.output, lineBytes);
    return 1;
  }

  #writeRouted(bytes: Bytes, index: number, length: number): number {
    const route = this.#uniform ?? this.#routeAt(bytes, index, length);
    const level = bytes.u8[index + RecordOffset.LEVEL]!;
    if (level < route.floor) return 0;
    const stamp = ++this.#stamp;
    const renderedFor = this.#renderedFor;
    const lengths = this.#lengths;
    const lines = this.#lines;
    let record: LogRecord | undefined;
    let failed = false;
    let written = 0;
    for (const output of route.outputs) {
      if (level < output.level) continue;
      const f = output.format;
      const { format, renderer } = this.#formats[f]!;
      if (renderedFor[f] !== stamp) {
        renderedFor[f] = stamp;
        lines[f] = undefined;
        let lineBytes = NOT_RENDERED;
        try {
          if (renderer !== undefined) lineBytes = renderer.render(bytes, index, length);
          if (lineBytes === NOT_RENDERED) lines[f] = format((record ??= decodeRecord(bytes, index, length)));
        } catch {
          failed = true;
          lineBytes = FAILED;
        }
        lengths[f] = lineBytes;
      }
      const lineBytes = lengths[f]!;
      if (lineBytes === FAILED) continue;
      const line = lines[f];
      if (line === undefined) output.sink.writeBytes(renderer!.output, lineBytes);
      else output.sink.writeLine(line);
      written++;
    }
    if (failed) this.#failed++;
    return written;
  }

  /** The route of the record at `index`, by its name: the context right after the header. */
  #routeAt(bytes: Bytes, index: number, length: number): Route {
    const u8 = bytes.u8;
    const at = index + HEADER_BYTES;
    const end = index + length;
    // A record without a name, or one that does not parse (its rendering will say so), is the root's.
    if (at + 5 > end || u8[at] !== Tag.STRING) return this.#root;
    const size = bytes.view.getUint32(at + 1, true);
    const start = at + 5;
    if (start + size > end) return this.#root;
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i++) {
      const name = recent[i]!;
      if (name.bytes.length === size && sameBytes(u8, start, name.bytes)) return name.route;
    }
    const route = this.#routeFor(bytes.buffer.toString('utf8', start, start + size));
    recent[this.#nextRecent] = { bytes: u8.slice(start, start + size), route };
    this.#nextRecent = (this.#nextRecent + 1) % RECENT_NAMES;
    return route;
  }

  #routeFor(name: string | undefined): Route {
    if (name === undefined) return this.#root;
    let route = this.#routes.get(name);
    if (route === undefined) {
      if (this.#routes.size >= MAX_ROUTES) this.#routes.clear();
      route = this.#route(name);
      this.#routes.set(name, route);
    }
    return route;
  }

  #route(name: string | undefined): Route {
    const outputs = sinksFor(this.#table, name)
      .sort((a, b) => a - b)
      .map((index) => this.#outputs[index]!);
    let floor = Number.POSITIVE_INFINITY;
    for (const output of outputs) floor = Math.min(floor, output.level);
    return { outputs, floor };
  }

  // ---- the sinks as a whole ------------------------------------------------------------------

  get sinks(): readonly Sink[] {
    return this.#sinks;
  }

  /** Writes every sink's buffered lines, in sink order. */
  flush(): void {
    for (const sink of this.#sinks) sink.flush();
  }

  idle(): void {
    for (const sink of this.#sinks) sink.idle();
  }

  setDeadline(deadline: number): void {
    for (const sink of this.#sinks) sink.setDeadline(deadline);
  }

  /** Closes every sink, even when one throws; then throws the first error. */
  close(): void {
    let first: { error: unknown } | undefined;
    for (const sink of this.#sinks) {
      try {
        sink.close();
      } catch (error) {
        first ??= { error };
      }
    }
    if (first !== undefined) throw first.error;
  }

  /**
   * Closes every sink; one whose close throws has its buffered lines discarded. Never throws;
   * returns how many lines were lost that way.
   */
  closeCountingLost(): number {
    let lost = 0;
    for (const sink of this.#sinks) {
      const pending = sink.pendingLines;
      try {
        sink.close();
      } catch {
        sink.discard();
        lost += pending;
      }
    }
    return lost;
  }

  discard(): void {
    for (const sink of this.#sinks) sink.discard();
  }

  get bytesWritten(): number {
    let sum = 0;
    for (const sink of this.#sinks) sum += sink.bytesWritten;
    return sum;
  }

  get rotations(): number {
    let sum = 0;
    for (const sink of this.#sinks) sum += sink.rotations;
    return sum;
  }

  get linesDropped(): number {
    let sum = 0;
    for (const sink of this.#sinks) sum += sink.linesDropped;
    return sum;
  }

  get pendingLines(): number {
    let sum = 0;
    for (const sink of this.#sinks) sum += sink.pendingLines;
    return sum;
  }
}

const NEWLINE = 0x0a;

/** Whether `u8[start ..]` holds the bytes of `name`. */
function sameBytes(u8: Uint8Array, start: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (u8[start + i] !== name[i]) return false;
  return true;
}
