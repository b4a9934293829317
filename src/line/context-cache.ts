/**
 * What a renderer made of a logger's context (its name and bindings), kept by the context's
 * bytes. A logger encodes its context once, when it is made, and copies those bytes into every
 * record (descriptor.ts), so consecutive records of one logger carry the same bytes right after the
 * header: comparing them with a few remembered contexts costs a handful of word compares, and
 * a hit turns the name and every binding of a line into one copy of bytes rendered before.
 *
 * The comparison is the proof: the encoding is prefix-free (a value's bytes say where it ends),
 * so when a record's bytes start with a remembered context, that is the record's context.
 *
 * Child loggers made per request (a new context every few records) must not cost more than
 * rendering the bindings every time did: entries are preallocated and refilled in place (a
 * miss allocates nothing), there are few of them, and a comparison stops at the first word that
 * differs. Contexts or renderings larger than an entry are not kept.
 */

/** Contexts remembered: the loggers of a few threads interleaving in one batch. */
export const CONTEXT_ENTRIES = 8;
/** Largest context kept, in bytes (a name and a dozen short bindings). */
export const CONTEXT_MAX_BYTES = 512;
/** Largest rendering kept, in bytes. */
export const RENDERED_MAX_BYTES = 2048;
/** Integers a renderer may keep beside a rendering (where the binding keys are). */
export const CONTEXT_INTS = 64;

export class ContextEntry {
  /** The context's bytes; whole words are compared as words, the rest byte by byte. */
  readonly key = new Int32Array(CONTEXT_MAX_BYTES / 4);
  readonly keyBytes = new Uint8Array(this.key.buffer);
  keyLength = -1;
  /** The renderer's bytes for this context: `rendered[0 .. renderedLength)`. */
  readonly rendered = new Uint8Array(RENDERED_MAX_BYTES);
  renderedLength = 0;
  /** The renderer's own integers and flags about the context. */
  readonly ints = new Int32Array(CONTEXT_INTS);
  flags = 0;
  /** A line start made of this rendering and a header, and the (level, time) it was made for. */
  prefix = new Uint8Array(0);
  prefixLevel = -1;
  prefixTime = Number.NaN;
}

export class ContextCache {
  readonly #entries: ContextEntry[] = Array.from({ length: CONTEXT_ENTRIES }, () => new ContextEntry());
  /** The entry that matched last: looked at first. */
  #last = 0;
  /** The entry the next miss refills. */
  #next = 0;
  /** The memory `#words` views, and the view (undefined while it cannot be viewed by words). */
  #source: Uint8Array | undefined;
  #words: Int32Array | undefined;

  /**
   * The entry whose context the bytes `u8[start .. end)` begin with, or undefined. `end` bounds
   * the comparison (the record's end).
   */
  find(u8: Uint8Array, start: number, end: number): ContextEntry | undefined {
    if (u8 !== this.#source) {
      this.#source = u8;
      this.#words = (u8.byteOffset & 3) === 0 ? new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2) : undefined;
    }
    const entries = this.#entries;
    const last = this.#last;
    if (this.#matches(entries[last]!, u8, start, end)) return entries[last];
    for (let i = 0; i < CONTEXT_ENTRIES; i++) {
      if (i !== last && this.#matches(entries[i]!, u8, start, end)) {
        this.#last = i;
        return entries[i];
      }
    }
    return undefined;
  }

  /**
   * An entry to fill for the context `u8[start .. start + length)`, its key already copied; the
   * caller writes `rendered`, `renderedLength`, `ints` and `flags`. Undefined when the context
   * is too large to keep.
   */
  replace(u8: Uint8Array, start: number, length: number): ContextEntry | undefined {
    if (length > CONTEXT_MAX_BYTES) return undefined;
    const index = this.#next;
    this.#next = (index + 1) % CONTEXT_ENTRIES;
    const entry = this.#entries[index]!;
    // A loop, not set(subarray): contexts are a few dozen bytes, and a miss allocates nothing.
    const keyBytes = entry.keyBytes;
    for (let i = 0; i < length; i++) keyBytes[i] = u8[start + i]!;
    entry.keyLength = length;
    entry.renderedLength = 0;
    entry.flags = 0;
    entry.prefixLevel = -1;
    this.#last = index;
    return entry;
  }

  /** Forgets an entry whose rendering could not be kept after all. */
  drop(entry: ContextEntry): void {
    entry.keyLength = -1;
  }

  #matches(entry: ContextEntry, u8: Uint8Array, start: number, end: number): boolean {
    const length = entry.keyLength;
    if (length < 0 || start + length > end) return false;
    const words = this.#words;
    const whole = length >> 2;
    let i = 0;
    if (words !== undefined && (start & 3) === 0) {
      const key = entry.key;
      const first = start >> 2;
      for (; i < whole; i++) if (words[first + i] !== key[i]) return false;
      i <<= 2;
    }
    const keyBytes = entry.keyBytes;
    for (; i < length; i++) if (u8[start + i] !== keyBytes[i]) return false;
    return true;
  }
}
