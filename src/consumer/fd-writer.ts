/**
 * Lines buffered for one file descriptor and written with as few `writeSync` calls as possible.
 * Both sinks are built on this; the file sink also swaps the descriptor when it rotates.
 *
 * Synchronous on purpose: the consumer thread never returns to an event loop, and the exit
 * handler on the main thread cannot wait for one either (see sink.ts).
 */

import { bytesOver, type Bytes } from '../shared/codec.js';
import { copyBytes } from '../shared/copy.js';
import { sinkClosedError } from './sink.js';

/** The one fs call a writer needs; node:fs satisfies it, tests pass fakes. */
export interface WritePort {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
}

/** 1 MiB: a batch of thousands of ~200-byte lines costs a handful of `writeSync` calls. */
export const DEFAULT_BUFFER_BYTES = 1024 * 1024;

/**
 * Consecutive EAGAINs (or zero-byte writes) tolerated, about 1 ms apart, before giving up: a
 * non-blocking pipe whose reader is slow gets time to drain, one whose reader has stopped
 * cannot hang the consumer or process exit forever.
 */
export const EAGAIN_RETRY_LIMIT = 1000;

// Atomics.wait is the only synchronous sleep; it needs an Int32Array over shared memory.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes `length` bytes of `buffer` from `offset`, through partial writes and EAGAIN. */
export function writeAll(
  port: WritePort,
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
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
  #fd: number;
  /** The buffer of the configured size, kept so that an oversized line's buffer is temporary. */
  readonly #home: Buffer;
  readonly #homeBytes: Bytes;
  #buffer: Buffer;
  /** `#buffer` with the views copyBytes() needs. */
  #bytes: Bytes;
  #used = 0;
  #written = 0;
  #closed = false;

  constructor(port: WritePort, fd: number, bufferBytes: number) {
    if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 1) {
      throw new RangeError(
        `ringlog: bufferBytes must be a positive integer, received ${String(bufferBytes)}`,
      );
    }
    this.#port = port;
    this.#fd = fd;
    this.#home = Buffer.allocUnsafe(bufferBytes);
    this.#buffer = this.#home;
    this.#bytes = bytesOver(this.#home);
    this.#homeBytes = this.#bytes;
  }

  /** Bytes handed to the OS so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Points later writes at another descriptor; the caller flushes the old one first. */
  useFd(fd: number): void {
    this.#fd = fd;
  }

  /**
   * Encodes `line` after the buffered bytes and returns its length in bytes. May write the
   * buffered bytes out first to make room, never the line itself.
   */
  append(line: string): number {
    if (this.#closed) throw sinkClosedError('writeLine');
    // A UTF-16 unit never takes more than 3 UTF-8 bytes, so this bound spares the common case
    // a second pass over the string; Buffer.byteLength runs only when the bound says "maybe not".
    // (Buffer.byteLength counts a lone surrogate as the 3 bytes of U+FFFD, as write() encodes it.)
    if (line.length * 3 > this.#buffer.length - this.#used) this.#makeRoom(Buffer.byteLength(line, 'utf8'));
    const bytes = this.#buffer.write(line, this.#used, 'utf8');
    this.#used += bytes;
    return bytes;
  }

  /** As append(), for `bytes[0 .. length)`. */
  appendBytes(bytes: Bytes, length: number): number {
    if (this.#closed) throw sinkClosedError('writeBytes');
    if (length > this.#buffer.length - this.#used) this.#makeRoom(length);
    copyBytes(bytes, 0, this.#bytes, this.#used, length);
    this.#used += length;
    return length;
  }

  /** Writes every buffered byte out. */
  flush(): void {
    if (this.#closed) throw sinkClosedError('flush');
    this.#writeHead(this.#used);
    this.#used = 0;
    this.#buffer = this.#home;
    this.#bytes = this.#homeBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes every buffered byte out, then refuses further lines. The descriptor is the caller's. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writeHead(this.#used);
    this.#used = 0;
  }

  /**
   * Writes out all but the last `tailBytes` buffered bytes and moves those to the start of the
   * buffer: the line just appended stays buffered, for the next file, without a second encode.
   */
  flushAllBut(tailBytes: number): void {
    const head = this.#used - tailBytes;
    this.#writeHead(head);
    this.#buffer.copyWithin(0, head, this.#used);
    this.#used = tailBytes;
  }

  #writeHead(bytes: number): void {
    if (bytes === 0) return;
    writeAll(this.#port, this.#fd, this.#buffer, 0, bytes);
    this.#written += bytes;
  }

  #makeRoom(needed: number): void {
    if (needed <= this.#buffer.length - this.#used) return;
    this.flush();
    // A line larger than the whole buffer gets a buffer of its own until the next flush.
    if (needed > this.#buffer.length) {
      this.#buffer = Buffer.allocUnsafe(needed);
      this.#bytes = bytesOver(this.#buffer);
    }
  }
}
