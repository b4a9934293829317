/**
 * One thread's connection to a backend's ring: every logger a thread makes from the same handle
 * shares one Producer (and so one encoder and its scratch buffer). It turns a log call's values into a committed
 * record synchronously, inside the call: worker pools park their threads between tasks, and a
 * record that waited for the event loop would never arrive.
 */
import { threadId } from 'node:worker_threads';
import { levelValue } from '../core/levels.js';
import { bytesOver, Flag, HEADER_BYTES, MAX_ARGS, type Bytes, writeHeader } from '../record/descriptor.js';
import { decodeRecord } from '../record/decoder.js';
import type { LogRecord } from '../record/log-record.js';
import { jsonFormatterWith } from '../line/json-format.js';
import { lanesOf, takeLane, type Lane, type Lanes } from '../ring/lanes.js';
import { LaneSlot, Slot, Stat, State, viewShared, type SharedViews } from '../ring/layout.js';
import { LineLane } from '../ring/line-lane.js';
import { StallWatch } from '../ring/liveness.js';
import { effectiveLevel, singleSinkTable, sinkFloor, type RouteTable } from '../core/routes.js';
import { FRAME_HEADER_BYTES, maxPayloadBytesOf, NO_SPACE, Ring } from '../ring/ring.js';
import { Encoder } from '../record/encoder.js';
import { compileRedaction, type Redaction } from '../record/redact.js';
import type { LogHandle } from './handle.js';
import { JsonLineEncoder, LINE_REFUSED, type LineContext } from './json-line.js';
// A namespace import: the bundle runs text-line.ts and the text formats at their first use
// only, in threads that write text lines (build/bundle-entry.mjs); JSON workers start faster.
import * as textLine from './text-line.js';
import type { TextLineEncoder } from './text-line.js';

/**
 * How long one wait for space lasts before a blocked producer looks again at the backend's
 * state (closed meanwhile?). Short enough to notice a close quickly, long enough not to spin.
 */
const FULL_WAIT_SLICE_MS = 50;
/** How long one wait for the consumer's write lasts in flush() before it looks again. */
const FLUSH_WAIT_SLICE_MS = 100;

const noop = (): void => {};

const producers = new WeakMap<SharedArrayBuffer, Producer>();

/** What a logger of one name needs from the routes, worked out once when the logger is made. */
export interface NameLevels {
  /** The level configured for the name (its own or its nearest configured ancestor's, or the root's). */
  readonly configured: number;
  /** The lowest level among the sinks the name reaches; SILENT when it reaches none. */
  readonly floor: number;
}

export class Producer {
  /** Record lanes: the ring this thread claims frames in. Undefined with line lanes. */
  readonly #ring: Ring | undefined;
  /**
   * Line lanes (ring/line-lane.ts): the lane this thread appends finished lines to, every record
   * as its JSON line. Undefined with record lanes.
   */
  readonly #lineLane: LineLane | undefined;
  /** Whichever of the two this thread writes in. */
  readonly #lane: Ring | LineLane;
  /** The largest record, record header included, that an encoding may take: maxRecordSize less the frame header. */
  readonly #maxPayloadBytes: number;
  /**
   * Line lanes: the general formatter of the sink's lines (line/json-format.ts or
   * line/text-format.ts, the line's specification), for the calls json-line.ts or text-line.ts
   * leave to the encoder: their record is encoded, decoded and rendered here, so that a
   * thread's lines stay in its one lane, in order.
   */
  readonly #formatLine: ((record: LogRecord) => string) | undefined;
  readonly #control: Int32Array;
  readonly #views: SharedViews;
  /** Every lane, for flush(); made at the first flush. */
  #lanes: Lanes<Lane> | undefined;
  readonly #bytes: Bytes;
  /** handle.redact compiled, applied by every encoder of this thread (record/redact.ts). */
  readonly #redaction: Redaction | undefined;
  readonly #encoder: Encoder;
  /**
   * Writes finished lines from a call's values when the backend asks for them: JSON lines
   * (handle.lines), or text lines into line lanes (handle.text, without a redaction).
   */
  readonly #lines: JsonLineEncoder | TextLineEncoder | undefined;
  /** True while a log call walks its values (which may run user code that logs). */
  #walking = false;
  /**
   * True while json-line.ts walks a call's values: the records of calls made meanwhile (from a
   * getter or toJSON) wait in #deferred until the walk ends, and then go first, as they would
   * have with the encoder. When the line is refused, the encoder walks the same values again, in
   * the same order, and runs the same code up to where the line's walk stopped: #replayed
   * drops as many of its first nested calls as were written already, so that each is written
   * once; the calls past that point (the line's walk never got there) are written as usual.
   */
  #deferring = false;
  readonly #deferred: (() => unknown)[] = [];
  #replayed = 0;
  readonly #dropWhenFull: boolean;
  /** Tells a dead or hung consumer from a busy one while waiting on a full ring. */
  readonly #stall: StallWatch;
  /** Encoded `[undefined, undefined]`: the context of a notice that must fit whatever happened. */
  readonly #emptyContext: Uint8Array;
  readonly #routes: RouteTable;

  static for(handle: LogHandle): Producer {
    let producer = producers.get(handle.buffer);
    if (producer === undefined) {
      producer = new Producer(handle);
      producers.set(handle.buffer, producer);
    }
    return producer;
  }

  private constructor(handle: LogHandle) {
    const views = viewShared(handle.buffer);
    this.#views = views;
    // One lane for the thread's life: its records stay in order in it.
    const lane = takeLane(views);
    this.#redaction = handle.redact === undefined ? undefined : compileRedaction(handle.redact);
    const text = handle.text;
    const textLines = views.lineLanes && text !== undefined ? textLine.textLinesFor(text.format, text.context, threadId, this.#redaction !== undefined) : undefined;
    if (views.lineLanes && (handle.lines !== undefined || textLines !== undefined)) {
      this.#lineLane = new LineLane(views, lane, threadId + 1);
      this.#lane = this.#lineLane;
      this.#maxPayloadBytes = maxPayloadBytesOf(views.lanes[lane]!.capacity, handle.maxRecordSize);
      this.#formatLine = textLines !== undefined ? textLines.format : jsonFormatterWith(handle.lines!);
    } else {
      this.#ring = new Ring(views, lane, handle.maxRecordSize);
      this.#lane = this.#ring;
      this.#maxPayloadBytes = this.#ring.maxPayloadBytes;
    }
    this.#control = views.control;
    this.#bytes = bytesOver(views.data);
    this.#encoder = new Encoder(this.#redaction);
    this.#lines = handle.lines !== undefined ? new JsonLineEncoder(handle.lines, threadId, this.#redaction) : textLines?.encoder;
    this.#dropWhenFull = handle.onFull === 'drop';
    this.#stall = new StallWatch(this.#control, this.#lane.cursors);
    this.#emptyContext = this.encodeContext(undefined, undefined);
    this.#routes = handle.routes ?? singleSinkTable(levelValue(handle.level));
  }

  /** The levels that make the threshold of a logger named `name` (see Logger). */
  levelsOf(name: string | undefined): NameLevels {
    return { configured: effectiveLevel(this.#routes, name), floor: sinkFloor(this.#routes, name) };
  }

  /**
   * Encodes a logger's name and bindings once into private memory; they are copied per call.
   * What does not fit a record is replaced by a marker, bindings first, then the name.
   */
  encodeContext(name: string | undefined, bindings: object | undefined): Uint8Array {
    const tooLarge = { bindings: '[Too large]' };
    const attempts: [string | undefined, object | undefined][] = [
      [name, bindings],
      [name, tooLarge],
      [undefined, tooLarge],
    ];
    const encoder = new Encoder(this.#redaction);
    for (const values of attempts) {
      encoder.begin(this.#maxPayloadBytes - HEADER_BYTES);
      for (const value of values) encoder.add(value);
      if (!encoder.oversized) break;
    }
    const bytes = new Uint8Array(encoder.byteLength);
    encoder.write(bytesOver(bytes), 0);
    return bytes;
  }

  /**
   * A logger's name and bindings as its JSON lines write them, when the backend asks for lines
   * and this logger's records can be lines; undefined otherwise (its records are encoded).
   */
  lineContext(name: string | undefined, bindings: Readonly<Record<string, unknown>> | undefined): LineContext | undefined {
    return this.#lines?.context(name, bindings);
  }

  /**
   * Encodes and commits one record: `msg` is the message or template, `args[argStart..]` its
   * printf arguments, `fields` the merging object. With the logger's `line` context, the
   * record is written as its finished JSON line when json-line.ts takes the call.
   */
  emit(
    level: number,
    context: Uint8Array,
    msg: string | undefined,
    args: readonly unknown[],
    argStart: number,
    fields: object | undefined,
    line?: LineContext,
  ): void {
    const time = Date.now();
    // A getter or toJSON met by the walk may itself log: that nested call gets an encoder of its
    // own rather than resetting the one being filled.
    const nested = this.#walking;
    const argCount = Math.min(Math.max(args.length - argStart, 0), MAX_ARGS);
    if (line !== undefined && !nested && this.#emitLine(level, time, line, msg, args, argStart, argCount, fields)) return;
    if (nested && this.#replayed > 0) {
      this.#replayed--;
      return;
    }
    const encoder = nested ? new Encoder(this.#redaction) : this.#encoder;
    this.#walking = true;
    try {
      encoder.begin(this.#maxPayloadBytes, HEADER_BYTES, context);
      encoder.add(msg);
      for (let i = 0; i < argCount; i++) encoder.add(args[argStart + i]);
      if (fields !== undefined) encoder.add(fields);
    } finally {
      this.#walking = nested;
      if (!nested) this.#replayed = 0;
    }
    const flags = fields === undefined ? 0 : Flag.HAS_FIELDS;
    if (nested && this.#deferring) {
      // A new Encoder of its own (nested): it holds the record until #emitLine decides.
      this.#deferred.push(
        encoder.oversized
          ? () => this.#emitOversized(encoder, level, time, encoder.byteLength)
          : () => this.#publish(encoder, time, level, flags, argCount),
      );
      return;
    }
    if (encoder.oversized) return this.#emitOversized(encoder, level, time, encoder.byteLength);
    this.#publish(encoder, time, level, flags, argCount);
  }

  /**
   * Commits `line`, one finished line ending with '\n' (destination.ts makes it so), as a
   * Flag.LINE record at `level`: the consumer copies it to the sinks as it is. UTF-8 straight
   * into the claimed frame, as Node writes a string to a file (a lone surrogate becomes U+FFFD).
   */
  writeLine(level: number, line: string): void {
    const time = Date.now();
    const payloadBytes = HEADER_BYTES + Buffer.byteLength(line, 'utf8');
    // A line written as it is counts against maxRecordSize as the record it would be.
    if (payloadBytes > this.#maxPayloadBytes) {
      // The notice is made in #encoder, which a log call in progress may be filling (pino
      // called from one of its getters): such a nested write gets an encoder of its own.
      return this.#emitOversized(this.#walking ? new Encoder() : this.#encoder, level, time, payloadBytes);
    }
    if (this.#lineLane !== undefined) {
      this.#appendLine(line, payloadBytes - HEADER_BYTES, time);
      return;
    }
    const index = this.#claim(payloadBytes);
    if (index === NO_SPACE) return;
    const bytes = this.#bytes;
    writeHeader(bytes.view, index, time, threadId, level, Flag.LINE, 0);
    bytes.buffer.write(line, index + HEADER_BYTES, payloadBytes - HEADER_BYTES, 'utf8');
    this.#ring!.commit(index, payloadBytes);
  }

  /**
   * Resolves once every record committed before the call, by any thread, has been handed to the
   * OS: every lane's WRITTEN has reached where its claims ended at the call.
   */
  async flush(): Promise<void> {
    const control = this.#control;
    const rings = (this.#lanes ??= lanesOf(this.#views)).rings;
    const targets = rings.map((ring) => ring.end());
    // A pending waitAsync does not keep the event loop alive; a timer does, so that
    // `await flush()` at the end of a program is not cut short by the loop running dry.
    const keepAlive = setInterval(noop, 60_000);
    try {
      for (let lane = 0; lane < rings.length; ) {
        const cursors = rings[lane]!.cursors;
        const written = Atomics.load(cursors, LaneSlot.WRITTEN);
        if (Atomics.load(control, Slot.STATE) === State.CLOSED) return;
        if (((written - targets[lane]!) | 0) >= 0) {
          lane++;
          continue;
        }
        this.#lane.wakeConsumer();
        const wait = Atomics.waitAsync(cursors, LaneSlot.WRITTEN, written, FLUSH_WAIT_SLICE_MS);
        if (wait.async) await wait.value;
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** The record as its finished line; false when json-line.ts leaves the call to the encoder. */
  #emitLine(
    level: number,
    time: number,
    line: LineContext,
    msg: string | undefined,
    args: readonly unknown[],
    argStart: number,
    argCount: number,
    fields: object | undefined,
  ): boolean {
    const lines = this.#lines!;
    this.#walking = true;
    this.#deferring = true;
    let payloadBytes: number;
    try {
      payloadBytes = lines.encode(this.#maxPayloadBytes, level, time, line, msg, fields, args, argStart, argCount);
    } finally {
      this.#walking = false;
      this.#deferring = false;
    }
    if (this.#deferred.length > 0) {
      const deferred = this.#deferred.splice(0);
      for (const publish of deferred) publish();
      // The encoder's walk, next, would make these records again.
      if (payloadBytes === LINE_REFUSED) this.#replayed = deferred.length;
    }
    if (payloadBytes === LINE_REFUSED) return false;
    const lineLane = this.#lineLane;
    if (lineLane !== undefined) {
      const lineBytes = payloadBytes - HEADER_BYTES;
      const index = this.#begin(lineLane, lineBytes);
      if (index === NO_SPACE) return true;
      lines.writeLine(this.#bytes, index, lineBytes);
      lineLane.commit(1, time);
      return true;
    }
    // Record lanes take JSON lines only (a text line is written in a line lane).
    const index = this.#claim(payloadBytes);
    if (index === NO_SPACE) return true;
    (lines as JsonLineEncoder).write(this.#bytes, index, payloadBytes);
    this.#ring!.commit(index, payloadBytes);
    return true;
  }

  /**
   * Writes the header into the encoding, claims a frame for all of it, copies it in, commits.
   * With line lanes, the record's JSON line goes in instead (#publishAsLine()).
   */
  #publish(encoder: Encoder, time: number, level: number, flags: number, argCount: number): boolean {
    writeHeader(encoder.view, 0, time, threadId, level, flags, argCount);
    if (this.#lineLane !== undefined) return this.#publishAsLine(encoder, level, time);
    const payloadBytes = encoder.byteLength;
    const index = this.#claim(payloadBytes);
    if (index === NO_SPACE) return false;
    encoder.write(this.#bytes, index);
    this.#ring!.commit(index, payloadBytes);
    return true;
  }

  /**
   * Line lanes: the encoded record as the general formatter writes it, what the consumer did for
   * it with record lanes. A record that does not decode or render (a bug: the encoder just made
   * it) is counted as failed, as the consumer counts it.
   */
  #publishAsLine(encoder: Encoder, level: number, time: number): boolean {
    let line: string;
    try {
      line = this.#formatLine!(decodeRecord(encoder.bytes, 0, encoder.byteLength));
    } catch {
      Atomics.add(this.#views.stats, Stat.RECORDS_FAILED, 1n);
      return false;
    }
    const lineBytes = Buffer.byteLength(line, 'utf8');
    if (lineBytes > this.#lineLane!.maxLineBytes) {
      // Its JSON is longer than its encoding: the notice stands for it, as for any record too large.
      this.#emitOversized(encoder, level, time, lineBytes + HEADER_BYTES);
      return false;
    }
    return this.#appendLine(line, lineBytes, time);
  }

  /** Line lanes: appends `line`, `lineBytes` long in UTF-8, encoded straight into the lane; `time` is its record's. */
  #appendLine(line: string, lineBytes: number, time: number): boolean {
    const lane = this.#lineLane!;
    const index = this.#begin(lane, lineBytes);
    if (index === NO_SPACE) return false;
    this.#bytes.buffer.write(line, index, lineBytes, 'utf8');
    lane.commit(1, time);
    return true;
  }

  /**
   * A record larger than the ring allows is replaced by a notice of the same level, and counted
   * as oversized once the notice is in (if the notice itself is dropped, it counts as that).
   */
  #emitOversized(encoder: Encoder, level: number, time: number, bytes: number): void {
    const limit = this.#maxPayloadBytes;
    encoder.begin(limit, HEADER_BYTES, this.#emptyContext);
    encoder.add(`[ringlog] record of at least ${bytes + FRAME_HEADER_BYTES} bytes dropped: records are limited to ${limit + FRAME_HEADER_BYTES} bytes (maxRecordSize)`);
    if (this.#publish(encoder, time, level, 0, 0)) Atomics.add(this.#control, Slot.OVERSIZED, 1);
  }

  #claim(payloadBytes: number): number {
    const ring = this.#ring!;
    const index = ring.claim(payloadBytes, threadId);
    return index !== NO_SPACE ? index : this.#whenFull(() => ring.claimOrWait(payloadBytes, threadId, FULL_WAIT_SLICE_MS));
  }

  /** Line lanes: takes the lane for `lineBytes` (as #claim() claims a frame); NO_SPACE when the line is dropped. */
  #begin(lane: LineLane, lineBytes: number): number {
    const index = lane.begin(lineBytes);
    return index >= 0 ? index : this.#whenFull(() => lane.beginOrWait(lineBytes, FULL_WAIT_SLICE_MS));
  }

  /**
   * The lane is full, or sealed because the backend closed: wait (`waitOnce` is one slice of
   * waiting for room, returning an index or a negative number), or drop and count.
   */
  #whenFull(waitOnce: () => number): number {
    const control = this.#control;
    for (;;) {
      if (this.#lane.isSealed() || Atomics.load(control, Slot.STATE) === State.CLOSED) {
        Atomics.add(control, Slot.DROPPED_CLOSED, 1);
        return NO_SPACE;
      }
      if (this.#dropWhenFull || this.#stall.stalled()) {
        Atomics.add(control, Slot.DROPPED_FULL, 1);
        return NO_SPACE;
      }
      const index = waitOnce();
      if (index >= 0) return index;
    }
  }
}
