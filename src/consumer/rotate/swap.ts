/**
 * Replacing the live file at rotation, seen from outside: the new file has the old one's
 * permissions, and readers that follow the path (`tail -F`, log shippers) find a whole file
 * at it at every instant.
 *
 * Permissions: open(2) applies the umask to a new file's mode, so a log made 0640 or 0666 by
 * an admin would come back 0644 after the first rotation. The new file is created with the old
 * one's mode (or the configured `mode`) and then fchmod'ed to it (logrotate's `create` does the
 * same).
 *
 * The swap: renaming the live file away and opening a new one leaves a moment without a file at
 * the path, and a reader that opens it then fails. Instead the new file is made first under a
 * temporary name, the live file gets its rotated name as a second hard link, and a rename moves
 * the new file over the live name. rename(2) replaces the target atomically, so the path always
 * names either the old file (complete) or the new one. Where hard links are not supported
 * (some network and FAT file systems), two renames do the same with that short gap.
 *
 * The old descriptor stays valid throughout (it is the rotated file now): the caller writes out
 * what belongs to the old file, swaps, then closes the old descriptor.
 */
import * as nodeFs from 'node:fs';

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_TRUNC, O_WRONLY } = nodeFs.constants;

/** Suffix of the new live file while it is being set up; a crash leaves it to be overwritten. */
const NEXT_SUFFIX = '.next';

/** Errors that mean "no hard links here": fall back to two renames. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** The part of node:fs the swap uses. */
export interface ReopenPort {
  openSync(path: string, flags: number, mode?: number): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): { mode: number };
  fchmodSync(fd: number, mode: number): void;
  linkSync(existingPath: string, newPath: string): void;
  renameSync(oldPath: string, newPath: string): void;
  unlinkSync(path: string): void;
  existsSync(path: string): boolean;
}

/** The permission bits (including setgid and sticky) of an open file. */
export function fileMode(fs: ReopenPort, fd: number): number {
  return fs.fstatSync(fd).mode & 0o7777;
}

/**
 * Opens `path` for appending, creating it with exactly `mode` whatever the umask. A file that
 * already exists keeps its content; its mode is set too, unless it belongs to someone else
 * (EPERM), in which case it keeps its own. `flags` adds to the open's flags (O_TRUNC, O_NOFOLLOW).
 */
export function openWithMode(fs: ReopenPort, path: string, mode: number, flags = 0): number {
  const fd = fs.openSync(path, O_WRONLY | O_CREAT | O_APPEND | flags, mode);
  try {
    if (fileMode(fs, fd) !== mode) fs.fchmodSync(fd, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') {
      fs.closeSync(fd);
      throw error;
    }
  }
  return fd;
}

export interface SwapOptions {
  /** The live file's descriptor, still open: its mode is copied. */
  readonly fd: number;
  readonly livePath: string;
  /** Where the live file goes; must not exist (EEXIST otherwise, and nothing changes). */
  readonly rotatedPath: string;
  /** The new file's mode (the configured `mode`); default the old one's. */
  readonly mode?: number | undefined;
}

/**
 * Moves the live file to `rotatedPath` and puts a new, empty file with the same mode at
 * `livePath`; returns the new file's descriptor (opened for appending). On failure nothing has
 * moved, except when the second rename of the fallback fails: then the live file is already at
 * `rotatedPath` and the error says why no new file replaced it.
 */
export function swapLiveFile(fs: ReopenPort, options: SwapOptions): number {
  const { fd, livePath, rotatedPath } = options;
  const mode = options.mode ?? fileMode(fs, fd);
  const nextPath = livePath + NEXT_SUFFIX;
  // The temporary name is ringlog's own: a symlink planted there is never followed (O_TRUNC
  // would empty its target). (Where the platform has no O_NOFOLLOW, the constant is undefined: 0.)
  const nextFd = openWithMode(fs, nextPath, mode, O_TRUNC | O_NOFOLLOW);
  let linked = false;
  try {
    try {
      fs.linkSync(livePath, rotatedPath);
      linked = true;
    } catch (error) {
      if (!NO_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
    // With a link, the live name still holds the old file until this rename replaces it with
    // the new one in one step. Without, the old file moves first and the path is briefly empty.
    if (!linked) renameNoReplace(fs, livePath, rotatedPath);
    fs.renameSync(nextPath, livePath);
    return nextFd;
  } catch (error) {
    // The link made above is a second name of the live file, which is still at its path: take
    // it back, or the next rotation would find the rotated name taken by the live file itself.
    if (linked) {
      try {
        fs.unlinkSync(rotatedPath);
      } catch {
        // The error that matters is the one thrown below.
      }
    }
    fs.closeSync(nextFd);
    try {
      fs.unlinkSync(nextPath);
    } catch {
      // Already gone or never made: the error that matters is the one thrown below.
    }
    throw error;
  }
}

/**
 * rename(2) would silently replace an existing target; rotation never overwrites a file, so the
 * fallback checks first (a link makes that check itself, with EEXIST).
 */
function renameNoReplace(fs: ReopenPort, from: string, to: string): void {
  if (fs.existsSync(to)) {
    throw Object.assign(new Error(`EEXIST: file already exists, rename '${from}' -> '${to}'`), { code: 'EEXIST', path: to });
  }
  fs.renameSync(from, to);
}
