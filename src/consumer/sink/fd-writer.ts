/**
 * Lines buffered for one file descriptor and written with as few `writeSync` calls as possible.
 * Both sinks are built on this; the file sink also swaps the descriptor when it rotates or
 * reopens the file.
 *
 * Synchronous on purpose: the consumer thread never returns to an event loop, and the exit
 * handler on the main thread cannot wait for one either (see sink.ts).
 *
 * With a WriteGuard (write-failure.ts), a write that fails is retried by the guard and, when it
 * gives up, the unwritten lines are dropped and counted instead of thrown. Without a guard,
 * errors propagate.
 *
 * A write that fails after part of a line went out (a disk that fills up: write(2) takes what
 * fits, the next call fails with ENOSPC) leaves the file ending with half a line. With a
 * TornLineCut (the file sink's: ftruncate), that half is taken back at once and the whole line
 * stays buffered: a retry writes it again, a give-up counts it with the rest, and the file ends
 * with a whole line at every moment but the write itself, whatever the disk does next (close,
 * exit, rotation, a thread terminated during the retries). Where it cannot be taken back (a
 * pipe, stdout; ftruncate refused), the rest of the line is kept instead, to be written first by
 * the next write that works.
 */

import { bytesOver, type Bytes } from '../../record/descriptor.js';
import { copyText } from '../../record/copy.js';
import { sinkClosedError } from '../../core/errors.js';
import type { WriteGuard } from './write-failure.js';

/** The one fs call a writer needs; node:fs satisfies it, tests pass fakes. */
export interface WritePort {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
}

/**
 * Removes the last `bytes` bytes of the file at `fd`, the beginning of a line that a failed write
 * left; false when it cannot (not a regular file, an error). Only for a descriptor opened with
 * O_APPEND: ftruncate does not move the file offset, and a plain descriptor would then write
 * after a hole.
 */
export type TornLineCut = (fd: number, bytes: number) => boolean;

/** 1 MiB: a batch of thousands of ~200-byte lines costs a handful of `writeSync` calls. */
export const DEFAULT_BUFFER_BYTES = 1024 * 1024;

/**
 * Runs of lines this long or longer (appendLines()) are written from where they lie rather than
 * copied into the buffer, when nothing is buffered before them: a batch of a line lane under
 * load is hundreds of kilobytes; a run of a few lines is cheaper to buffer with the rest. The
 * consumer writes out what is buffered before such a run (consumer.ts, #visitRun).
 */
export const WRITE_IN_PLACE_FROM = 16 * 1024;

/**
 * Consecutive EAGAINs (or zero-byte writes) tolerated, about 1 ms apart, before giving up: a
 * non-blocking pipe whose reader is slow gets time to drain, one whose reader has stopped
 * cannot hang the consumer or process exit forever.
 */
export const EAGAIN_RETRY_LIMIT = 1000;

const NEWLINE = 0x0a;
const TAB = 0x09;

// Atomics.wait is the only synchronous sleep; it needs an Int32Array over shared memory.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `length` bytes of `buffer` from `offset`, through partial writes and EAGAIN.
 * `progress(n)` is told of every partial write, so a caller whose write fails halfway knows how
 * far it got.
 */
export function writeAll(
  port: WritePort,
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  progress?: (bytes: number) => void,
): void {
  let stalls = 0;
  while (length > 0) {
    let written = 0;
    let stall: unknown;
    try {
      written = port.writeSync(fd, buffer, offset, length);
    } catch (error) {
      if (!isEagain(error)) throw error;
      stall = error;
    }
    if (written > 0) {
      offset += written;
      length -= written;
      stalls = 0;
      progress?.(written);
      continue;
    }
    if (++stalls > EAGAIN_RETRY_LIMIT) {
      throw stall ?? new Error(`ringlog: writeSync(${fd}) wrote nothing ${stalls} times in a row`);
    }
    Atomics.wait(sleepCell, 0, 0, 1);
  }
}

function isEagain(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EAGAIN';
}

export class FdWriter {
  readonly #port: WritePort;
  readonly #guard: WriteGuard | undefined;
  readonly #cut: TornLineCut | undefined;
  #fd: number;
  /** The buffer of the configured size, kept so that an oversized line's buffer is temporary. */
  readonly #home: Buffer;
  #buffer: Buffer;
  /** Views over `#buffer` for copyBytes(), rebuilt when the buffer is swapped. */
  #bytes: Bytes;
  /** Bytes in the buffer. */
  #used = 0;
  /** Bytes at the start of the buffer already written (a write that failed halfway). */
  #sent = 0;
  /** Whole lines in the buffer not yet written. */
  #lines = 0;
  /**
   * Bytes at the start of the buffer that finish a line whose beginning is already in the file
   * (kept when a write that stopped mid-line was given up).
   */
  #tail = 0;
  #written = 0;
  #dropped = 0;
  #closed = false;
  /** Lines the sink has taken and not yet handed to this writer (see owe()). */
  #owed = 0;

  /**
   * `guard`: retries failed writes and decides when to give up (then lines are dropped and
   * counted); without it, a failed write throws. `cut`: takes back half a line a failed write
   * left (see above).
   */
  constructor(port: WritePort, fd: number, bufferBytes: number, guard?: WriteGuard, cut?: TornLineCut) {
    if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 1) {
      throw new RangeError(
        `ringlog: bufferBytes must be a positive integer, received ${String(bufferBytes)}`,
      );
    }
    this.#port = port;
    this.#fd = fd;
    this.#guard = guard;
    this.#cut = cut;
    this.#home = Buffer.allocUnsafe(bufferBytes);
    this.#buffer = this.#home;
    this.#bytes = bytesOver(this.#home);
  }

  /** Bytes handed to the OS so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Lines given up on so far (only with a guard). */
  get linesDropped(): number {
    return this.#dropped;
  }

  /**
   * `lines` lines the sink has taken from the consumer and will hand over after this writer's
   * next writes (a run of lines split by a rotation): they count as in flight with each write,
   * since a thread that dies in one loses them too. 0 once they are all handed over.
   */
  owe(lines: number): void {
    this.#owed = lines;
  }

  /** Lines buffered and not yet written. */
  get pendingLines(): number {
    return this.#lines;
  }

  /** Bytes buffered and not yet written. */
  get pendingBytes(): number {
    return this.#used - this.#sent;
  }

  /**
   * Points later writes at another descriptor; the caller flushes the old one first, if it can.
   * `sameFile: false` (a new file, after a rotation or because the old one was deleted) drops
   * the rest of a line whose beginning went to the old file: it would start the new one torn.
   */
  useFd(fd: number, sameFile = true): void {
    this.#fd = fd;
    if (sameFile) return;
    const rest = this.#tornLineEnd();
    if (rest !== -1) {
      this.#guard?.lost(1);
      this.#discard(this.#sent, rest, 1);
    }
  }

  /**
   * Encodes `line` (one line, ending with '\n') after the buffered bytes and returns its length
   * in bytes. May write the buffered bytes out first to make room, never the line itself.
   */
  append(line: string): number {
    if (this.#closed) throw sinkClosedError('writeLine');
    // A UTF-16 unit never takes more than 3 UTF-8 bytes, so this bound spares the common case
    // a second pass over the string; Buffer.byteLength runs only when the bound says "maybe not".
    // (Buffer.byteLength counts a lone surrogate as the 3 bytes of U+FFFD, as write() encodes it.)
    if (line.length * 3 > this.#buffer.length - this.#used) this.#makeRoom(Buffer.byteLength(line, 'utf8'));
    const bytes = this.#buffer.write(line, this.#used, 'utf8');
    this.#used += bytes;
    this.#lines++;
    return bytes;
  }

  /** As append(), for a line already encoded: `bytes[start .. start + length)`, ending with '\n'. */
  appendBytes(bytes: Bytes, length: number, start = 0): number {
    if (this.#closed) throw sinkClosedError('writeBytes');
    // Room first: it may write the buffer out, or swap it for a larger one.
    const at = this.#reserve(length);
    copyText(bytes, start, this.lineBuffer, at, length);
    return this.commitLine(length);
  }

  /**
   * `lines` whole lines back to back (Sink.writeLines()); returns `length`. A short run, or one
   * that comes after lines already buffered, is buffered as appendBytes() does (buffered lines
   * then go out with it in one write, so that every write the consumer makes is followed by its
   * count, consumer.ts, before the next one starts). A long one into an empty buffer is written
   * now from where it lies: the writer borrows that memory as its buffer for the write (retries,
   * a failure's torn line and what a give-up keeps work as on its own buffer) and keeps nothing
   * of it when it returns. From a line lane this saves a copy that cost more than the write: the
   * consumer's read of bytes other cores just wrote missed the cache line by line (~1 ns a byte
   * through a copy, ~0.1 through write(2)).
   */
  appendLines(bytes: Bytes, start: number, length: number, lines: number): number {
    if (this.#closed) throw sinkClosedError('writeLines');
    if (length < WRITE_IN_PLACE_FROM || this.#used > 0) {
      const at = this.#reserve(length);
      copyText(bytes, start, this.lineBuffer, at, length);
      this.#used += length;
      this.#lines += lines;
      return length;
    }
    this.#buffer = bytes.buffer.subarray(start, start + length);
    this.#used = length;
    this.#lines = lines;
    this.#writeOut(0, 0);
    // Kept after a give-up (the rest of a torn line), larger than the writer's own buffer: copied
    // out, since the borrowed memory is the caller's again.
    if (this.#buffer !== this.#home) this.#buffer = Buffer.from(this.#buffer.subarray(0, this.#used));
    return length;
  }

  /** Room for a line of up to `maxBytes` rendered in place (see Sink.reserveLine); returns where it starts in `lineBuffer`. */
  reserveLine(maxBytes: number): number {
    if (this.#closed) throw sinkClosedError('reserveLine');
    return this.#reserve(maxBytes);
  }

  /** Room for `bytes` after the buffered ones; returns where they start. */
  #reserve(bytes: number): number {
    if (bytes > this.#buffer.length - this.#used) this.#makeRoom(bytes);
    return this.#used;
  }

  get lineBuffer(): Bytes {
    if (this.#bytes.u8 !== this.#buffer) this.#bytes = bytesOver(this.#buffer);
    return this.#bytes;
  }

  /** Takes `length` bytes written at reserveLine()'s offset as one line; returns `length`. */
  commitLine(length: number): number {
    this.#used += length;
    this.#lines++;
    return length;
  }

  /** Writes every buffered byte out (or, with a guard, drops what cannot be written). */
  flush(): void {
    if (this.#closed) throw sinkClosedError('flush');
    this.#writeOut(0, 0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Writes every buffered byte out, then refuses further lines. The descriptor is the caller's.
   * What cannot be written, even the rest of a torn line, is dropped and counted.
   */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writeOut(0, 0);
    if (this.#used > 0) {
      this.#guard?.lost(this.#lines);
      this.#discard(0, this.#used, this.#lines);
    }
  }

  /** Refuses further lines and forgets the buffered ones, writing nothing and counting nothing. */
  abandon(): void {
    this.#closed = true;
    this.#used = 0;
    this.#sent = 0;
    this.#lines = 0;
    this.#tail = 0;
    this.#buffer = this.#home;
  }

  /**
   * Writes out all but the last `tailBytes` buffered bytes, which hold one line: the line just
   * appended stays buffered, for the next file, without a second encode.
   */
  flushAllBut(tailBytes: number): void {
    this.#writeOut(tailBytes, tailBytes > 0 ? 1 : 0);
  }

  /**
   * Writes all but the last `keep` bytes, which hold `linesAfter` lines and stay buffered. The
   * end of the range is taken afresh at each attempt: an attempt may first reopen the file and
   * drop the rest of a torn line from the front of the buffer (useFd).
   */
  #writeOut(keep: number, linesAfter: number): void {
    if (this.#used - keep > 0) {
      const guard = this.#guard;
      const attempt = (): void => this.#writeRange(this.#used - keep);
      // In flight (guard.run's count): what a thread that dies in this write loses, the lines
      // kept back and those owed included.
      if (guard === undefined) {
        attempt();
      } else if (!guard.run(attempt, this.#lines + this.#owed)) {
        this.#giveUp(this.#used - keep, linesAfter, guard);
        return;
      }
    }
    this.#compact(this.#used - keep, linesAfter);
  }

  /**
   * When the file ends inside a line (a write stopped there), the index just past that line's
   * end in the buffer; otherwise -1.
   */
  #tornLineEnd(): number {
    const buffer = this.#buffer;
    const sent = this.#sent;
    const midLine = sent > 0 ? buffer[sent - 1] !== NEWLINE : this.#tail > 0;
    if (!midLine) return -1;
    const end = buffer.indexOf(NEWLINE, sent);
    return end === -1 || end >= this.#used ? this.#used : end + 1;
  }

  #writeRange(head: number): void {
    try {
      writeAll(this.#port, this.#fd, this.#buffer, this.#sent, head - this.#sent, (bytes) => {
        this.#sent += bytes;
        this.#written += bytes;
        if (this.#tail > 0) this.#tail = Math.max(0, this.#tail - bytes);
      });
    } catch (error) {
      this.#takeBackTornLine();
      throw error;
    }
  }

  /**
   * A write failed: if it stopped inside a line that began in this buffer, cut that line's
   * beginning off the file and send it again from its start. (A line whose beginning went out
   * before this buffer, the rest of a line kept when a cut failed, is not cut: its length in the
   * file is no longer known here.)
   */
  #takeBackTornLine(): void {
    const sent = this.#sent;
    const cut = this.#cut;
    if (cut === undefined || sent === 0 || this.#buffer[sent - 1] === NEWLINE) return;
    const lineStart = this.#buffer.lastIndexOf(NEWLINE, sent - 1) + 1;
    if (lineStart === 0 && this.#tail > 0) return;
    if (!cut(this.#fd, sent - lineStart)) return;
    this.#written -= sent - lineStart;
    this.#sent = lineStart;
  }

  /** Everything before `head` is written: move what lies beyond it to the start. */
  #compact(head: number, linesAfter: number): void {
    const buffer = this.#buffer;
    const rest = this.#used - head;
    if (rest > 0 && head > 0) buffer.copyWithin(0, head, this.#used);
    this.#used = rest;
    this.#sent = 0;
    this.#lines = linesAfter;
    this.#tail = 0;
    if (buffer !== this.#home && rest <= this.#home.length) {
      buffer.copy(this.#home, 0, 0, rest);
      this.#buffer = this.#home;
    }
  }

  /**
   * The guard gave up on [sent, head): drop it, except the rest of a line the file already has
   * the beginning of, which stays at the front of the buffer (so the file never holds a torn
   * line followed by another).
   */
  #giveUp(head: number, linesAfter: number, guard: WriteGuard): void {
    const buffer = this.#buffer;
    const rest = this.#tornLineEnd();
    const from = rest === -1 ? this.#sent : Math.min(rest, head);
    // Lines are counted as appended; a formatter may write one record as several text lines (a
    // stack on continuation lines), so the newlines in the range may be more than the lines in
    // it: at most those buffered, less the ones kept after it and the torn one before it.
    const bound = Math.max(0, this.#lines - linesAfter - (rest === -1 ? 0 : 1));
    const dropped = Math.min(countLines(buffer, from, head), bound);
    guard.lost(dropped);
    const kept = from - this.#sent;
    this.#discard(from, head, dropped);
    // What is left at the front is the rest of the torn line; the next write starts with it.
    this.#tail = kept;
  }

  /** Removes [from, to), which holds `lines` lines, from the buffer, counting them dropped. */
  #discard(from: number, to: number, lines: number): void {
    const buffer = this.#buffer;
    // Keep [sent, from) and [to, used), in that order, at the start of the buffer.
    const kept = from - this.#sent;
    if (this.#sent > 0 && kept > 0) buffer.copyWithin(0, this.#sent, from);
    if (to < this.#used) buffer.copyWithin(kept, to, this.#used);
    this.#used = kept + (this.#used - to);
    this.#sent = 0;
    this.#lines -= lines;
    this.#dropped += lines;
    this.#tail = Math.max(0, Math.min(this.#tail, kept));
  }

  #makeRoom(needed: number): void {
    if (needed <= this.#buffer.length - this.#used) return;
    this.flush();
    // A line larger than the room left (the whole buffer, or what the rest of a torn line
    // leaves) gets a buffer of its own until the next flush.
    if (needed > this.#buffer.length - this.#used) {
      const bigger = Buffer.allocUnsafe(this.#used + needed);
      this.#buffer.copy(bigger, 0, 0, this.#used);
      this.#buffer = bigger;
    }
  }
}

/**
 * The records in `buffer[from .. to)`, a run of whole ones: its newlines, less those followed
 * by a tab. A record is one line and its continuation lines (a text line's error stack,
 * text-format.ts), which alone start with a tab: no first line does (a text template may not
 * hold one, a JSON line starts with `{`).
 */
export function countLines(buffer: Buffer, from: number, to: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(NEWLINE, from); at !== -1 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) {
    if (endsRecord(buffer, at, to)) lines++;
  }
  return lines;
}

/** Whether the newline at `at` ends a record in a run that ends at `to`: no continuation line follows it. */
function endsRecord(buffer: Buffer, at: number, to: number): boolean {
  return at + 1 === to || buffer[at + 1] !== TAB;
}

/**
 * Where the record that starts at `from` ends in `buffer[.. to)`, a run of whole records: just
 * past its last line (see countLines).
 */
export function recordEnd(buffer: Buffer, from: number, to: number): number {
  for (let at = buffer.indexOf(NEWLINE, from); at !== -1 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) {
    if (endsRecord(buffer, at, to)) return at + 1;
  }
  return to;
}

/**
 * Where the last record that ends at or before `before` ends, in `buffer[from .. to)` (a run of
 * whole records, `before` <= `to`); `from` when none does.
 */
export function lastRecordEnd(buffer: Buffer, from: number, before: number, to: number): number {
  for (let at = buffer.lastIndexOf(NEWLINE, before - 1); at >= from; at = at === 0 ? -1 : buffer.lastIndexOf(NEWLINE, at - 1)) {
    if (endsRecord(buffer, at, to)) return at + 1;
  }
  return from;
}
