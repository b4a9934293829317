/**
 * The record format: what a producer writes into a frame's payload and the consumer reads back.
 * Producers copy values (deferred formatting, as in Quill and NanoLog); only the consumer
 * builds text. No Atomics here: the ring publishes the bytes, this module only gives them shape.
 *
 * Payload (the frame payload starts 8-byte aligned, so `time` is an aligned float64):
 * ```
 *  0        8          12      13      14         16
 *  +--------+----------+-------+-------+----------+-------------+-----+-----------+----------+
 *  | time   | threadId | level | flags | argCount | context     | msg | args ...  | fields   |
 *  | f64 ms | u32      | u8    | u8    | u16      | name,bindings|value| values    | (object) |
 *  +--------+----------+-------+-------+----------+-------------+-----+-----------+----------+
 * ```
 * `context` is the logger's name (string or undefined) and its bindings (object or undefined),
 * encoded once when the logger is made and copied into each record as bytes. `fields` is present
 * when `flags & HAS_FIELDS`. With `flags & LINE`, the header is followed by a rendered line
 * instead (producer/json-line.ts), and argCount is 0.
 *
 * A value is a tag byte and its body; numbers are little-endian and unaligned:
 * ```
 *  UNDEFINED NULL FALSE TRUE        (tag only)
 *  INT32     i32
 *  FLOAT64   f64
 *  STRING    u32 byteLength, UTF-8 bytes      (lone surrogates arrive as U+FFFD)
 *  BIGINT    u32 byteLength, ASCII decimal digits with an optional '-'
 *  ARRAY     u32 count, values
 *  OBJECT    u32 count, (u32 byteLength, UTF-8 key, value) * count
 *  ERROR     type string, message string, stack value, fields value, cause value
 * ```
 * (the strings inside ERROR are u32 byteLength + UTF-8, like keys.)
 */

export const Tag = Object.freeze({
  UNDEFINED: 0,
  NULL: 1,
  FALSE: 2,
  TRUE: 3,
  INT32: 4,
  FLOAT64: 5,
  STRING: 6,
  BIGINT: 7,
  ARRAY: 8,
  OBJECT: 9,
  ERROR: 10,
});

export const RecordOffset = Object.freeze({
  TIME: 0,
  THREAD_ID: 8,
  LEVEL: 12,
  FLAGS: 13,
  ARG_COUNT: 14,
  CONTEXT: 16,
});

export const HEADER_BYTES = RecordOffset.CONTEXT;

/** Writes a record's header at `at` of `view` (the fields of RecordOffset, little-endian). */
export function writeHeader(view: DataView, at: number, time: number, threadId: number, level: number, flags: number, argCount: number): void {
  view.setFloat64(at + RecordOffset.TIME, time, true);
  view.setUint32(at + RecordOffset.THREAD_ID, threadId, true);
  view.setUint8(at + RecordOffset.LEVEL, level);
  view.setUint8(at + RecordOffset.FLAGS, flags);
  view.setUint16(at + RecordOffset.ARG_COUNT, argCount, true);
}

export const Flag = Object.freeze({
  HAS_FIELDS: 1,
  /**
   * The payload after the header is a finished line, ending with '\n' (producer/json-line.ts),
   * not context and values: the consumer copies it.
   */
  LINE: 2,
});

/**
 * Containers (ARRAY, OBJECT, ERROR) nest at most this deep in a record the consumer takes; one
 * deeper is corrupt. The encoder writes at most 11 (its MAX_DEPTH, 10, and an error's fields
 * object within the deepest error); the margin is for other versions. A bound for the readers'
 * recursion that no byte in the ring can move: a record of a megabyte could otherwise hold
 * 200,000 arrays in one another and overflow the consumer's stack.
 */
export const MAX_NESTING = 32;

/** At most this many printf arguments are kept (argCount is a u16); the rest are dropped. */
export const MAX_ARGS = 0xffff;

/** A byte region to encode into or decode from: a shared ring or a private buffer. */
export interface Bytes {
  readonly u8: Uint8Array;
  readonly view: DataView;
  /** The same bytes as a Buffer, for Node's native UTF-8 write and slice. */
  readonly buffer: Buffer;
  /** The same bytes as whole int32s, when they start 4-byte aligned (copy.ts copies by them). */
  readonly words: Int32Array | undefined;
  /** The same bytes as whole float64s, when they start 8-byte aligned (copy.ts copies text by them). */
  readonly doubles: Float64Array | undefined;
}

export function bytesOver(u8: Uint8Array): Bytes {
  return {
    u8,
    view: new DataView(u8.buffer, u8.byteOffset, u8.byteLength),
    buffer: Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength),
    words: (u8.byteOffset & 3) === 0 ? new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2) : undefined,
    doubles: (u8.byteOffset & 7) === 0 ? new Float64Array(u8.buffer, u8.byteOffset, u8.byteLength >> 3) : undefined,
  };
}
