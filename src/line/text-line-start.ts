/**
 * Line starts of text lines rendered from bytes (text-bytes.ts): the steps of a template before
 * the first that changes per record (in the usual templates asctime, the name and the padded
 * level) depend only on the logger's context, the level, the second and the thread, so their
 * bytes are kept per (context entry, level, second, thread), with the places of their
 * millisecond digits and, word-aligned after them, the extras' opening (` {` and the bindings).
 * Most of a line is then one copy by words and three digits.
 */
import { copyFromWords } from '../record/copy.js';
import type { ContextEntry } from './context-cache.js';

/** A line's start as rendered for one context entry, level, second and thread. */
export class LineStart {
  entry: ContextEntry | undefined = undefined;
  level = -1;
  second = Number.NaN;
  thread = -1;
  /** Whether `bytes` holds the start for these keys (false: claimed, to be rendered). */
  ready = false;
  bytes = new Uint8Array(256);
  words = new Int32Array(this.bytes.buffer);
  /** The start is `bytes[0 .. length)`; the extras' opening `bytes[openAt .. openAt + openLength)`. */
  length = 0;
  openAt = 0;
  openLength = 0;
  /** The millisecond digits: `digits` places (digitAt) and which digit each is (digitOf: 0 hundreds, 1 tens, 2 units). */
  digits = 0;
  digitAt = new Int32Array(8);
  digitOf = new Uint8Array(8);

  addDigit(at: number, which: number): void {
    if (this.digits === this.digitAt.length) {
      const digitAt = new Int32Array(this.digits * 2);
      const digitOf = new Uint8Array(this.digits * 2);
      digitAt.set(this.digitAt);
      digitOf.set(this.digitOf);
      this.digitAt = digitAt;
      this.digitOf = digitOf;
    }
    this.digitAt[this.digits] = at;
    this.digitOf[this.digits] = which;
    this.digits++;
  }

  /**
   * Keeps `line[from .. from + length)`, the start just rendered, and the extras' opening with
   * the bindings `fragment[fragmentAt .. fragmentAt + fragmentLength)`; the start is then ready.
   */
  keep(line: Uint8Array, from: number, length: number, fragment: Uint8Array, fragmentAt: number, fragmentLength: number): void {
    const openAt = (length + 3) & ~3;
    const need = openAt + 2 + fragmentLength + 4;
    if (need > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < need) size *= 2;
      this.bytes = new Uint8Array(size);
      this.words = new Int32Array(this.bytes.buffer);
    }
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) bytes[i] = line[from + i]!;
    this.length = length;
    this.openAt = openAt;
    bytes[openAt] = 0x20;
    bytes[openAt + 1] = 0x7b;
    for (let i = 0; i < fragmentLength; i++) bytes[openAt + 2 + i] = fragment[fragmentAt + i]!;
    this.openLength = 2 + fragmentLength;
    this.ready = true;
  }

  /** Copies `bytes[from .. from + length)` (from on a word) to `out` at `at`, by words; returns the position after. */
  copyTo(out: Uint8Array, outView: DataView, at: number, from: number, length: number): number {
    copyFromWords(this.words, this.bytes, from, out, outView, at, length);
    return at + length;
  }
}

/** The line starts kept: `count` of them, the oldest claimed anew. */
export class LineStarts {
  readonly #starts: LineStart[];
  #last = 0;
  #next = 0;

  constructor(count: number) {
    this.#starts = Array.from({ length: count }, () => new LineStart());
  }

  /** The line start for these keys: one kept (ready), or one claimed for them (not ready). */
  find(entry: ContextEntry, level: number, second: number, thread: number): LineStart {
    const starts = this.#starts;
    const last = starts[this.#last]!;
    if (last.entry === entry && last.level === level && last.second === second && last.thread === thread) return last;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i]!;
      if (start.entry === entry && start.level === level && start.second === second && start.thread === thread) {
        this.#last = i;
        return start;
      }
    }
    const index = this.#next;
    this.#next = (index + 1) % starts.length;
    this.#last = index;
    const start = starts[index]!;
    start.entry = entry;
    start.level = level;
    start.second = second;
    start.thread = thread;
    start.ready = false;
    return start;
  }

  /** Forgets the starts made for a context entry that now holds another context. */
  forget(entry: ContextEntry): void {
    for (const start of this.#starts) if (start.entry === entry) start.entry = undefined;
  }
}
