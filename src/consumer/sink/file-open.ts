/**
 * Opening a log file and making its directory with the permissions the user asked for
 * (`mode`, `dirMode`) and, with `noFollow`, never through a symlink at the log path.
 *
 * Modes: open(2) and mkdir(2) apply the umask, so a file asked to be 0660 under umask 022 would
 * come out 0640. The file is fchmod'ed and each directory made chmod'ed to the exact mode after
 * creation (swap.ts's openWithMode; the rotated and gzipped files inherit the live file's mode).
 * Without them, as before they existed: the umask decides, and a file found keeps its mode.
 *
 * noFollow: a process that writes its logs as root into a directory someone else can write to
 * can be made to append to (or, at rotation, create) any file through a symlink planted at the
 * log path. O_NOFOLLOW makes open(2) fail with ELOOP when the last component of the path is a
 * symlink; the error says so and names the path. Directories above it are followed as usual.
 */
import * as nodeFs from 'node:fs';
import { join, relative, sep } from 'node:path';
import { openWithMode, type ReopenPort } from '../rotate/swap.js';

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_WRONLY } = nodeFs.constants;

/** How log files and their directory are made (config/outputs.ts resolves and checks them). */
export interface FileAccess {
  /** Permission bits of the live, rotated and gzipped files; undefined: the umask's. */
  readonly mode: number | undefined;
  /** Permission bits of the directories ringlog creates; undefined: the umask's. */
  readonly dirMode: number | undefined;
  /** Refuse a symlink at the log path (O_NOFOLLOW). */
  readonly noFollow: boolean;
}

/** The part of node:fs this module uses. */
export interface OpenPort extends ReopenPort {
  openSync(path: string, flags: number, mode?: number): number;
  /** Returns the first directory it created, or undefined when all existed. */
  mkdirSync(path: string, options: { recursive: true; mode?: number }): string | undefined;
  chmodSync(path: string, mode: number): void;
}

/** The flag that refuses a symlink at the path, when asked for; 0 where the platform has none. */
export function noFollowFlag(noFollow: boolean): number {
  return noFollow ? (O_NOFOLLOW ?? 0) : 0;
}

/** Creates `dir` and its missing parents; with `dirMode`, each one created gets exactly that mode. */
export function makeLogDir(fs: OpenPort, dir: string, dirMode: number | undefined): void {
  const first = fs.mkdirSync(dir, dirMode === undefined ? { recursive: true } : { recursive: true, mode: dirMode });
  if (dirMode === undefined || first === undefined) return;
  // From the topmost directory made down to `dir`: directories that existed keep their mode.
  let each = first;
  fs.chmodSync(each, dirMode);
  for (const name of relative(first, dir).split(sep)) {
    if (name === '') continue;
    each = join(each, name);
    fs.chmodSync(each, dirMode);
  }
}

/** Opens the log file at `path` for appending, creating it, as `access` says. */
export function openLogFile(fs: OpenPort, path: string, access: FileAccess): number {
  const follow = noFollowFlag(access.noFollow);
  try {
    return access.mode === undefined
      ? fs.openSync(path, O_WRONLY | O_CREAT | O_APPEND | follow, 0o666)
      : openWithMode(fs, path, access.mode, follow);
  } catch (error) {
    throw access.noFollow ? symlinkRefused(path, error) : error;
  }
}

/** ELOOP from an O_NOFOLLOW open means a symlink at the path: say that, naming the path. */
function symlinkRefused(path: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ELOOP') return error;
  return Object.assign(
    new Error(`ELOOP: ${path} is a symbolic link, and noFollow is set: a log file is never opened through a link`, { cause: error }),
    { code: 'ELOOP', syscall: 'open', path },
  );
}
