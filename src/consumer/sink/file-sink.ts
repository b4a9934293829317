/**
 * A sink that appends lines to a file and rotates it by size and/or time. The decisions live
 * elsewhere, as pure functions: rotate before this line? (numbered.ts, schedule.ts), under which
 * name? (rotated-names.ts, or numbered.ts's numbered shift), which old files go? (retention.ts).
 * This module carries them out, synchronously, through a small fs port that tests replace to
 * inject partial writes or errors, with a clock that tests replace to walk across boundaries.
 *
 * A rotation, before the line that triggers it (there is no timer: a quiet process rotates at
 * its next line, as Python's handlers do):
 *   1. write out everything buffered for the live file (the new line stays buffered);
 *   2. numbered names: shift app.log.1.. up by one (dropping the oldest past maxFiles);
 *      date names: pick the name of the live file's period, with the next sequence number;
 *   3. swap (swap.ts): a new file with the old one's mode (or the configured `mode`) is renamed
 *      over the live path while the old one gets its rotated name as a hard link, so the path
 *      always names a whole file and `tail -F` follows; then the old descriptor is closed;
 *   4. retention: delete the oldest rotated files past maxFiles / maxTotalBytes;
 *   5. compression: post the rotated path to the compressor thread (compressor.ts) and go on;
 *      the gzip happens there, never in this thread.
 * A sink made with compression on also posts, when it starts, the rotated files that a previous
 * run left plain (a crash, an exit before the compressor finished).
 *
 * With a monitor (as the consumer makes it), the sink never throws after it is made:
 * - a write that fails is retried and then dropped and counted (write-failure.ts); before each
 *   retry the file is opened again, which is also how a file that could not be opened comes back.
 *   Half a line that a failed write left (a full disk) is cut off again at once (ftruncate,
 *   fd-writer.ts), so the file ends with a whole line whatever the disk does;
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
import { basename, dirname, join } from 'node:path';
import { MAX_FILES_DEFAULT, MAX_FILES_MAX } from '../../core/limits.js';
import { countLines, DEFAULT_BUFFER_BYTES, FdWriter, lastRecordEnd, recordEnd } from './fd-writer.js';
import type { WritePort } from './fd-writer.js';
import { swapLiveFile } from '../rotate/swap.js';
import { makeLogDir, noFollowFlag, openLogFile, type FileAccess, type OpenPort } from './file-open.js';
import { filesToDelete } from '../rotate/retention.js';
import { GZ_SUFFIX } from '../../compress/compress-file.js';
import { compileNamePattern, listRotatedFiles, nextRotatedPath, type DirPort, type NamePattern } from '../rotate/rotated-names.js';
import { planRotation, rotatedPath, shouldRotate } from '../rotate/numbered.js';
import {
  fileStartedAt,
  parseInterval,
  periodAfter,
  periodAt,
  rotationBefore,
  type ClockOptions,
  type Interval,
  type OffsetFn,
  type Period,
} from '../rotate/schedule.js';
import type { Bytes } from '../../record/descriptor.js';
import type { Sink } from './sink.js';
import { Episode } from '../../core/episode.js';
import { WriteRetry, type SinkMonitor, type WriteGuard } from './write-failure.js';

/** The part of node:fs the file sink uses. */
export interface FsPort extends WritePort, OpenPort, DirPort {
  openSync(path: string, flags: string | number, mode?: number): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): { size: number; dev: number; ino: number; mode: number; mtimeMs: number };
  statSync(path: string): { dev: number; ino: number; size: number; isFile(): boolean; isFIFO?(): boolean };
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  renameSync(oldPath: string, newPath: string): void;
  unlinkSync(path: string): void;
  existsSync(path: string): boolean;
}

/** Where rotated files go to be gzipped: a CompressorClient (compressor.ts). Must not block. */
export interface CompressorPort {
  submit(path: string): void;
}

/** How often, at most, the sink checks that its file is still the one at its path. */
export const WATCH_INTERVAL_MS = 1000;
/** Back-off between attempts at a rotation that failed: from 1 s, doubling to a minute. */
const ROTATE_RETRY_MIN_MS = 1000;
const ROTATE_RETRY_MAX_MS = 60_000;

/** What a file sink needs to rotate: plain data, frozen, structured-clonable (config/rotate-options.ts resolves it). */
export interface ResolvedRotate {
  /** Rotate before a line would make the file larger than this; undefined: no size limit. */
  readonly maxFileBytes: number | undefined;
  /** Time rotation; undefined: none. */
  readonly interval: Interval | undefined;
  /** Boundaries and name dates on the UTC clock (else local time). */
  readonly utc: boolean;
  /** Date pattern of rotated names; undefined: numbered (`app.log.1` newest). */
  readonly pattern: string | undefined;
  /** Rotated files kept (0 keeps none); undefined: no count limit. */
  readonly maxFiles: number | undefined;
  /** Bytes all rotated files may take together; undefined: no limit. */
  readonly maxTotalBytes: number | undefined;
  /** gzip rotated files at this level; undefined: leave them plain. */
  readonly compressLevel: number | undefined;
}

export interface FileSinkOptions {
  /** Absolute path of the live file; its directory is created when missing. `/var/log/app.log` */
  readonly path: string;
  /** Size rotation with numbered names: rotate before a line would make the file larger than this; `undefined` never rotates. Ignored with `rotate`. */
  readonly maxFileBytes?: number | undefined;
  /** With maxFileBytes: rotated files kept (`path.1` ... `path.<maxFiles>`), at least 1; default 5. Ignored with `rotate`. */
  readonly maxFiles?: number;
  /** Rotation by size and/or time, names, retention and compression (rotate-options.ts); replaces maxFileBytes and maxFiles. */
  readonly rotate?: ResolvedRotate | undefined;
  /** Where rotated files are posted for gzip when `rotate.compressLevel` is set; without it they stay plain (a later start posts them). */
  readonly compressor?: CompressorPort | undefined;
  /** The time for rotation decisions, ms since the epoch; default Date.now(). For tests. */
  readonly clock?: () => number;
  /** The local time zone's offset (schedule.ts OffsetFn); default the process's. For tests. */
  readonly offset?: OffsetFn;
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
  /** Permission bits of the live file, and so of rotated and gzipped ones; default the umask's. `0o640` */
  readonly mode?: number | undefined;
  /** Permission bits of the directories the sink creates; default the umask's. `0o750` */
  readonly dirMode?: number | undefined;
  /** Refuse a symlink at the path (O_NOFOLLOW) instead of writing through it; default false. */
  readonly noFollow?: boolean | undefined;
}

type Resolved = Readonly<
  Required<
    Omit<FileSinkOptions, 'maxFileBytes' | 'maxFiles' | 'rotate' | 'compressor' | 'offset' | 'monitor' | 'fsyncMs' | 'mode' | 'dirMode' | 'noFollow'>
  >
> & {
  readonly rotation: Rotation;
  readonly compressor: CompressorPort | undefined;
  readonly monitor: SinkMonitor | undefined;
  readonly fsyncMs: number | undefined;
  readonly access: FileAccess;
};

/** How the sink rotates, ready to use. */
interface Rotation {
  readonly maxFileBytes: number | undefined;
  /** Rotate at this interval's boundaries; undefined: by size only. */
  readonly interval: Interval | undefined;
  /** Names rotated files; undefined: numbered names. */
  readonly pattern: NamePattern | undefined;
  /**
   * With a pattern, the periods that date rotated files: the rotation interval, or for size
   * rotation the pattern's finest field (a file is named by the period of its first line).
   */
  readonly naming: Interval | undefined;
  readonly clock: ClockOptions;
  /** undefined: no count limit. */
  readonly maxFiles: number | undefined;
  readonly maxTotalBytes: number | undefined;
  readonly compress: boolean;
}

export function createFileSink(options: FileSinkOptions): Sink {
  return new FileSink(resolve(options));
}

function resolve(options: FileSinkOptions): Resolved {
  // Options come resolved and checked by config/ (absolute path, ranges); they are not checked again.
  const { path } = options;
  const clock: ClockOptions = { utc: options.rotate?.utc ?? false, ...(options.offset === undefined ? {} : { offset: options.offset }) };
  return Object.freeze({
    path,
    rotation: options.rotate === undefined ? numberedRotation(options, clock) : rotationOf(options.rotate, clock),
    compressor: options.compressor,
    clock: options.clock ?? (() => Date.now()),
    fs: options.fs ?? nodeFs,
    bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
    monitor: options.monitor,
    fsyncMs: options.fsyncMs,
    lazyOpen: options.lazyOpen ?? false,
    watchMs: options.watchMs ?? WATCH_INTERVAL_MS,
    access: Object.freeze({ mode: options.mode, dirMode: options.dirMode, noFollow: options.noFollow ?? false }),
  });
}

/** maxFileBytes and maxFiles: size rotation with numbered names, as before `rotate` existed. */
function numberedRotation(options: FileSinkOptions, clock: ClockOptions): Rotation {
  const { maxFileBytes, maxFiles = MAX_FILES_DEFAULT } = options;
  return { maxFileBytes, interval: undefined, pattern: undefined, naming: undefined, clock, maxFiles, maxTotalBytes: undefined, compress: false };
}

/** `rotate` was validated by resolveRotate(); the pattern is compiled again here (it crossed threads as text). */
function rotationOf(rotate: ResolvedRotate, clock: ClockOptions): Rotation {
  const pattern = rotate.pattern === undefined ? undefined : compileNamePattern(rotate.pattern, 'rotate.pattern');
  return {
    maxFileBytes: rotate.maxFileBytes,
    interval: rotate.interval,
    pattern,
    naming: pattern === undefined ? undefined : (rotate.interval ?? namingInterval(pattern)),
    clock,
    maxFiles: rotate.maxFiles,
    maxTotalBytes: rotate.maxTotalBytes,
    compress: rotate.compressLevel !== undefined,
  };
}

/** The periods a pattern tells apart, as an interval: '1s', '1m', '1h', or '1d' for %d and coarser. */
function namingInterval(pattern: NamePattern): Interval {
  const ms = pattern.resolutionMs;
  return parseInterval(ms <= 1000 ? '1s' : ms <= 60_000 ? '1m' : ms <= 3_600_000 ? '1h' : '1d', 'rotate.pattern');
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
  /** With a pattern: the period the live file is dated by (and, with an interval, rotated at its end). */
  #period: Period | undefined;
  /** `{ size, mtimeMs }` of the live file when last opened: a restart continues its period. */
  #opened: { readonly size: number; readonly mtimeMs: number } | undefined;

  constructor(options: Resolved) {
    this.#options = options;
    const { monitor, path } = options;
    if (monitor !== undefined) {
      this.#retry = new WriteRetry(path, monitor);
      const report = monitor.report.bind(monitor);
      this.#rotation = new Episode('rotate', path, report, { retrying: false });
      this.#syncing = new Episode('fsync', path, report, { retrying: false });
    }
    try {
      makeLogDir(options.fs, dirname(path), options.access.dirMode);
      this.#openLive();
    } catch (error) {
      if (!options.lazyOpen) throw error;
      this.#reopen = true;
    }
    this.#checkedAt = Date.now();
    this.#writer = new FdWriter(options.fs, this.#fd ?? -1, options.bufferBytes, this.#guard(), (fd, bytes) => cutTail(options.fs, fd, bytes));
    const { naming, clock } = options.rotation;
    if (naming !== undefined) this.#period = periodAt(fileStartedAt(options.clock(), this.#opened), naming, clock);
    this.#compressLeftovers();
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

  writeBytes(bytes: Bytes, length: number, start = 0): void {
    this.#appended(this.#writer.appendBytes(bytes, length, start));
  }

  /**
   * A run of whole lines: taken whole when no rotation can fall inside it, which is nearly
   * always; otherwise the lines that still fit the live file are taken whole, and the line that
   * would overfill it goes as a line of its own (#appended() rotates before it), and so on. The
   * lines not yet handed to the writer are owed to it meanwhile (FdWriter.owe()).
   */
  writeLines(bytes: Bytes, start: number, length: number, lines: number): void {
    const { rotation, clock } = this.#options;
    const writer = this.#writer;
    const end = start + length;
    try {
      while (start < end) {
        let room = end - start;
        if (rotation.interval !== undefined && clock() >= (this.#period as Period).rotateAt) room = 0;
        else if (this.#period !== undefined && this.#fileBytes === 0) room = 0;
        else if (rotation.maxFileBytes !== undefined && this.#fileBytes + room > rotation.maxFileBytes) {
          room = Math.max(0, rotation.maxFileBytes - this.#fileBytes);
        }
        if (room >= end - start) {
          writer.owe(0);
          writer.appendLines(bytes, start, end - start, lines);
          this.#fileBytes += end - start;
          return;
        }
        // The whole records within `room`, then the next record alone (a record is a line and
        // its continuation lines: countLines()).
        const last = room === 0 ? start : lastRecordEnd(bytes.buffer, start, start + room, end);
        if (last > start) {
          const taken = last - start;
          const count = countLines(bytes.buffer, start, last);
          lines -= count;
          writer.owe(lines);
          writer.appendLines(bytes, start, taken, count);
          this.#fileBytes += taken;
          start = last;
        }
        const lineEnd = recordEnd(bytes.buffer, start, end);
        lines--;
        writer.owe(lines);
        this.writeBytes(bytes, lineEnd - start, start);
        start = lineEnd;
      }
    } finally {
      writer.owe(0);
    }
  }

  reserveLine(maxBytes: number): number {
    return this.#writer.reserveLine(maxBytes);
  }

  get lineBuffer(): Bytes {
    return this.#writer.lineBuffer;
  }

  commitLine(length: number): void {
    this.#appended(this.#writer.commitLine(length));
  }

  /**
   * A line of `lineBytes` was just buffered: rotate first if it would overfill the live file or
   * its period is over. The clock is read only when time matters: with an interval (once a
   * line, ~40 ns), and for the first line of a date-named file.
   */
  #appended(lineBytes: number): void {
    const { rotation, clock } = this.#options;
    const period = this.#period;
    if (rotation.interval !== undefined) {
      const now = clock();
      if (now >= (period as Period).rotateAt || shouldRotate(rotation.maxFileBytes, this.#fileBytes, lineBytes)) {
        this.#beforeLine(lineBytes, now);
      }
    } else if ((period !== undefined && this.#fileBytes === 0) || shouldRotate(rotation.maxFileBytes, this.#fileBytes, lineBytes)) {
      this.#beforeLine(lineBytes, clock());
    }
    this.#fileBytes += lineBytes;
  }

  #beforeLine(lineBytes: number, now: number): void {
    const { rotation } = this.#options;
    const period = this.#period;
    const rotateAt = rotation.interval === undefined ? undefined : period?.rotateAt;
    const reason = rotationBefore({ maxFileBytes: rotation.maxFileBytes, rotateAt }, this.#fileBytes, lineBytes, now);
    if (reason === 'size' || reason === 'time') {
      if (now < this.#rotateAfter) return;
      this.#writer.flushAllBut(lineBytes);
      if (!this.#rotate(now)) return;
    }
    // A file that starts now (just rotated, or empty) belongs to this line's period. After a
    // rotation by size within the period, the period goes on (now is before its end).
    if (period !== undefined && now >= period.rotateAt && (reason !== 'none' || this.#fileBytes === 0)) {
      this.#period = periodAfter(period, now, rotation.naming as Interval, rotation.clock);
    }
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

  /** Opens the path (creating the file as needed) and makes it the live file. */
  #openLive(): FileId | undefined {
    const { fs, path, access } = this.#options;
    const probe = isFifo(fs, path) ? probeFifoReader(fs, path, access.noFollow) : undefined;
    let fd: number;
    try {
      fd = openLogFile(fs, path, access);
    } finally {
      if (probe !== undefined) fs.closeSync(probe);
    }
    let stat: ReturnType<FsPort['fstatSync']>;
    try {
      stat = fs.fstatSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    const previous = this.#id;
    this.#fd = fd;
    this.#id = { dev: stat.dev, ino: stat.ino };
    this.#opened = { size: stat.size, mtimeMs: stat.mtimeMs };
    this.#reopen = false;
    // A restart appends to the file it finds, and that file's size counts toward rotation.
    this.#fileBytes = stat.size;
    this.#syncedAt = Date.now();
    return previous;
  }

  /** Opens the path again, in place of the current descriptor, keeping the buffered lines for it. */
  #reopenLive(): void {
    const { fs, path, access } = this.#options;
    makeLogDir(fs, dirname(path), access.dirMode);
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

  /**
   * Rotates the live file, whose lines are all written out but the one that triggered this.
   * Returns false when it could not (reported, and tried again after a back-off): the lines
   * go on into the live file. Without a monitor, errors propagate.
   */
  #rotate(now: number): boolean {
    const { fs, path, rotation } = this.#options;
    if (this.#options.fsyncMs !== undefined) this.#sync();
    const old = this.#fd;
    if (old === undefined || this.#reopen) {
      // Writing out failed (reported as such): no file to rotate until writes work again.
      this.#backOff(now);
      return false;
    }
    let target: string;
    let fd: number;
    try {
      target = rotation.pattern === undefined ? this.#shiftNumbered() : this.#datedPath(rotation.pattern);
      fd = swapLiveFile(fs, { fd: old, livePath: path, rotatedPath: target, mode: this.#options.access.mode });
    } catch (error) {
      if (this.#rotation === undefined) throw error;
      // The lines go on into the live file; the rotation is tried again later. (Should the path
      // no longer name it, the fallback's second rename having failed, the next write sees it.)
      this.#rotation.fail(error);
      this.#checkedAt = 0;
      this.#backOff(now);
      return false;
    }
    this.#fd = fd;
    this.#id = fileId(fs, fd);
    this.#fileBytes = 0;
    this.#syncedAt = Date.now();
    this.#writer.useFd(fd, false);
    this.#rotations++;
    this.#rotateBackoff = ROTATE_RETRY_MIN_MS;
    // The old descriptor names the rotated file now, and everything for it was written.
    try {
      fs.closeSync(old);
    } catch (error) {
      if (this.#options.monitor === undefined) throw error;
    }
    const failed = this.#retainAndCompress(target);
    if (failed === undefined) this.#rotation?.recover();
    else if (this.#rotation === undefined) throw failed;
    else this.#rotation.fail(failed);
    return true;
  }

  #backOff(now: number): void {
    this.#rotateAfter = now + this.#rotateBackoff;
    this.#rotateBackoff = Math.min(this.#rotateBackoff * 2, ROTATE_RETRY_MAX_MS);
  }

  /**
   * Numbered names: shifts `path.1`... up by one, deleting the oldest past maxFiles, and returns
   * `path.1`, free for the live file. A failure halfway leaves a gap the next attempt uses.
   */
  #shiftNumbered(): string {
    const { fs, path, rotation } = this.#options;
    // maxFiles 0 keeps none: the live file still goes to path.1, which retention deletes.
    const slots = Math.max(rotation.maxFiles ?? MAX_FILES_MAX, 1);
    const steps = planRotation(slots, (index) => index === 0 || fs.existsSync(rotatedPath(path, index)));
    for (const step of steps) {
      if (step.kind === 'unlink') fs.unlinkSync(rotatedPath(path, step.index));
      // The live file's own step (0 -> 1) is the swap.
      else if (step.from > 0) fs.renameSync(rotatedPath(path, step.from), rotatedPath(path, step.to));
    }
    return rotatedPath(path, 1);
  }

  /** Date names: the live file's period, with the next sequence number of that period. */
  #datedPath(pattern: NamePattern): string {
    const { fs, path } = this.#options;
    const start = (this.#period as Period).start;
    // A pattern coarser than the periods (hourly rotation, daily names) names the period it
    // shows: files of its periods share that name and are told apart by sequence numbers.
    const named = pattern.parse(pattern.format(start, 0))?.period ?? start;
    let target = nextRotatedPath(path, pattern, named, listRotatedFiles(path, pattern, fs));
    // The compressor renames a finished .gz over whatever has its name: never pick a name whose
    // .gz exists, should a listing have missed it. (Plain first: a file goes from plain to
    // plain + .gz to .gz, so a plain name found free and then no .gz means neither exists.)
    let sequence = pattern.parse(basename(target))?.sequence ?? 0;
    while (fs.existsSync(target) || fs.existsSync(target + GZ_SUFFIX)) {
      target = join(dirname(path), pattern.format(named, ++sequence));
    }
    return target;
  }

  /**
   * After a rotation to `rotated`: deletes the rotated files past the limits, then posts
   * `rotated` for compression, unless it was deleted itself. Every file is tried; the first
   * error is returned.
   */
  #retainAndCompress(rotated: string): unknown {
    const { fs, path, rotation, compressor } = this.#options;
    const { pattern, maxFiles, maxTotalBytes } = rotation;
    let failed: unknown;
    let kept = true;
    // Numbered names: the shift already kept maxFiles (and left files past a gap alone).
    const limits = pattern === undefined ? { maxFiles: maxFiles === 0 ? 0 : undefined, maxTotalBytes } : { maxFiles, maxTotalBytes };
    if (limits.maxFiles !== undefined || limits.maxTotalBytes !== undefined) {
      try {
        for (const file of filesToDelete(listRotatedFiles(path, pattern, fs), limits)) {
          if (file.paths.includes(rotated)) kept = false;
          for (const each of file.paths) {
            try {
              fs.unlinkSync(each);
            } catch (error) {
              // Gone already: the compressor replaced a plain file by its .gz.
              if ((error as NodeJS.ErrnoException).code !== 'ENOENT') failed ??= error;
            }
          }
        }
      } catch (error) {
        failed ??= error;
      }
    }
    if (kept && rotation.compress) compressor?.submit(rotated);
    return failed;
  }

  /** At startup, with compression on: rotated files a previous run left plain go to the compressor. */
  #compressLeftovers(): void {
    const { fs, path, rotation, compressor } = this.#options;
    if (!rotation.compress || compressor === undefined) return;
    let files;
    try {
      files = listRotatedFiles(path, rotation.pattern, fs);
    } catch {
      return; // No directory yet, or not readable: nothing of ours to compress.
    }
    for (const file of files) if (!file.compressed) compressor.submit(file.paths[0] as string);
  }

  #sync(): void {
    const fd = this.#fd;
    const written = this.#writer.bytesWritten;
    if (fd === undefined || this.#reopen || written === this.#syncedBytes) return;
    try {
      this.#options.fs.fsyncSync(fd);
      this.#syncing?.recover();
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

/**
 * The FdWriter's TornLineCut: the file is opened for appending and only this sink writes it, so
 * its size is where our last write ended. A FIFO (size 0) is not cut: its reader has the half
 * line already, and gets the rest first.
 */
function cutTail(fs: FsPort, fd: number, bytes: number): boolean {
  try {
    const { size } = fs.fstatSync(fd);
    if (size < bytes) return false;
    fs.ftruncateSync(fd, size - bytes);
    return true;
  } catch {
    return false;
  }
}

function fileId(fs: FsPort, fd: number): FileId | undefined {
  try {
    const { dev, ino } = fs.fstatSync(fd);
    return { dev, ino };
  } catch {
    return undefined; // The next check of the path opens it again.
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
function probeFifoReader(fs: FsPort, path: string, noFollow: boolean): number | undefined {
  try {
    return fs.openSync(path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_NONBLOCK | noFollowFlag(noFollow));
  } catch (error) {
    // A symlink to a FIFO with noFollow: no probe; the open that follows refuses it and says why.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' && noFollow) return undefined;
    if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    throw Object.assign(new Error(`ringlog: ${path} is a FIFO with no reader: start the reader first`, { cause: error }), {
      code: 'ENXIO',
      path,
    });
  }
}
