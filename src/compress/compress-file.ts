/**
 * Gzipping one rotated file in place: `path` becomes `path.gz`, as gzip(1) does, in steps that
 * never leave a reader with half a file and never lose the logs:
 *
 *   1. stream path -> gzip -> `path.gz.tmp`, then fsync it: the bytes are on disk before the
 *      original goes away (ringlog never fsyncs logs, but deleting the only copy is different);
 *   2. give the .tmp the original's mode (chmod after creation: the umask narrowed it) and times
 *      (log tools sort and expire by mtime, gzip keeps them too);
 *   3. rename .tmp -> .gz: a .gz is either absent or complete;
 *   4. unlink the original.
 *
 * The .tmp is made new (O_EXCL, after removing whatever had its name), so a symlink planted at
 * its name is removed, never written through: the log directory may be writable by others, and
 * the compressor must not overwrite a file of their choosing with gzip bytes.
 *
 * A failure before step 3 removes the .tmp and leaves the original as it was. If the original
 * vanishes during the work (retention deleted it), its .gz goes too: whoever deleted the file
 * wanted it gone. The .tmp name is fixed, so a .tmp left by a crash is overwritten by the next
 * attempt on the same file.
 *
 * `compressFile` streams (for the compressor thread, which has an event loop); the synchronous
 * `compressFileSync` is for a thread without one, such as the main thread at process exit. It
 * reads 4 MiB at a time and writes each as a gzip member: concatenated members are one valid
 * gzip file (RFC 1952 section 2.2), which gunzip, zcat, zlib and log tools read as a whole, and
 * memory stays bounded whatever the file's size.
 */
import * as fs from 'node:fs';
import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { notAFileError } from '../core/errors.js';
import { GZIP_LEVEL_DEFAULT, GZIP_LEVEL_MAX, GZIP_LEVEL_MIN } from '../core/limits.js';

/** What the compressor adds to a file's name; rotated-name parsing (consumer/rotate) reads it too. */
export const GZ_SUFFIX = '.gz';
const TMP_SUFFIX = '.tmp';
/** The .tmp's opening: a new file, never through a symlink (see the header). */
const CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
/** Opening the .tmp again to sync it: it must still be the file made, not a link put there since. */
const REOPEN = fs.constants.O_RDWR | fs.constants.O_NOFOLLOW;
/** Chunk of the synchronous path, and so the size of each gzip member it writes. */
const SYNC_CHUNK_BYTES = 4 * 1024 * 1024;

export interface CompressOptions {
  /** gzip level, 1 (fastest) to 9 (smallest); default 6. */
  readonly level?: number;
}

export interface CompressResult {
  /** The original, now removed. */
  readonly path: string;
  /** The compressed file, `path + '.gz'`. */
  readonly gzPath: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export function gzPathOf(path: string): string {
  return path + GZ_SUFFIX;
}

function tmpPathOf(path: string): string {
  return path + GZ_SUFFIX + TMP_SUFFIX;
}

function gzipOptions(options: CompressOptions | undefined): { level: number } {
  const level = options?.level ?? GZIP_LEVEL_DEFAULT;
  if (!Number.isInteger(level) || level < GZIP_LEVEL_MIN || level > GZIP_LEVEL_MAX) {
    throw new RangeError(`ringlog: the gzip level must be an integer from ${GZIP_LEVEL_MIN} to ${GZIP_LEVEL_MAX}; received ${String(level)}`);
  }
  return { level };
}

/** Compresses `path` to `path.gz` and removes `path`; rejects with the fs or zlib error. */
export async function compressFile(path: string, options?: CompressOptions): Promise<CompressResult> {
  const { level } = gzipOptions(options);
  const gzPath = gzPathOf(path);
  const tmpPath = tmpPathOf(path);
  const source = await fsp.open(path, 'r');
  let stat: Stats;
  let target: fsp.FileHandle;
  try {
    stat = await source.stat();
    if (!stat.isFile()) throw notAFileError(path);
    await fsp.unlink(tmpPath).catch(ignoreMissing);
    target = await fsp.open(tmpPath, CREATE_NEW, stat.mode & 0o7777);
  } catch (error) {
    await source.close();
    throw error;
  }
  let bytesOut: number;
  try {
    // The streams own the handles and close them, also on failure. (A stream made with
    // autoClose: false keeps a reference on its FileHandle, and close() would wait forever.)
    await pipeline(source.createReadStream(), createGzip({ level }), target.createWriteStream());
    const written = await fsp.open(tmpPath, REOPEN);
    try {
      await written.sync();
      await written.chmod(stat.mode & 0o7777);
      await written.utimes(stat.atime, stat.mtime);
      bytesOut = (await written.stat()).size;
    } finally {
      await written.close();
    }
    await fsp.rename(tmpPath, gzPath);
  } catch (error) {
    await fsp.unlink(tmpPath).catch(() => {});
    throw error;
  }
  try {
    await fsp.unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') await fsp.unlink(gzPath).catch(() => {});
    throw error;
  }
  return { path, gzPath, bytesIn: stat.size, bytesOut };
}

/** As compressFile, synchronously: for a thread that cannot run an event loop. Throws. */
export function compressFileSync(path: string, options?: CompressOptions): CompressResult {
  const { level } = gzipOptions(options);
  const gzPath = gzPathOf(path);
  const tmpPath = tmpPathOf(path);
  const source = fs.openSync(path, 'r');
  let bytesIn = 0;
  let bytesOut = 0;
  try {
    const stat = fs.fstatSync(source);
    if (!stat.isFile()) throw notAFileError(path);
    try {
      fs.unlinkSync(tmpPath);
    } catch (error) {
      ignoreMissing(error);
    }
    const target = fs.openSync(tmpPath, CREATE_NEW, stat.mode & 0o7777);
    try {
      const chunk = Buffer.allocUnsafe(Math.min(SYNC_CHUNK_BYTES, Math.max(stat.size, 1)));
      for (;;) {
        const read = fs.readSync(source, chunk, 0, chunk.length, null);
        // An empty file still gets one (empty) member: a .gz must hold at least one.
        if (read === 0 && bytesIn > 0) break;
        const member = gzipSync(chunk.subarray(0, read), { level });
        writeAll(target, member);
        bytesIn += read;
        bytesOut += member.length;
        if (read === 0) break;
      }
      fs.fsyncSync(target);
      fs.fchmodSync(target, stat.mode & 0o7777);
      fs.futimesSync(target, stat.atime, stat.mtime);
    } finally {
      fs.closeSync(target);
    }
    fs.renameSync(tmpPath, gzPath);
  } catch (error) {
    try {
      fs.unlinkSync(tmpPath);
    } catch {
      // Nothing to clean up, or nothing more we can do: the error that matters is thrown below.
    }
    throw error;
  } finally {
    fs.closeSync(source);
  }
  try {
    fs.unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') fs.rmSync(gzPath, { force: true });
    throw error;
  }
  return { path, gzPath, bytesIn, bytesOut };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
}

/** A .tmp that is not there is what a clean start looks like; any other failure is thrown. */
function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
