/**
 * asctime in a text line rendered from bytes (text-bytes.ts): the datefmt's text for a second,
 * made once per distinct second by the general date formatter (strftime.ts) and the field's
 * spec, with the places of its millisecond digits; a record then costs a copy and three digits.
 * Any datefmt, in local time or UTC, since the general formatter makes the text.
 *
 * The places of the digits are found by rendering the second at milliseconds 0 and 123 (the
 * bytes that differ are the digits, 1, 2 and 3 saying which) and checked by a third rendering
 * at 987; a second whose renderings do not fit that (or are longer than the step's bound) is
 * not usable, and its records go the general way.
 */
import type { FieldSpec } from './text-template.js';
import { formatField } from './text-values.js';

const EMPTY = new Uint8Array(0);

/** The largest time a Date holds, less a second: the second's rendering must be a valid Date too. */
export const TIME_LIMIT = 8.64e15 - 1000;

/** A time as asctime renders it: its whole second, and the millisecond within it (0-999). */
export interface SplitTime {
  second: number;
  milli: number;
}

/**
 * Splits `time` as `new Date(time)` reads it (truncated to whole milliseconds) into `out`;
 * false, leaving `out` as it was, for a time past TIME_LIMIT.
 */
export function splitTime(time: number, out: SplitTime): boolean {
  if (!(time >= -TIME_LIMIT && time <= TIME_LIMIT)) return false;
  const ms = Math.trunc(time);
  let second = Math.floor(ms / 1000);
  let milli = ms - second * 1000;
  // The division may round up near a second's end.
  if (milli < 0) {
    second--;
    milli += 1000;
  } else if (milli >= 1000) {
    second++;
    milli -= 1000;
  }
  out.second = second;
  out.milli = milli;
  return true;
}

/** asctime's text for one second, and where its millisecond digits go. */
export class SecondText {
  /** NaN: none yet. */
  second = Number.NaN;
  /** Whether `bytes` can be used for `second` (false: its rendering was unexpected or too long). */
  usable = false;
  bytes: Uint8Array = EMPTY;
  digitAt = new Int32Array(0);
  /** Per entry of digitAt: 0 hundreds, 1 tens, 2 units. */
  digitOf = new Uint8Array(0);
}

/** One asctime field: its texts for the last two seconds (threads' records interleave around a second's end). */
export class Asctime {
  #text = new SecondText();
  #other = new SecondText();
  readonly #formatDate: (ms: number) => string;
  readonly #spec: FieldSpec | undefined;
  readonly #maxBytes: number;

  constructor(formatDate: (ms: number) => string, spec: FieldSpec | undefined, maxBytes: number) {
    this.#formatDate = formatDate;
    this.#spec = spec;
    this.#maxBytes = maxBytes;
  }

  /** The text for `second` (check `usable`), the last used looked at first. */
  textFor(second: number): SecondText {
    let text = this.#text;
    if (text.second !== second) {
      text = this.#other;
      if (text.second !== second) this.#make(text, second);
      this.#other = this.#text;
      this.#text = text;
    }
    return text;
  }

  /** Renders `second` into `text`, as the header says. */
  #make(text: SecondText, second: number): void {
    text.second = second;
    text.usable = false;
    const base = second * 1000;
    const zero = this.#render(base);
    const probe = this.#render(base + 123);
    const check = this.#render(base + 987);
    if (zero.length !== probe.length || zero.length !== check.length || zero.length > this.#maxBytes) return;
    const at: number[] = [];
    const of: number[] = [];
    for (let i = 0; i < zero.length; i++) {
      if (zero[i] === probe[i]) continue;
      const which = probe[i]! - 0x31;
      if (zero[i] !== 0x30 || which < 0 || which > 2) return;
      at.push(i);
      of.push(which);
    }
    const made = Buffer.from(zero);
    for (let k = 0; k < at.length; k++) made[at[k]!] = 0x30 + [9, 8, 7][of[k]!]!;
    if (!made.equals(check)) return;
    text.bytes = zero;
    text.digitAt = Int32Array.from(at);
    text.digitOf = Uint8Array.from(of);
    text.usable = true;
  }

  #render(ms: number): Buffer {
    return Buffer.from(formatField(this.#formatDate(ms), this.#spec), 'utf8');
  }
}

/**
 * Writes the digits of `milli` (0-999) at `out[start + digitAt[k]]` for the first `count`
 * entries, `digitOf[k]` saying which: 0 hundreds, 1 tens, 2 units.
 */
export function putMillis(out: Uint8Array, start: number, digitAt: Int32Array, digitOf: Uint8Array, count: number, milli: number): void {
  const tens = (milli / 10) | 0;
  const hundreds = (milli / 100) | 0;
  const d0 = 0x30 + hundreds;
  const d1 = 0x30 + tens - hundreds * 10;
  const d2 = 0x30 + milli - tens * 10;
  for (let k = 0; k < count; k++) {
    const which = digitOf[k]!;
    out[start + digitAt[k]!] = which === 0 ? d0 : which === 1 ? d1 : d2;
  }
}
