/**
 * Log levels, with pino's numbers so that pino-pretty and friends read our output unchanged.
 * Shared by producers (filtering before anything is encoded) and the consumer (rendering).
 */
export const LEVELS = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
} as const);

export type LevelName = keyof typeof LEVELS;
/** A level threshold: a level name, or `silent` to filter out everything. */
export type LevelOption = LevelName | 'silent';

export const LEVEL_NAMES: readonly LevelName[] = Object.freeze(
  Object.keys(LEVELS) as LevelName[],
);

/** Threshold value of `silent`: above every level, so nothing passes. */
export const SILENT = Number.POSITIVE_INFINITY;

export function isLevelOption(value: unknown): value is LevelOption {
  return value === 'silent' || (typeof value === 'string' && Object.hasOwn(LEVELS, value));
}

/** The numeric threshold for a level name (`silent` is above every level). */
export function levelValue(level: LevelOption): number {
  return level === 'silent' ? SILENT : LEVELS[level];
}

/** The name for a level number; numbers between levels round down, as thresholds do. */
export function levelNameOf(value: number): LevelOption {
  if (value === SILENT) return 'silent';
  let name: LevelName = 'trace';
  for (const candidate of LEVEL_NAMES) if (LEVELS[candidate] <= value) name = candidate;
  return name;
}
