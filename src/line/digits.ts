/**
 * An int32 in decimal, written as ASCII bytes: what `String(value)` gives, without a string.
 * Producers write the numbers of JSON lines with it (producer/json-line-values.ts) and the consumer
 * those of records it renders (consumer/value-bytes.ts).
 *
 * Two digits per division, from a table, and the length by comparisons: a division is the slow
 * part (a float division and a truncation in JavaScript), and a digit a division cost 86 ns for
 * a six-digit number on the benchmark machine, against 22 ns this way.
 */

/** "00" to "99" as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 0x30 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/** Digits of a non-negative number below 2^32. */
function digitCount(value: number): number {
  if (value < 100_000) return value < 100 ? (value < 10 ? 1 : 2) : value < 1000 ? 3 : value < 10_000 ? 4 : 5;
  if (value < 10_000_000) return value < 1_000_000 ? 6 : 7;
  return value < 100_000_000 ? 8 : value < 1_000_000_000 ? 9 : 10;
}

/** Writes `value` (an int32) at `out[at]`; returns the index after it. Room for 11 bytes is the caller's. */
export function writeInt32(out: Uint8Array, at: number, value: number): number {
  if (value < 0) {
    out[at++] = 0x2d;
    value = -value;
  }
  const end = at + digitCount(value);
  let p = end;
  while (value >= 100) {
    const rest = (value / 100) >>> 0;
    const pair = (value - rest * 100) * 2;
    out[--p] = PAIRS[pair + 1]!;
    out[--p] = PAIRS[pair]!;
    value = rest;
  }
  if (value >= 10) {
    out[--p] = PAIRS[value * 2 + 1]!;
    out[--p] = PAIRS[value * 2]!;
  } else {
    out[--p] = 0x30 + value;
  }
  return end;
}
