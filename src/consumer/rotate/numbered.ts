/**
 * Rotation decisions, kept apart from the file system so that they can be tested as tables.
 * The file sink asks `shouldRotate()` before each line and, when it says yes, carries out the
 * steps of `planRotation()` with its fs port.
 *
 * Files are named like Python's RotatingFileHandler and logrotate: `path` is the live file
 * (index 0 below), `path.1` the newest rotated file, `path.<maxFiles>` the oldest one kept.
 */

/** One file-system step of a rotation. Indices: 0 is the live file, k >= 1 is `path.k`. */
export type RotationStep =
  | { readonly kind: 'unlink'; readonly index: number }
  | { readonly kind: 'rename'; readonly from: number; readonly to: number };

/**
 * Whether the live file must be rotated before a line of `lineBytes` bytes is added to it.
 * `fileBytes` counts everything already destined for the file: bytes on disk plus bytes still
 * buffered ahead of this line. A line that exactly fills the file stays; an empty file takes
 * any line, however large, so a single oversized line cannot rotate forever.
 */
export function shouldRotate(
  maxFileBytes: number | undefined,
  fileBytes: number,
  lineBytes: number,
): boolean {
  return maxFileBytes !== undefined && fileBytes > 0 && fileBytes + lineBytes > maxFileBytes;
}

/**
 * The steps that shift every file up by one index, deleting the oldest when all `maxFiles`
 * slots are taken. `exists(index)` is probed in ascending order and only up to the first
 * missing index: only the run of files below that gap has to move (the gap absorbs the shift),
 * so a rotation costs O(files that exist) rather than O(maxFiles), which matters with ~1000
 * files. Files above a gap, or above `maxFiles`, are left alone; no step ever renames onto an
 * existing file, so the plan means the same on every platform.
 *
 * Steps must be carried out in order (the unlink first, then renames from the oldest down).
 */
export function planRotation(
  maxFiles: number,
  exists: (index: number) => boolean,
): RotationStep[] {
  let firstGap = 0;
  while (firstGap <= maxFiles && exists(firstGap)) firstGap++;

  const steps: RotationStep[] = [];
  if (firstGap > maxFiles) {
    // Every slot up to the oldest is taken: the oldest makes room by going away.
    steps.push({ kind: 'unlink', index: maxFiles });
    firstGap = maxFiles;
  }
  for (let index = firstGap - 1; index >= 0; index--) {
    steps.push({ kind: 'rename', from: index, to: index + 1 });
  }
  return steps;
}

/** The file name for an index: the live file for 0, `path.<index>` otherwise. */
export function rotatedPath(path: string, index: number): string {
  return index === 0 ? path : `${path}.${index}`;
}
