/**
 * Copies short byte runs between buffers, four bytes at a time through DataViews. For the
 * 20-200 byte runs of log lines and records this beats both a byte loop (which V8 runs at over
 * a nanosecond a byte) and a native copy (whose call costs ~50 ns whatever the length): 112
 * bytes take 47 ns this way, 128 ns by bytes and 55 ns by `Buffer#copy`.
 *
 * From shared memory, a native copy is worse still (V8 copies a SharedArrayBuffer's bytes with
 * relaxed atomics, one at a time): 96 bytes from the ring took 240 ns by `set(subarray)`, 145
 * ns by a byte loop, and 70 ns read as the ring's int32s and written through a DataView. So
 * a source that starts on a word is read by words, and a target that does too is written by
 * them (bench: /tmp harness of the drain scenario; see README, Performance).
 */
import type { Bytes } from './descriptor.js';

/**
 * Past this length a native copy wins, shared memory or not, when it goes by words: V8 copies a
 * SharedArrayBuffer element by element with relaxed atomics, so an Int32Array `set()` moves four
 * bytes per element where a Uint8Array's moves one. 64 KiB from a Buffer at an odd offset into
 * the ring took 0.7-0.8 ns a byte by words through a DataView and 0.5-0.7 by a Uint8Array
 * `set()`, and 0.05 staged: a native copy into private aligned memory, then an Int32Array
 * `set()` into the ring (the aggregator's receiver copies forwarded batches so, and the consumer
 * copies their lines out the same way, 0.07 against 0.26-0.34). Below it, the loops above win:
 * 112 bytes out of the ring took 35-59 ns by a loop and 82-90 staged (two native calls).
 */
const NATIVE_FROM = 512;
/** The staging memory's size: long copies go through it in pieces of this many bytes. */
const STAGE_BYTES = 64 * 1024;
const stage = new Int32Array(STAGE_BYTES / 4);
const stage8 = new Uint8Array(stage.buffer);

/** Int32Array elements are in the machine's byte order; a DataView is told which that is. */
export const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export function copyBytes(from: Bytes, fromIndex: number, to: Bytes, toIndex: number, length: number): void {
  if (length >= NATIVE_FROM) {
    const fromShared = from.u8.buffer instanceof SharedArrayBuffer;
    const toShared = to.u8.buffer instanceof SharedArrayBuffer;
    if (!fromShared && !toShared) {
      to.u8.set(from.u8.subarray(fromIndex, fromIndex + length), toIndex);
      return;
    }
    if (toShared && !fromShared && to.words !== undefined) return copyIntoShared(from.u8, fromIndex, to, toIndex, length);
    if (fromShared && !toShared && from.words !== undefined) return copyOutOfShared(from, fromIndex, to.u8, toIndex, length);
  }
  const words = from.words;
  if (words !== undefined && (fromIndex & 3) === 0) {
    const first = fromIndex >> 2;
    const whole = length >> 2;
    const targetWords = to.words;
    if (targetWords !== undefined && (toIndex & 3) === 0) {
      const at = toIndex >> 2;
      for (let i = 0; i < whole; i++) targetWords[at + i] = words[first + i]!;
      const u8 = from.u8;
      const out = to.u8;
      for (let i = whole * 4; i < length; i++) out[toIndex + i] = u8[fromIndex + i]!;
    } else {
      copyFromWords(words, from.u8, fromIndex, to.u8, to.view, toIndex, length);
    }
    return;
  }
  const source = from.view;
  const target = to.view;
  let i = 0;
  for (; i + 4 <= length; i += 4) target.setInt32(toIndex + i, source.getInt32(fromIndex + i));
  for (; i < length; i++) target.setUint8(toIndex + i, source.getUint8(fromIndex + i));
}

/**
 * As copyBytes(), for UTF-8 text only (finished lines): from a source that starts on 8 bytes,
 * eight bytes at a time as float64s, written through the target's DataView at any offset. A
 * store costs about the same whatever its width (106 bytes into the ring: ~60 ns by int32s, ~35
 * by float64s; /tmp harness), so fewer, wider ones win. Only text: a NaN's bits are the one
 * pattern an engine may rewrite on the way (V8 on x64 keeps them in every tier: checked with
 * signalling NaNs, interpreted, optimized and --jitless), and valid UTF-8 never holds one in
 * any 8 bytes read little-endian (that needs a byte of 0xF0 or more followed by 0x7F or 0xFF; a
 * lead byte 0xF0-0xF4 is followed by 0x80-0xBF, and 0xF5-0xFF never occur). Records are binary,
 * and go by copyBytes().
 */
export function copyText(from: Bytes, fromIndex: number, to: Bytes, toIndex: number, length: number): void {
  const doubles = from.doubles;
  if (doubles === undefined || (fromIndex & 7) !== 0 || length >= NATIVE_FROM) return copyBytes(from, fromIndex, to, toIndex, length);
  const view = to.view;
  const first = fromIndex >> 3;
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) view.setFloat64(toIndex + i * 8, doubles[first + i]!, LITTLE_ENDIAN);
  let i = whole * 8;
  const source = from.view;
  if (length - i >= 4) {
    view.setInt32(toIndex + i, source.getInt32(fromIndex + i));
    i += 4;
  }
  for (; i < length; i++) view.setUint8(toIndex + i, source.getUint8(fromIndex + i));
}

/**
 * `length` bytes from `fromIndex` (on a word) of the memory `words` and `bytes` view, to `out`
 * (viewed by `view`) at any `toIndex`: read by int32s, written through the DataView.
 */
export function copyFromWords(
  words: Int32Array,
  bytes: Uint8Array,
  fromIndex: number,
  out: Uint8Array,
  view: DataView,
  toIndex: number,
  length: number,
): void {
  const first = fromIndex >> 2;
  const whole = length >> 2;
  for (let i = 0; i < whole; i++) view.setInt32(toIndex + i * 4, words[first + i]!, LITTLE_ENDIAN);
  for (let i = whole * 4; i < length; i++) out[toIndex + i] = bytes[fromIndex + i]!;
}

/**
 * A long run from private memory into shared memory: bytes up to a word of the target, then
 * piece by piece through the staging memory, whole words by Int32Array `set()`, the last 1-3
 * bytes one by one.
 */
function copyIntoShared(from: Uint8Array, fromIndex: number, to: Bytes, toIndex: number, length: number): void {
  const out = to.u8;
  const head = Math.min((4 - (toIndex & 3)) & 3, length);
  for (let i = 0; i < head; i++) out[toIndex + i] = from[fromIndex + i]!;
  const words = to.words!;
  for (let done = head; done < length; ) {
    const piece = Math.min(length - done, STAGE_BYTES);
    stage8.set(from.subarray(fromIndex + done, fromIndex + done + piece));
    const whole = piece >> 2;
    words.set(stage.subarray(0, whole), (toIndex + done) >> 2);
    for (let i = whole * 4; i < piece; i++) out[toIndex + done + i] = stage8[i]!;
    done += piece;
  }
}

/**
 * A long run from shared memory into private memory: bytes up to a word of the source, then
 * whole words piece by piece into the staging memory by Int32Array `set()` and a native copy
 * out; the last 1-3 bytes one by one, since the words past the run may lie past the end of the
 * shared view. (Runs of a line lane start anywhere: by DataView they took ~1 ns a byte.)
 */
function copyOutOfShared(from: Bytes, fromIndex: number, to: Uint8Array, toIndex: number, length: number): void {
  const words = from.words!;
  const u8 = from.u8;
  const head = (4 - (fromIndex & 3)) & 3;
  for (let i = 0; i < head; i++) to[toIndex + i] = u8[fromIndex + i]!;
  const start = fromIndex + head;
  const at = toIndex + head;
  const wholeBytes = (length - head) & ~3;
  for (let done = 0; done < wholeBytes; ) {
    const piece = Math.min(wholeBytes - done, STAGE_BYTES);
    stage.set(words.subarray((start + done) >> 2, (start + done + piece) >> 2));
    to.set(stage8.subarray(0, piece), at + done);
    done += piece;
  }
  for (let i = head + wholeBytes; i < length; i++) to[toIndex + i] = u8[fromIndex + i]!;
}
