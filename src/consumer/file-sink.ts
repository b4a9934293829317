/**
 * A sink that appends lines to a file and rotates it by size. The decisions (rotate before this
 * line? which renames and deletes?) live in rotation.ts; this module only carries them out,
 * synchronously, through a small fs port that tests replace to inject partial writes or EAGAIN.
 */
import * as nodeFs from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { DEFAULT_BUFFER_BYTES, FdWriter } from './fd-writer.js';
import type { WritePort } from './fd-writer.js';
import { planRotation, rotatedPath, shouldRotate } from './rotation.js';
import type { Bytes } from '../shared/codec.js';
import type { Sink } from './sink.js';

/** The part of node:fs the file sink uses. */
export interface FsPort extends WritePort {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): { size: number };
  renameSync(oldPath: string, newPath: string): void;
  unlinkSync(path: string): void;
  existsSync(path: string): boolean;
  mkdirSync(path: string, options: { recursive: true }): unknown;
}

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
}

type Resolved = Readonly<Required<Omit<FileSinkOptions, 'maxFileBytes'>>> & {
  readonly maxFileBytes: number | undefined;
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
  });
}

class FileSink implements Sink {
  readonly #options: Resolved;
  readonly #writer: FdWriter;
  #fd: number;
  /** Bytes that belong to the live file: on disk, or buffered for it. */
  #fileBytes = 0;
  #rotations = 0;

  constructor(options: Resolved) {
    this.#options = options;
    options.fs.mkdirSync(dirname(options.path), { recursive: true });
    this.#fd = this.#open();
    this.#writer = new FdWriter(options.fs, this.#fd, options.bufferBytes);
  }

  get bytesWritten(): number {
    return this.#writer.bytesWritten;
  }

  get rotations(): number {
    return this.#rotations;
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
    if (shouldRotate(this.#options.maxFileBytes, this.#fileBytes, lineBytes)) {
      this.#writer.flushAllBut(lineBytes);
      this.#rotate();
    }
    this.#fileBytes += lineBytes;
  }

  flush(): void {
    this.#writer.flush();
  }

  close(): void {
    if (this.#writer.closed) return;
    try {
      this.#writer.end();
    } finally {
      this.#options.fs.closeSync(this.#fd);
    }
  }

  #open(): number {
    const { fs, path } = this.#options;
    const fd = fs.openSync(path, 'a');
    // A restart appends to the file it finds, and that file's size counts toward rotation.
    this.#fileBytes = fs.fstatSync(fd).size;
    return fd;
  }

  #rotate(): void {
    const { fs, path, maxFiles } = this.#options;
    fs.closeSync(this.#fd);
    const steps = planRotation(maxFiles, (index) => fs.existsSync(rotatedPath(path, index)));
    for (const step of steps) {
      if (step.kind === 'unlink') fs.unlinkSync(rotatedPath(path, step.index));
      else fs.renameSync(rotatedPath(path, step.from), rotatedPath(path, step.to));
    }
    this.#fd = this.#open();
    this.#writer.useFd(this.#fd);
    this.#rotations++;
  }
}
