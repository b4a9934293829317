/**
 * A real small disk for the tests that need one to fill up: a tmpfs mounted on a directory
 * (Linux, as root). Where mounting is not allowed the caller skips, with the reason this returns.
 */
import { spawnSync } from 'node:child_process';

/** Mounts a tmpfs of `size` (as mount's `-o size=`, such as '256k') on `dir`; why not, or undefined when it did. */
export function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return `tmpfs is Linux's (this is ${process.platform})`;
  const run = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (run.status === 0) return undefined;
  return run.error?.message ?? (run.stderr.trim() || `mount exited with ${String(run.status)}`);
}

export function unmountTmpfs(dir: string): void {
  spawnSync('umount', [dir]);
}
