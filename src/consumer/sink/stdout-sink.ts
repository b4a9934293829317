/**
 * A sink that writes lines to a file descriptor, fd 1 by default, with `writeSync`. Not through
 * `process.stdout`: inside a worker thread that stream is relayed asynchronously through the main
 * thread, which neither the blocking consumer loop nor the exit handler can wait for.
 */
import * as nodeFs from 'node:fs';
import { DEFAULT_BUFFER_BYTES, FdWriter } from './fd-writer.js';
import type { WritePort } from './fd-writer.js';
import type { Bytes } from '../../record/descriptor.js';
import type { Sink } from './sink.js';
import { WriteRetry, type SinkMonitor } from './write-failure.js';

export interface StdoutSinkOptions {
  /** Descriptor to write to; default 1 (stdout). `2` for stderr. */
  readonly fd?: number;
  /** File system to use; default node:fs. */
  readonly fs?: WritePort;
  /** Size of the line buffer in bytes; default 1 MiB. Longer lines still work. */
  readonly bufferBytes?: number;
  /** Where failures are reported; with it, the sink retries, drops and counts instead of throwing. */
  readonly monitor?: SinkMonitor;
}

export function createStdoutSink(options: StdoutSinkOptions = {}): Sink {
  const fd = options.fd ?? 1;
  if (!Number.isSafeInteger(fd) || fd < 0) {
    throw new RangeError(`ringlog: fd must be a non-negative integer, received ${String(fd)}`);
  }
  const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  const retry = options.monitor === undefined ? undefined : new WriteRetry(describeFd(fd), options.monitor);
  return new StdoutSink(new FdWriter(options.fs ?? nodeFs, fd, bufferBytes, retry), retry);
}

/** How failures name the descriptor: 'stdout (fd 1)', 'stderr (fd 2)', 'fd 5'. */
function describeFd(fd: number): string {
  return fd === 1 ? 'stdout (fd 1)' : fd === 2 ? 'stderr (fd 2)' : `fd ${fd}`;
}

class StdoutSink implements Sink {
  readonly #writer: FdWriter;
  readonly #retry: WriteRetry | undefined;

  constructor(writer: FdWriter, retry: WriteRetry | undefined) {
    this.#writer = writer;
    this.#retry = retry;
  }

  get linesDropped(): number {
    return this.#writer.linesDropped;
  }

  get pendingLines(): number {
    return this.#writer.pendingLines;
  }

  setDeadline(deadline: number): void {
    this.#retry?.setDeadline(deadline);
  }

  idle(): void {}

  /** Forgets the buffered lines; the descriptor stays open, as close() leaves it. */
  discard(): void {
    this.#writer.abandon();
  }

  get bytesWritten(): number {
    return this.#writer.bytesWritten;
  }

  get rotations(): number {
    return 0;
  }

  writeLine(line: string): void {
    this.#writer.append(line);
  }

  writeBytes(bytes: Bytes, length: number, start = 0): void {
    this.#writer.appendBytes(bytes, length, start);
  }

  writeLines(bytes: Bytes, start: number, length: number, lines: number): void {
    this.#writer.appendLines(bytes, start, length, lines);
  }

  reserveLine(maxBytes: number): number {
    return this.#writer.reserveLine(maxBytes);
  }

  get lineBuffer(): Bytes {
    return this.#writer.lineBuffer;
  }

  commitLine(length: number): void {
    this.#writer.commitLine(length);
  }

  flush(): void {
    this.#writer.flush();
  }

  /** Flushes and stops writing, but leaves the descriptor open: the sink was lent it, and the
   *  process still needs stdout after the logger is gone. */
  close(): void {
    this.#writer.end();
  }
}
