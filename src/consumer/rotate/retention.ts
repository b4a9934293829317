/**
 * Which rotated files to delete: the newest files are kept as long as both limits hold, and
 * everything older than the first file that would break one is deleted (logback's maxHistory
 * and totalSizeCap, logrotate's `rotate N`). What is kept is always the newest run of files,
 * never a newest file deleted while an older, smaller one stays: logs keep no holes.
 *
 * Only rotated files count; the live file is neither counted nor ever deleted. A single newest
 * file larger than maxTotalBytes is deleted too: the limit is a promise about disk use.
 *
 * Run it after each rotation, on listRotatedFiles()'s list (which includes the file just
 * rotated). A file still being compressed counts at its plain size until its .gz replaces it,
 * so retention may briefly keep fewer bytes than it could, never more.
 */

export interface RetentionLimits {
  /** Rotated files kept at most; undefined for no limit. 0 keeps none (logrotate's `rotate 0`). */
  readonly maxFiles: number | undefined;
  /** Bytes all rotated files may take together; undefined for no limit. */
  readonly maxTotalBytes: number | undefined;
}

/** What retention needs to know of a file (a RotatedFile from rotated-names.ts fits). */
export interface Retainable {
  /** Bytes on disk (all of the file's paths). */
  readonly bytes: number;
  /** Age order: a smaller period is older; within a period, a smaller sequence is older. */
  readonly period: number;
  readonly sequence: number;
}

/** The files to delete, oldest first; `files` may come in any order. */
export function filesToDelete<F extends Retainable>(files: readonly F[], limits: RetentionLimits): F[] {
  const newestFirst = [...files].sort((a, b) => b.period - a.period || b.sequence - a.sequence);
  const maxFiles = limits.maxFiles ?? Infinity;
  const maxTotalBytes = limits.maxTotalBytes ?? Infinity;
  let kept = 0;
  let keptBytes = 0;
  while (kept < newestFirst.length) {
    const bytes = (newestFirst[kept] as F).bytes;
    if (kept + 1 > maxFiles || keptBytes + bytes > maxTotalBytes) break;
    kept++;
    keptBytes += bytes;
  }
  return newestFirst.slice(kept).reverse();
}
