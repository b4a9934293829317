/**
 * Time rotation decisions, kept apart from clocks and files so that tests can walk across
 * midnight and DST changes as tables. Nothing here reads the clock: every function takes `now`
 * (ms since the epoch), and the time zone comes in as an offset function.
 *
 * Intervals (`parseInterval`):
 *
 *   <count><unit>   unit s, m, h, d or w (lowercase): '30s' '15m' '1h' '6h' '1d' '7d' '1w'
 *   'midnight'      the same as '1d'
 *   'hourly' 'daily'  the same as '1h' and '1d'
 *   Python's TimedRotatingFileHandler `when` names, case-insensitive, with interval=1:
 *   'S' 'M' 'H' 'D' 'MIDNIGHT', and 'W0'..'W6' (weekly, starting Monday=0 .. Sunday=6)
 *
 * Limits: at least 1 s (Python's 'S'; a test or a very chatty service may want it). A period
 * shorter than a day must divide a day evenly (1h, 2h, 3h, 4h, 6h, 8h, 12h; 15m, 30m; 10s ...),
 * so that periods start at the same wall-clock times every day. A period of whole days may be at
 * most 366 days ('52w' is allowed, '53w' is not).
 *
 * Alignment: every period starts on a wall-clock boundary, never "N hours after the file was
 * opened" (Python's default for S/M/H/D). '1h' rotates at the top of each hour, '15m' at :00,
 * :15, :30 and :45, '1d' at midnight, '1w' at Monday's midnight, 'W4' at Friday's midnight.
 * This is what logrotate users expect, what date-named files need (a file named
 * app.2026-11-21_13 holds exactly the 13:00 hour, whenever the process started), and it makes a
 * restart continue the same schedule instead of shifting it. Periods of several days ('2d',
 * '7d', '2w') count whole days from Monday 1969-12-29, so '7d' means the same as '1w' and every
 * process agrees on which days start a period.
 *
 * Wall clock and DST: periods are read on the wall clock of the given offset function (local
 * time by default, UTC with `utc: true`). A period ends the first instant the wall clock reaches
 * the start of a later period, so:
 * - a day of 23 or 25 hours still rotates once, at its local midnight;
 * - when the clock jumps forward over a boundary (02:00 -> 03:00, or a zone that skips
 *   midnight), rotation happens at the jump;
 * - when the clock falls back (03:00 -> 02:00), the repeated hour belongs to the period that was
 *   running: '1h' keeps one file for both 02:00 hours, and no period starts twice. Period starts
 *   only ever increase (periodAfter keeps it so when the next line comes after the fall back),
 *   so date-named files sort in the order they were written.
 *
 * Rotation happens before a line is written (`rotationBefore`), as in Python: a process that
 * logs nothing across a boundary rotates at its next line, and a period without lines makes no
 * file. The life of a live file's period:
 *
 *   open (or restart):       period = periodAt(fileStartedAt(now, stat), interval, clock)
 *   before each line:        reason = rotationBefore({ maxFileBytes, rotateAt: period.rotateAt }, fileBytes, lineBytes, now)
 *   'time':                  rotate under period.start's name; period = periodAfter(period, now, ...)
 *   'size':                  rotate under period.start's name (next sequence); period unchanged
 *   'period':                period = periodAfter(period, now, ...); no rotation
 */
import { fail, show } from '../../core/errors.js';
import { shouldRotate } from './numbered.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Longest period of whole days: a year, leap or not. */
export const INTERVAL_MAX_DAYS = 366;

/**
 * Day number (days since 1970-01-01, a Thursday) of Monday 1969-12-29, from which periods of
 * several days and weeks are counted, so that '1w' and '7d' start on Mondays (ISO weeks).
 */
const MONDAY_DAY = -3;

/**
 * A parsed interval. Periods shorter than a day are `{ unit: 'ms' }` of a length that divides a
 * day; the others are `{ unit: 'day' }`: a period starts on each day number `d` (days since
 * 1970-01-01 on the wall clock) with `(d - anchorDay) % length === 0`.
 */
export type Interval =
  | { readonly unit: 'ms'; readonly length: number; readonly text: string }
  | { readonly unit: 'day'; readonly length: number; readonly anchorDay: number; readonly text: string };

/** The wall clock's offset from UTC at an instant, in ms: local time = utc + offset(utc). */
export type OffsetFn = (epochMs: number) => number;

export interface ClockOptions {
  /** Read periods on the UTC wall clock instead of local time. Default false (local), like Python. */
  readonly utc?: boolean;
  /** The local offset; default the process time zone (`Date#getTimezoneOffset`). For tests. */
  readonly offset?: OffsetFn;
}

/** The process time zone's offset at an instant (TZ, or the system zone). */
export const localOffset: OffsetFn = (epochMs) => -new Date(epochMs).getTimezoneOffset() * MINUTE_MS;
const utcOffset: OffsetFn = () => 0;

const UNIT_MS: Readonly<Record<string, number>> = { s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS };
const UNIT_DAYS: Readonly<Record<string, number>> = { d: 1, w: 7 };

/** Words, and Python's `when` names (matched case-insensitively), as `<count><unit>`. */
const NAMED: Readonly<Record<string, string>> = {
  midnight: '1d',
  hourly: '1h',
  daily: '1d',
  s: '1s',
  m: '1m',
  h: '1h',
  d: '1d',
};

const COUNTED = /^(\d{1,9})([smhdw])$/;
const WEEKDAY = /^w([0-6])$/;
const GRAMMAR =
  "like '1h', '1d' or 'midnight' (a count and a unit s, m, h, d or w; or midnight, hourly, daily, or Python's S, M, H, D, W0-W6)";

/**
 * Parses an interval option; `optionPath` names it in errors, e.g.
 * `sinks[1].rotate.interval must be like '1h', '1d' or 'midnight' (...); received '1 hour'`.
 * Errors are TypeErrors for a malformed value and RangeErrors for a count out of range, with
 * code ERR_RINGLOG_OPTION, as in options.ts.
 */
export function parseInterval(value: unknown, optionPath: string): Interval {
  if (typeof value !== 'string') fail(TypeError, `${optionPath} must be a string ${GRAMMAR}; received ${show(value)}`);
  const lower = value.toLowerCase();
  const weekday = WEEKDAY.exec(lower);
  if (weekday !== null) {
    // Python numbers weekdays from Monday = 0; day numbers count from Monday 1969-12-29.
    return Object.freeze({ unit: 'day', length: 7, anchorDay: MONDAY_DAY + Number(weekday[1]), text: value });
  }
  const named = Object.hasOwn(NAMED, lower) ? NAMED[lower] : undefined;
  // Counted forms are lowercase only: '1M' would read as a month to some and a minute to others.
  const match = COUNTED.exec(named ?? value);
  if (match === null) fail(TypeError, `${optionPath} must be ${GRAMMAR}; received ${show(value)}`);
  const count = Number(match[1]);
  const unit = match[2] as string;
  if (count === 0) fail(RangeError, `${optionPath} must be at least 1s; received ${show(value)}`);
  const unitMs = UNIT_MS[unit];
  const days = unitMs === undefined ? count * (UNIT_DAYS[unit] as number) : (count * unitMs) / DAY_MS;
  if (days < 1 && DAY_MS % (count * (unitMs as number)) === 0) {
    return Object.freeze({ unit: 'ms', length: count * (unitMs as number), text: value });
  }
  if (!Number.isInteger(days)) {
    fail(
      RangeError,
      `${optionPath} must be whole days, or shorter than a day and divide it evenly (such as 1h, 2h, 3h, ` +
        `4h, 6h, 8h, 12h, 15m, 30m or 10s) so that periods start at the same times every day; received ${show(value)}`,
    );
  }
  if (days > INTERVAL_MAX_DAYS) {
    fail(RangeError, `${optionPath} must be at most ${INTERVAL_MAX_DAYS} days ('52w'); received ${show(value)}`);
  }
  return dayInterval(days, value);
}

function dayInterval(days: number, text: string): Interval {
  return Object.freeze({ unit: 'day', length: days, anchorDay: MONDAY_DAY, text });
}

function offsetOf(options: ClockOptions | undefined): OffsetFn {
  return options?.utc === true ? utcOffset : (options?.offset ?? localOffset);
}

/** The wall-clock start of the period that holds wall time `wall`. */
function periodStartWall(wall: number, interval: Interval): number {
  if (interval.unit === 'ms') return floorTo(wall, interval.length);
  const day = Math.floor(wall / DAY_MS);
  return (day - mod(day - interval.anchorDay, interval.length)) * DAY_MS;
}

function nextPeriodWall(startWall: number, interval: Interval): number {
  return startWall + (interval.unit === 'ms' ? interval.length : interval.length * DAY_MS);
}

/**
 * The start of the period that holds `now`, as wall-clock ms: the local date and time of the
 * start read with getUTC*() methods (2026-11-21T13:00 local is Date.UTC(2026, 10, 21, 13)).
 * This is the date a rotated file is named by: the period it covers.
 */
export function periodStart(now: number, interval: Interval, options?: ClockOptions): number {
  const offset = offsetOf(options);
  return periodStartWall(now + offset(now), interval);
}

/**
 * The instant (ms since the epoch) at which the period holding `now` ends: the first instant
 * after `now` whose wall clock has reached the start of the next period. Compute it when a file
 * is opened, keep it, and rotate before the first line at or after it.
 */
export function nextRotationAt(now: number, interval: Interval, options?: ClockOptions): number {
  const offset = offsetOf(options);
  const target = nextPeriodWall(periodStartWall(now + offset(now), interval), interval);
  return firstInstantAtWall(target, now, offset);
}

/**
 * Offsets change at most a few times a year, and no zone has had two changes less than a few
 * weeks apart; looking for changes a week at a time finds each of them.
 */
const SCAN_STEP_MS = 7 * DAY_MS;
/** A bound on the loop below for an offset function that changes absurdly often. */
const MAX_OFFSET_CHANGES = 64;

/**
 * The first instant after `from` whose wall clock (t + offset(t)) is at or past `wall`, given
 * that the wall clock at `from` is before it. With a constant offset that is `wall - offset`;
 * when the offset changes on the way, the wall clock jumps: forward over the target (the
 * instant of the jump is the answer) or back (the target is further away).
 */
function firstInstantAtWall(wall: number, from: number, offset: OffsetFn): number {
  let t = from;
  let current = offset(t);
  for (let changes = 0; changes < MAX_OFFSET_CHANGES; changes++) {
    const reached = wall - current; // > t, since t + current < wall
    const change = firstOffsetChange(t, reached, current, offset);
    if (change === undefined) return reached;
    current = offset(change);
    if (change + current >= wall) return change;
    t = change;
  }
  return wall - current;
}

/** The first instant in (from, to] where the offset is no longer `current`, to the ms. */
function firstOffsetChange(from: number, to: number, current: number, offset: OffsetFn): number | undefined {
  for (let lo = from; lo < to; ) {
    let hi = Math.min(lo + SCAN_STEP_MS, to);
    if (offset(hi) === current) {
      lo = hi;
      continue;
    }
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (offset(mid) === current) lo = mid;
      else hi = mid;
    }
    return hi;
  }
  return undefined;
}

/** The period a live file belongs to: named by `start`, rotated at `rotateAt`. */
export interface Period {
  /** `periodStart()`: the wall-clock start the rotated file is named by. */
  readonly start: number;
  /** `nextRotationAt()`: rotate before the first line at or after this instant. */
  readonly rotateAt: number;
}

/**
 * The period of a live file opened at `now` (or found non-empty at startup: see fileStartedAt).
 * After a 'size' rotation keep the period as it was: the new file continues it under the next
 * sequence number. After 'time' or 'period', use periodAfter.
 */
export function periodAt(now: number, interval: Interval, options?: ClockOptions): Period {
  return Object.freeze({ start: periodStart(now, interval, options), rotateAt: nextRotationAt(now, interval, options) });
}

/**
 * The longest a wall clock falls back at a DST change, with margin: tzdb's largest is 2 hours
 * (double summer time ending, Antarctica/Troll).
 */
const MAX_FALL_BACK_MS = 3 * HOUR_MS;

/**
 * The period that follows `previous` when a line comes at `now` after previous.rotateAt
 * ('time' or 'period'). Usually periodAt(now). But the wall clock may have fallen back since
 * `previous` ended: a '15m' period 02:30 CEST ends when the wall clock reads 02:45, and a line
 * at 02:05 CET, after the fall back, would read as the earlier 02:00 period. The new period
 * then starts right after the previous one (02:45, running until the wall clock reads 03:00
 * again), so that period starts, and the names of rotated files, only increase. A clock set
 * back further than any DST change (by hand) is followed instead.
 */
export function periodAfter(previous: Period, now: number, interval: Interval, options?: ClockOptions): Period {
  const offset = offsetOf(options);
  const wall = now + offset(now);
  const own = periodStartWall(wall, interval);
  const following = nextPeriodWall(periodStartWall(previous.start, interval), interval);
  const start = own < following && following - wall <= MAX_FALL_BACK_MS ? following : own;
  return Object.freeze({ start, rotateAt: firstInstantAtWall(nextPeriodWall(start, interval), now, offset) });
}

/**
 * When a file opened at startup already holds lines, the period it covers is that of its last
 * write (Python reads the same mtime): an app.log last written yesterday rotates, under
 * yesterday's date, before today's first line. An empty or new file starts now. A modification
 * time in the future (a clock set back) counts as now.
 */
export function fileStartedAt(now: number, existing: { readonly size: number; readonly mtimeMs: number } | undefined): number {
  if (existing === undefined || existing.size === 0) return now;
  return Math.min(now, existing.mtimeMs);
}

/**
 * What to do before a line of `lineBytes`:
 * - 'time': the live file's period is over; rotate it under its period's name, then start
 *   the next period (periodAfter).
 * - 'size': the line would make the file larger than maxFileBytes (numbered.ts's rule); the
 *   period goes on in the next file (see periodAt).
 * - 'period': the period is over but the file is empty: nothing to rotate, but start a new
 *   period (periodAfter) and keep writing to the same file.
 * - 'none': append.
 * Time is checked first: a line that both crosses a boundary and overflows the file rotates
 * once, by time, and starts the new period's file.
 */
export type RotationReason = 'none' | 'size' | 'time' | 'period';

export interface RotationLimits {
  /** Size limit in bytes; undefined for none. */
  readonly maxFileBytes: number | undefined;
  /** `nextRotationAt()` of the live file's period; undefined without time rotation. */
  readonly rotateAt: number | undefined;
}

/** `fileBytes` counts the live file's bytes on disk plus those buffered for it. */
export function rotationBefore(
  limits: RotationLimits,
  fileBytes: number,
  lineBytes: number,
  now: number,
): RotationReason {
  if (limits.rotateAt !== undefined && now >= limits.rotateAt) return fileBytes > 0 ? 'time' : 'period';
  return shouldRotate(limits.maxFileBytes, fileBytes, lineBytes) ? 'size' : 'none';
}

function floorTo(value: number, step: number): number {
  return value - mod(value, step);
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

