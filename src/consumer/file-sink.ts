/**
 * A sink that appends lines to a file and rotates it by size. The decisions (rotate before this
 * line? which renames and deletes?) live in rotation.ts; this module only carries them out,
 * synchronously, through a small fs port that tests replace to inject partial writes or errors.
 *
 * With a monitor (as the consumer makes it), the sink never throws after it is made:
 * - a write that fails is retried and then dropped and counted (write-failure.ts); before each
 *   retry the file is opened again, which is also how a file that could not be opened comes back;
 * - a file deleted or moved away under us (logrotate without copytruncate, a person cleaning up)
 *   is noticed within WATCH_INTERVAL_MS, by comparing the device and inode of the path with
 *   those of the open descriptor, and opened again at the configured path, as Python's
 *   WatchedFileHandler does. Lines written in between went to the moved (or deleted) file;
 * - a rotation that fails (a rename refused) is reported, the lines go on into the current file,
 *   and the rotation is tried again after a back-off;
 * - an fsync that fails is reported; it is not retried (after a failed fsync the kernel may
 *   have dropped the dirty pages: a second fsync succeeding proves nothing).
 * Without a monitor (tests of the mechanics), errors propagate as they happen.
 */
import * as nodeFs from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { DEFAULT_BUFFER_BYTES, FdWriter } from './fd-writer.js';
import type { WritePort } from './fd-writer.js';
import { planRotation, rotatedPath, shouldRotate } from './rotation.js';
import type { Bytes } from '../shared/codec.js';
import type { Sink } from './sink.js';
import { Episode, WriteRetry, type SinkMonitor, type WriteGuard } from './write-failure.js';

/** The part of node:fs the file sink uses. */
export interface FsPort extends WritePort {
  openSync(path: string, flags: string | number): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): { size: number; dev: number; ino: number };
  statSync(path: string): { dev: number; ino: number; isFIFO?(): boolean };
  fsyncSync(fd: number): void;
  renameSync(oldPath: string, newPath: string): void;
  unlinkSync(path: string): void;
  existsSync(path: string): boolean;
  mkdirSync(path: string, options: { recursive: true }): unknown;
}

/** How often, at most, the sink checks that its file is still the one at its path. */
export const WATCH_INTERVAL_MS = 1000;
/** Back-off between attempts at a rotation that failed: from 1 s, doubling to a minute. */
const ROTATE_RETRY_MIN_MS = 1000;
const ROTATE_RETRY_MAX_MS = 60_000;

export interface FileSinkOptions {
  /** Absolute path of the live file; its directory is created when missing. `/var/log/app.log` */
  readonly path: string;
  /** Rotate before a line would make the file larger than this; `undefined` never rotates. */
  readonly maxFileBytes: number | undefined;
  /** Rotated files kept (`path.1` ... `path.<maxFiles>`), at least 1. */
  readonly maxFiles: number;
  /** File system to use; default node:fs. */
  readonly fs?: FsPort;
  /** Size of the line buffer in bytes; default 1 MiB. Longer lines still work. */
  readonly bufferBytes?: number;
  /** Where failures are reported; with it, the sink retries, drops and counts instead of throwing. */
  readonly monitor?: SinkMonitor;
  /** undefined: never fsync; 0: after every flush; N: at most every N ms, and when idle. */
  readonly fsyncMs?: number | undefined;
  /** Do not throw when the file cannot be opened now: try again at the first write (a restart). */
  readonly lazyOpen?: boolean;
  /** How often to check that the file at the path is still ours; default 1 s. */
  readonly watchMs?: number;
}

type Resolved = Readonly<
  Required<Omit<FileSinkOptions, 'maxFileBytes' | 'monitor' | 'fsyncMs'>>
> & {
  readonly maxFileBytes: number | undefined;
  readonly monitor: SinkMonitor | undefined;
  readonly fsyncMs: number | undefined;
};

export function createFileSink(options: FileSinkOptions): Sink {
  return new FileSink(resolve(options));
}

function resolve(options: FileSinkOptions): Resolved {
  const { path, maxFileBytes, maxFiles } = options;
  if (typeof path !== 'string' || !isAbsolute(path)) {
    throw new TypeError(`ringlog: path must be an absolute path, received ${JSON.stringify(path)}`);
  }
  if (maxFileBytes !== undefined && (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1)) {
    throw new RangeError(
      `ringlog: maxFileBytes must be a positive integer or undefined, received ${String(maxFileBytes)}`,
    );
  }
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 1) {
    throw new RangeError(`ringlog: maxFiles must be an integer >= 1, received ${String(maxFiles)}`);
  }
  return Object.freeze({
    path,
    maxFileBytes,
    maxFiles,
    fs: options.fs ?? nodeFs,
    bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
    monitor: options.monitor,
    fsyncMs: options.fsyncMs,
    lazyOpen: options.lazyOpen ?? false,
    watchMs: options.watchMs ?? WATCH_INTERVAL_MS,
  });
}

interface FileId {
  readonly dev: number;
  readonly ino: number;
}

class FileSink implements Sink {
  readonly #options: Resolved;
  readonly #writer: FdWriter;
  readonly #retry: WriteRetry | undefined;
  readonly #rotation: Episode | undefined;
  readonly #syncing: Episode | undefined;
  #fd: number | undefined;
  #id: FileId | undefined;
  /** The next write opens the path again first: the file could not be opened, or a write failed. */
  #reopen = false;
  #checkedAt = 0;
  /** Bytes that belong to the live file: on disk, or buffered for it. */
  #fileBytes = 0;
  #rotations = 0;
  /** No rotation is tried before this time (ms since the epoch): the last one failed. */
  #rotateAfter = 0;
  #rotateBackoff = ROTATE_RETRY_MIN_MS;
  #syncedAt = 0;
  #syncedBytes = 0;

  constructor(options: Resolved) {
    this.#options = options;
    const { monitor, path } = options;
    if (monitor !== undefined) {
      this.#retry = new WriteRetry(path, monitor);
      this.#rotation = new Episode('rotate', path, monitor, false);
      this.#syncing = new Episode('fsync', path, monitor, false);
    }
    try {
      options.fs.mkdirSync(dirname(path), { recursive: true });
      this.#openLive();
    } catch (error) {
      if (!options.lazyOpen) throw error;
      this.#reopen = true;
    }
    this.#checkedAt = Date.now();
    this.#writer = new FdWriter(options.fs, this.#fd ?? -1, options.bufferBytes, this.#guard());
  }

  get bytesWritten(): number {
    return this.#writer.bytesWritten;
  }

  get rotations(): number {
    return this.#rotations;
  }

  get linesDropped(): number {
    return this.#writer.linesDropped;
  }

  get pendingLines(): number {
    return this.#writer.pendingLines;
  }

  writeLine(line: string): void {
    // Encode first: the byte length is known only then. If append() writes earlier lines out to
    // make room, they go to the live file, which is where they were counted.
    this.#appended(this.#writer.append(line));
  }

  writeBytes(bytes: Bytes, length: number): void {
    this.#appended(this.#writer.appendBytes(bytes, length));
  }

  /** A line of `lineBytes` was just buffered: rotate first if it would overfill the live file. */
  #appended(lineBytes: number): void {
    if (shouldRotate(this.#options.maxFileBytes, this.#fileBytes, lineBytes) && Date.now() >= this.#rotateAfter) {
      this.#writer.flushAllBut(lineBytes);
      this.#rotate();
    }
    this.#fileBytes += lineBytes;
  }

  flush(): void {
    this.#writer.flush();
    const fsyncMs = this.#options.fsyncMs;
    if (fsyncMs !== undefined && (fsyncMs === 0 || Date.now() - this.#syncedAt >= fsyncMs)) this.#sync();
  }

  setDeadline(deadline: number): void {
    this.#retry?.setDeadline(deadline);
  }

  idle(): void {
    const fsyncMs = this.#options.fsyncMs;
    if (fsyncMs !== undefined && Date.now() - this.#syncedAt >= fsyncMs) this.#sync();
  }

  close(): void {
    if (this.#writer.closed) return;
    try {
      this.#writer.end();
      if (this.#options.fsyncMs !== undefined) this.#sync();
    } finally {
      this.#closeFd();
    }
  }

  discard(): void {
    if (this.#writer.closed) return;
    this.#writer.abandon();
    try {
      this.#closeFd();
    } catch {
      // Nothing of ours is in this descriptor any more.
    }
  }

  /**
   * The FdWriter's retry loop: each attempt first makes sure the file is open and still the one
   * at the path. Without a monitor, a single attempt whose errors propagate.
   */
  #guard(): WriteGuard {
    const retry = this.#retry;
    const attempt = (write: () => void): void => {
      try {
        this.#prepare();
        write();
      } catch (error) {
        this.#reopen = true;
        throw error;
      }
    };
    if (retry === undefined) {
      return {
        run: (write) => {
          attempt(write);
          return true;
        },
        lost: () => {},
      };
    }
    return { run: (write, lines) => retry.run(() => attempt(write), lines), lost: (lines) => retry.lost(lines) };
  }

  #prepare(): void {
    if (this.#fd === undefined || this.#reopen) return this.#reopenLive();
    const now = Date.now();
    if (now - this.#checkedAt < this.#options.watchMs) return;
    this.#checkedAt = now;
    if (!this.#stillAtPath()) this.#reopenLive();
  }

  /** Whether the open descriptor is still the file at the path (not deleted, not moved away). */
  #stillAtPath(): boolean {
    const id = this.#id;
    try {
      const stat = this.#options.fs.statSync(this.#options.path);
      return id !== undefined && stat.dev === id.dev && stat.ino === id.ino;
    } catch {
      return false;
    }
  }

  /** Opens the path (creating directory and file as needed) and makes it the live file. */
  #openLive(): FileId | undefined {
    const { fs, path } = this.#options;
    const probe = isFifo(fs, path) ? probeFifoReader(fs, path) : undefined;
    let fd: number;
    try {
      fd = fs.openSync(path, 'a');
    } finally {
      if (probe !== undefined) fs.closeSync(probe);
    }
    let stat: { size: number; dev: number; ino: number };
    try {
      stat = fs.fstatSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    const previous = this.#id;
    this.#fd = fd;
    this.#id = { dev: stat.dev, ino: stat.ino };
    this.#reopen = false;
    // A restart appends to the file it finds, and that file's size counts toward rotation.
    this.#fileBytes = stat.size;
    this.#syncedAt = Date.now();
    return previous;
  }

  /** Opens the path again, in place of the current descriptor, keeping the buffered lines for it. */
  #reopenLive(): void {
    const { fs, path } = this.#options;
    fs.mkdirSync(dirname(path), { recursive: true });
    const old = this.#fd;
    const previous = this.#openLive();
    this.#checkedAt = Date.now();
    if (old !== undefined) {
      try {
        fs.closeSync(old);
      } catch {
        // The old descriptor is gone either way.
      }
    }
    const id = this.#id!;
    const sameFile = previous !== undefined && previous.dev === id.dev && previous.ino === id.ino;
    this.#writer.useFd(this.#fd!, sameFile);
    this.#fileBytes += this.#writer.pendingBytes;
  }

  #rotate(): void {
    const { fs, path, maxFiles } = this.#options;
    if (this.#options.fsyncMs !== undefined) this.#sync();
    try {
      this.#closeFd();
      this.#reopen = true;
      const steps = planRotation(maxFiles, (index) => fs.existsSync(rotatedPath(path, index)));
      for (const step of steps) {
        if (step.kind === 'unlink') fs.unlinkSync(rotatedPath(path, step.index));
        else fs.renameSync(rotatedPath(path, step.from), rotatedPath(path, step.to));
      }
      this.#openLive();
    } catch (error) {
      if (this.#rotation === undefined) throw error;
      // The next write opens the path again: the same file when nothing was renamed, a new
      // one when the live file was. Lines go on there; the rotation is tried again later.
      this.#rotation.fail(error);
      this.#rotateAfter = Date.now() + this.#rotateBackoff;
      this.#rotateBackoff = Math.min(this.#rotateBackoff * 2, ROTATE_RETRY_MAX_MS);
      return;
    }
    this.#writer.useFd(this.#fd!, false);
    this.#rotations++;
    this.#rotateBackoff = ROTATE_RETRY_MIN_MS;
    this.#rotation?.ok();
  }

  #sync(): void {
    const fd = this.#fd;
    const written = this.#writer.bytesWritten;
    if (fd === undefined || this.#reopen || written === this.#syncedBytes) return;
    try {
      this.#options.fs.fsyncSync(fd);
      this.#syncing?.ok();
    } catch (error) {
      if (this.#syncing === undefined) throw error;
      this.#syncing.fail(error);
    }
    this.#syncedAt = Date.now();
    this.#syncedBytes = written;
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      this.#options.fs.closeSync(fd);
    } catch (error) {
      if (this.#options.monitor === undefined) throw error;
    }
  }
}

/** A FIFO at the path: a pipe into another program. */
function isFifo(fs: FsPort, path: string): boolean {
  try {
    return fs.statSync(path).isFIFO?.() === true;
  } catch {
    return false;
  }
}

/**
 * Opening a FIFO for writing blocks until a reader opens it, in a thread nothing can interrupt
 * (createLogBackend() and process exit would hang). A non-blocking open fails at once with ENXIO
 * when there is no reader: that becomes the open error. With a reader, the blocking open that
 * follows returns at once; the probe stays open until then, because a reader sees end-of-file
 * (and `cat` exits) when the last writer closes. (Read-write would never block, but then a
 * reader that goes away would leave writes blocked for good instead of failing with EPIPE.)
 */
function probeFifoReader(fs: FsPort, path: string): number {
  try {
    return fs.openSync(path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    throw Object.assign(new Error(`ringlog: ${path} is a FIFO with no reader: start the reader first`, { cause: error }), {
      code: 'ENXIO',
      path,
    });
  }
}
