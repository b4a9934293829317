/**
 * The default JSON line, rendered straight from a record's bytes to the line's bytes: no
 * LogRecord, no JavaScript strings, nothing for the garbage collector. Strings are UTF-8 in the
 * record and UTF-8 in the file, so rendering one is a copy that escapes what JSON needs escaped.
 *
 * json-format.ts is the specification: for every record this renderer takes, it writes exactly
 * the bytes createJsonFormatter's line encodes to (a property test holds the two together). It
 * takes the records that matter for throughput and leaves the rest to the general formatter by
 * returning NOT_RENDERED:
 * - printf arguments (the message must be built as a string first),
 * - errors anywhere in the record (pino's `err` shape, the message taken from `err`),
 * - a field that shadows a binding, and a binding named `msg` (which key survives is decided by
 *   the formatter, and the line here is written in record order, bindings first),
 * - a merging value that is not an object, and anything that does not parse (the general
 *   path counts it as failed).
 *
 * A logger's name and bindings are rendered once per distinct context (context-cache.ts, keyed
 * by the context's bytes, not by thread: a thread that interleaves child loggers still hits),
 * and kept joined to the line's header for the millisecond and level at hand, so the start of
 * most lines is one copy. Lines are written wherever the caller says, with no bounds check per
 * byte: `maxLineBytes()` bounds the line, and the router renders straight into the sink's
 * buffer (`renderInto`), so a line is written once, where it is sent from.
 *
 * Values, members and strings are written by value-bytes.ts and line-bytes.ts, as for the text
 * line's extras; this file holds the JSON line's own decisions: the header, the context cache,
 * the keys the line writes itself, the bindings a field may not shadow, and the message last.
 */
import { Flag, HEADER_BYTES, RecordOffset, Tag, type Bytes } from '../record/descriptor.js';
import { ContextCache, CONTEXT_INTS, RENDERED_MAX_BYTES, type ContextEntry } from './context-cache.js';
import { renderProcessKeys, type JsonFormatContext } from './json-format.js';
import { JSON_ESCAPING } from './line-bytes.js';
import { BAIL, EXPANSION, NOT_RENDERED, ValueRenderer } from './value-bytes.js';

export { NOT_RENDERED };

/** Binding keys remembered for the shadowing check; a record with more goes the general way. */
const MAX_BINDINGS = 64;
/** Binding keys a context-cache entry keeps (start and length each); more: not kept. */
const CACHED_BINDINGS = CONTEXT_INTS / 2;
/** ContextEntry.flags: the context has a name. */
const HAS_NAME = 1;

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const NAME_KEY = ascii(',"name":');
const MSG_KEY = ascii(',"msg":');

/** Keys the line writes itself: a field or binding of that name is skipped (json-format.ts). */
const LEVEL = ascii('level');
const TIME = ascii('time');
const PID = ascii('pid');
const HOSTNAME = ascii('hostname');
const NAME = ascii('name');
const MSG = ascii('msg');

export class JsonLineRenderer extends ValueRenderer {
  readonly #processKeys: string;
  /** What a line may take beyond EXPANSION bytes per record byte: the header's numbers, the process keys. */
  readonly #fixedBytes: number;
  /** Where the record's binding keys are: start and length pairs, for the shadowing check. */
  readonly #bindingKeys = new Int32Array(MAX_BINDINGS * 2);
  /** How many keys `#bindingKeys` holds for the record being rendered. */
  #boundKeys = 0;
  /** Per level: the line's start for the last millisecond seen (see `#header`). */
  readonly #headers: ({ time: number; bytes: Uint8Array } | undefined)[] = [];
  /** The record has a name, a message: the line's own `name` and `msg` keys (see `#isOurs`). */
  #hasName = false;
  #hasMsg = false;
  readonly #contexts = new ContextCache();

  constructor(context: JsonFormatContext) {
    super(JSON_ESCAPING);
    this.#processKeys = renderProcessKeys(context);
    // `{"level":255,"time":` + the longest number String() writes + the process keys + `}\n`.
    this.#fixedBytes = 32 + 25 + Buffer.byteLength(this.#processKeys, 'utf8') + 2;
  }

  /** The most bytes the line of a record of `length` bytes can take. */
  maxLineBytes(length: number): number {
    return this.#fixedBytes + EXPANSION * length;
  }

  renderInto(source: Bytes, index: number, length: number, out: Uint8Array, start: number): number {
    if (!this.begin(source, index, length, out, start)) return NOT_RENDERED;
    const { u8, view } = source;
    const end = index + length;
    this.#boundKeys = 0;
    this.#hasMsg = false;
    const level = u8[index + RecordOffset.LEVEL]!;
    const time = view.getFloat64(index + RecordOffset.TIME, true);

    // One pass in record order: name, bindings, message, fields. The line puts the message
    // last, so only its place is noted on the way.
    let p = index + HEADER_BYTES;
    const entry = this.#contexts.find(u8, p, end);
    if (entry !== undefined) {
      // One native copy: a prefix is longer than a header, longer than a loop copies well.
      const prefix = this.#prefix(entry, level, time);
      out.set(prefix, this.at);
      this.at += prefix.length;
      this.#hasName = (entry.flags & HAS_NAME) !== 0;
      const count = (this.#boundKeys = entry.flags >>> 1);
      const keys = this.#bindingKeys;
      for (let k = 0; k < count * 2; k += 2) {
        keys[k] = p + entry.ints[k]!;
        keys[k + 1] = entry.ints[k + 1]!;
      }
      p += entry.keyLength;
    } else {
      const contextAt = p;
      const header = this.#header(level, time);
      this.put(header, 0, header.length);
      const renderedAt = this.at;
      p = this.#context(p);
      if (p === BAIL) return NOT_RENDERED;
      this.#remember(contextAt, p, renderedAt);
    }

    const msgAt = p;
    p = this.pastText(p);
    if (p === BAIL) return NOT_RENDERED;
    const msgStart = u8[msgAt] === Tag.STRING ? msgAt + 5 : -1;
    const msgBytes = p - msgAt - 5;

    if ((u8[index + RecordOffset.FLAGS]! & Flag.HAS_FIELDS) !== 0) {
      if (p + 5 > end || u8[p] !== Tag.OBJECT) return NOT_RENDERED;
      this.#hasMsg = msgStart >= 0;
      this.wrote = true;
      p = this.fields(p + 5, this.u32(p + 1));
    }
    if (p !== end || this.malformed) return NOT_RENDERED;
    if (msgStart >= 0) {
      this.put(MSG_KEY, 0, MSG_KEY.length);
      this.jsonString(msgStart, msgBytes);
      if (this.malformed) return NOT_RENDERED;
    }
    out[this.at++] = 0x7d;
    out[this.at++] = 0x0a;
    return this.at - start;
  }

  /** The name and bindings at `p`, written; returns the position after them, or BAIL. */
  #context(p: number): number {
    const next = this.pastText(p);
    if (next === BAIL) return BAIL;
    this.#hasName = this.src[p] === Tag.STRING;
    if (this.#hasName) {
      this.put(NAME_KEY, 0, NAME_KEY.length);
      this.jsonString(p + 5, next - p - 5);
    }
    p = next;
    const u8 = this.src;
    const end = this.end;
    this.wrote = true;
    if (p + 5 <= end && u8[p] === Tag.OBJECT) return this.bindings(p + 5, this.u32(p + 1));
    if (p < end && u8[p] === Tag.UNDEFINED) return p + 1;
    return BAIL;
  }

  /** Keeps the rendering of the context `[from, to)`, written from `renderedAt`, for the next records. */
  #remember(from: number, to: number, renderedAt: number): void {
    // Not UTF-8: this record goes the general way, and so must the next ones of this context.
    if (this.malformed) return;
    const entry = this.#contexts.replace(this.src, from, to - from);
    if (entry === undefined) return;
    const renderedLength = this.at - renderedAt;
    const count = this.#boundKeys;
    if (renderedLength > RENDERED_MAX_BYTES || count > CACHED_BINDINGS) {
      this.#contexts.drop(entry);
      return;
    }
    const out = this.out;
    const rendered = entry.rendered;
    for (let i = 0; i < renderedLength; i++) rendered[i] = out[renderedAt + i]!;
    entry.renderedLength = renderedLength;
    const keys = this.#bindingKeys;
    for (let k = 0; k < count * 2; k += 2) {
      entry.ints[k] = keys[k]! - from;
      entry.ints[k + 1] = keys[k + 1]!;
    }
    entry.flags = (count << 1) | (this.#hasName ? HAS_NAME : 0);
  }

  /** The header and the context's rendering, joined once per level and millisecond. */
  #prefix(entry: ContextEntry, level: number, time: number): Uint8Array {
    if (entry.prefixLevel === level && entry.prefixTime === time) return entry.prefix;
    const header = this.#header(level, time);
    const prefix = new Uint8Array(header.length + entry.renderedLength);
    prefix.set(header);
    prefix.set(entry.rendered.subarray(0, entry.renderedLength), header.length);
    entry.prefix = prefix;
    entry.prefixLevel = level;
    entry.prefixTime = time;
    return prefix;
  }

  /**
   * `{"level":30,"time":1700000000123,"pid":123,"hostname":"h"`, kept per level: the records of
   * one millisecond share it.
   */
  #header(level: number, time: number): Uint8Array {
    const cached = this.#headers[level];
    if (cached !== undefined && cached.time === time) return cached.bytes;
    const start = `{"level":${level},"time":${Number.isFinite(time) ? String(time) : 'null'}`;
    const bytes = Buffer.from(start + this.#processKeys, 'utf8');
    this.#headers[level] = { time, bytes };
    return bytes;
  }

  // ---- the top level -------------------------------------------------------------------------

  /**
   * A binding is left out where the line writes the key itself (see `#isOurs`), and leaves the
   * record to the general formatter when it is `msg` (kept or dropped depending on the message,
   * which comes later in the record).
   */
  protected admitBinding(key: number, keyBytes: number, value: number): number {
    if (this.src[value] === Tag.UNDEFINED || this.#isOurs(key, keyBytes)) return this.skip(value, false, 1);
    if (this.sameAs(key, keyBytes, MSG) || this.#boundKeys === MAX_BINDINGS) return BAIL;
    const keys = this.#bindingKeys;
    keys[this.#boundKeys * 2] = key;
    keys[this.#boundKeys * 2 + 1] = keyBytes;
    this.#boundKeys++;
    return value;
  }

  /**
   * A field is left out where the line writes the key itself, and leaves the record to the
   * general formatter when a binding of its key was written before it (the formatter drops the
   * binding, here already written).
   */
  protected admitField(key: number, keyBytes: number, value: number): number {
    if (this.src[value] === Tag.UNDEFINED || this.#isOurs(key, keyBytes)) return this.skip(value, false, 1);
    const keys = this.#bindingKeys;
    for (let k = 0; k < this.#boundKeys; k++) {
      if (keys[k * 2 + 1] === keyBytes && this.sameBytes(keys[k * 2]!, key, keyBytes)) return BAIL;
    }
    return value;
  }

  /** Whether the line writes this key itself: `level`, `time`, `pid`, `hostname`, and `name` and `msg` when the record has them. */
  #isOurs(key: number, keyBytes: number): boolean {
    switch (keyBytes) {
      case 3:
        return this.sameAs(key, 3, PID) || (this.#hasMsg && this.sameAs(key, 3, MSG));
      case 4:
        return this.sameAs(key, 4, TIME) || (this.#hasName && this.sameAs(key, 4, NAME));
      case 5:
        return this.sameAs(key, 5, LEVEL);
      case 8:
        return this.sameAs(key, 8, HOSTNAME);
      default:
        return false;
    }
  }
}
