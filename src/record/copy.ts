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
 * Past this length a native copy wins, unless either side is shared memory (above): into the
 * ring, 64 KiB from a Buffer at an odd offset took 0.28 ns a byte by `set()` and 0.18 by words
 * (/tmp harness; the aggregator's receiver copies forwarded batches so).
 */
const NATIVE_FROM = 512;

/** Int32Array elements are in the machine's byte order; a DataView is told which that is. */
export const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export function copyBytes(from: Bytes, fromIndex: number, to: Bytes, toIndex: number, length: number): void {
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
  if (length >= NATIVE_FROM && !(from.u8.buffer instanceof SharedArrayBuffer) && !(to.u8.buffer instanceof SharedArrayBuffer)) {
    to.u8.set(from.u8.subarray(fromIndex, fromIndex + length), toIndex);
    return;
  }
  const source = from.view;
  const target = to.view;
  let i = 0;
  for (; i + 4 <= length; i += 4) target.setInt32(toIndex + i, source.getInt32(fromIndex + i));
  for (; i < length; i++) target.setUint8(toIndex + i, source.getUint8(fromIndex + i));
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
