/**
 * The contract between the consumer loop and wherever rendered lines go. The consumer calls
 * `writeLine()` or `writeBytes()` once per record and `flush()` once per batch, from its own blocking thread, and
 * the main thread calls the same sinks inside `process.on('exit')`: hence everything here is
 * synchronous, and buffering happens inside the sink so that a batch costs few system calls.
 */
import type { Bytes } from '../../record/descriptor.js';

export interface Sink {
  /** Buffer one rendered line; `line` ends with '\n'. May write earlier buffered lines out first
   *  (buffer full, or rotation). A line never straddles two files. */
  writeLine(line: string): void;
  /** As writeLine, for a line already encoded: `bytes[start .. start + length)`, ending with '\n'. */
  writeBytes(bytes: Bytes, length: number, start?: number): void;
  /**
   * `lines` whole lines back to back, `bytes[start .. start + length)`: a run of a line lane
   * (ring/line-lane.ts), taken as it is where the sink can, line by line where it must (a
   * rotation falls inside it, an outbox whose entries hold lines).
   */
  writeLines(bytes: Bytes, start: number, length: number, lines: number): void;
  /**
   * For a line rendered in place, so that it is written once, where it is sent from: makes room
   * for `maxBytes` after the buffered bytes (writing them out first if need be) and returns
   * where the line starts in `lineBuffer`. Then `commitLine()` takes it; without that call the
   * bytes written there are not a line. -1: render the line apart and call writeBytes() (the
   * forward sink, when the bound does not fit one of its entries or it has no room).
   */
  reserveLine(maxBytes: number): number;
  /** The buffer `reserveLine()` made room in; valid until the next call on the sink. */
  readonly lineBuffer: Bytes;
  /** Takes the `length` bytes at reserveLine()'s offset as one line, ending with '\n', as writeBytes would. */
  commitLine(length: number): void;
  /** Write every buffered byte out now, synchronously (handles partial writes, EAGAIN). */
  flush(): void;
  /** Flush and release the descriptor. Idempotent; writeLine after close throws. */
  close(): void;
  /** Bytes handed to the OS so far (after flush), and rotations done. */
  readonly bytesWritten: number;
  readonly rotations: number;
  /**
   * Lines given up on so far: the disk kept failing past the retries (see write-failure.ts).
   * Sinks made without a monitor throw instead, and never drop.
   */
  readonly linesDropped: number;
  /** Lines buffered and not yet written. */
  readonly pendingLines: number;
  /** No retry sleeps past `deadline` (ms since the epoch): set by close and exit. */
  setDeadline(deadline: number): void;
  /** The consumer has nothing to do: a chance for timed work (an fsync at an interval). */
  idle(): void;
  /**
   * Releases the descriptor without writing what is buffered, for lines that will be written
   * again by another sink (the consumer crashed before giving their ring space back). Idempotent.
   */
  discard(): void;
}


const NEWLINE = 0x0a;

/**
 * Visits each line of a run of whole lines, `bytes[start .. start + length)`, as (start, length),
 * found with the native search: for the sinks that take a run line by line.
 */
export function eachLine(bytes: Bytes, start: number, length: number, visit: (start: number, length: number) => void): void {
  const end = start + length;
  for (let at = start; at < end; ) {
    const newline = bytes.buffer.indexOf(NEWLINE, at);
    const next = newline === -1 || newline >= end ? end : newline + 1;
    visit(at, next - at);
    at = next;
  }
}
