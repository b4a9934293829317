/**
 * Time rotation decisions. Time zones are injected as offset functions written from the tz
 * database's rules for the dates used, so these tables mean the same on any CI machine; a child
 * process with TZ set checks that the default (the process time zone) gives the same answers.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  fileStartedAt,
  nextRotationAt,
  parseInterval,
  periodAfter,
  periodAt,
  periodStart,
  rotationBefore,
  type OffsetFn,
} from '../../../../src/consumer/rotate/schedule.js';

const H = 3600_000;
const utc = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** An offset that is `before` until `at` (UTC) and `after` from then on; several changes chain. */
function zone(base: number, ...changes: [at: string, offset: number][]): OffsetFn {
  const list = changes.map(([at, offset]) => ({ at: utc(at), offset }));
  return (t) => {
    let offset = base;
    for (const change of list) if (t >= change.at) offset = change.offset;
    return offset;
  };
}

// Europe/Berlin 2026: CEST from 2026-03-29 01:00Z (02:00 -> 03:00) to 2026-10-25 01:00Z (03:00 -> 02:00).
const berlin = zone(1 * H, ['2026-03-29T01:00', 2 * H], ['2026-10-25T01:00', 1 * H]);
// America/New_York 2026: EDT from 2026-03-08 07:00Z to 2026-11-01 06:00Z.
const newYork = zone(-5 * H, ['2026-03-08T07:00', -4 * H], ['2026-11-01T06:00', -5 * H]);
// America/Sao_Paulo 2018: DST began at local midnight of 2018-11-04 (00:00 -> 01:00, at 03:00Z).
const saoPaulo = zone(-3 * H, ['2018-11-04T03:00', -2 * H]);
// Asia/Kolkata: +05:30 all year.
const kolkata: OffsetFn = () => 5.5 * H;
const inUtc: OffsetFn = () => 0;

describe('parseInterval', () => {
  it.each([
    ['1s', { unit: 'ms', length: 1000 }],
    ['30s', { unit: 'ms', length: 30_000 }],
    ['15m', { unit: 'ms', length: 15 * 60_000 }],
    ['1h', { unit: 'ms', length: H }],
    ['6h', { unit: 'ms', length: 6 * H }],
    ['12h', { unit: 'ms', length: 12 * H }],
    ['24h', { unit: 'day', length: 1, anchorDay: -3 }],
    ['1440m', { unit: 'day', length: 1, anchorDay: -3 }],
    ['48h', { unit: 'day', length: 2, anchorDay: -3 }],
    ['1d', { unit: 'day', length: 1, anchorDay: -3 }],
    ['7d', { unit: 'day', length: 7, anchorDay: -3 }],
    ['1w', { unit: 'day', length: 7, anchorDay: -3 }],
    ['2w', { unit: 'day', length: 14, anchorDay: -3 }],
    ['366d', { unit: 'day', length: 366, anchorDay: -3 }],
    ['midnight', { unit: 'day', length: 1, anchorDay: -3 }],
    ['MIDNIGHT', { unit: 'day', length: 1, anchorDay: -3 }],
    ['daily', { unit: 'day', length: 1, anchorDay: -3 }],
    ['hourly', { unit: 'ms', length: H }],
    ['S', { unit: 'ms', length: 1000 }],
    ['M', { unit: 'ms', length: 60_000 }],
    ['m', { unit: 'ms', length: 60_000 }],
    ['H', { unit: 'ms', length: H }],
    ['D', { unit: 'day', length: 1, anchorDay: -3 }],
    ['W0', { unit: 'day', length: 7, anchorDay: -3 }],
    ['w4', { unit: 'day', length: 7, anchorDay: 1 }],
    ['W6', { unit: 'day', length: 7, anchorDay: 3 }],
  ])('%s', (text, expected) => {
    expect(parseInterval(text, 'rotate.interval')).toEqual({ ...expected, text });
  });

  it.each([
    ['1 hour', TypeError, /^ringlog: sinks\[1\]\.rotate\.interval must be like '1h', '1d' or 'midnight' .*; received '1 hour'$/],
    ['1M', TypeError, /received '1M'/],
    ['1H', TypeError, /received '1H'/],
    ['W7', TypeError, /received 'W7'/],
    ['1.5h', TypeError, /received '1.5h'/],
    ['-1h', TypeError, /received '-1h'/],
    ['', TypeError, /received ''/],
    [3600, TypeError, /must be a string like .*; received 3600/],
    [undefined, TypeError, /received undefined/],
    ['0s', RangeError, /must be at least 1s; received '0s'/],
    ['0d', RangeError, /must be at least 1s; received '0d'/],
    ['7h', RangeError, /divide it evenly .*; received '7h'/],
    ['7m', RangeError, /received '7m'/],
    ['25h', RangeError, /must be whole days, or shorter than a day and divide it evenly.*received '25h'/],
    ['constructor', TypeError, /received 'constructor'/],
    ['8808h', RangeError, /must be at most 366 days/],
    ['367d', RangeError, /must be at most 366 days \('52w'\); received '367d'/],
    ['53w', RangeError, /received '53w'/],
  ])('rejects %j, naming the option', (value, kind, message) => {
    const parse = (): unknown => parseInterval(value, 'sinks[1].rotate.interval');
    expect(parse).toThrow(kind);
    expect(parse).toThrow(message);
    expect(parse).toThrow(expect.objectContaining({ code: 'ERR_RINGLOG_OPTION' }));
  });
});

describe('nextRotationAt and periodStart: aligned to wall-clock boundaries', () => {
  it.each([
    // interval, offset, now (UTC), next rotation (UTC), period start (wall clock)
    ['1s', inUtc, '2026-11-21T13:04:05.250Z', '2026-11-21T13:04:06Z', '2026-11-21T13:04:05Z'],
    ['30s', inUtc, '2026-11-21T13:04:45Z', '2026-11-21T13:05:00Z', '2026-11-21T13:04:30Z'],
    ['15m', inUtc, '2026-11-21T13:04:05Z', '2026-11-21T13:15:00Z', '2026-11-21T13:00:00Z'],
    ['15m', inUtc, '2026-11-21T13:15:00Z', '2026-11-21T13:30:00Z', '2026-11-21T13:15:00Z'],
    ['1h', inUtc, '2026-11-21T13:59:59.999Z', '2026-11-21T14:00:00Z', '2026-11-21T13:00:00Z'],
    ['1h', inUtc, '2026-11-21T14:00:00Z', '2026-11-21T15:00:00Z', '2026-11-21T14:00:00Z'],
    ['6h', inUtc, '2026-11-21T13:00:00Z', '2026-11-21T18:00:00Z', '2026-11-21T12:00:00Z'],
    ['6h', inUtc, '2026-11-21T23:00:00Z', '2026-11-22T00:00:00Z', '2026-11-21T18:00:00Z'],
    ['midnight', inUtc, '2026-11-21T13:00:00Z', '2026-11-22T00:00:00Z', '2026-11-21T00:00:00Z'],
    ['1d', inUtc, '2026-12-31T23:59:59Z', '2027-01-01T00:00:00Z', '2026-12-31T00:00:00Z'],
    // 2026-11-21 is a Saturday.
    ['1w', inUtc, '2026-11-21T13:00:00Z', '2026-11-23T00:00:00Z', '2026-11-16T00:00:00Z'],
    ['7d', inUtc, '2026-11-21T13:00:00Z', '2026-11-23T00:00:00Z', '2026-11-16T00:00:00Z'],
    ['W0', inUtc, '2026-11-23T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-23T00:00:00Z'],
    ['W4', inUtc, '2026-11-21T13:00:00Z', '2026-11-27T00:00:00Z', '2026-11-20T00:00:00Z'],
    ['W6', inUtc, '2026-11-21T13:00:00Z', '2026-11-22T00:00:00Z', '2026-11-15T00:00:00Z'],
    // 2d counts days from Monday 1969-12-29: 2026-11-16 (a Monday, day 20408) starts a period.
    ['2d', inUtc, '2026-11-17T13:00:00Z', '2026-11-18T00:00:00Z', '2026-11-16T00:00:00Z'],
    // Local time: Berlin in winter is UTC+1, so local midnight is 23:00Z.
    ['midnight', berlin, '2026-11-21T13:00:00Z', '2026-11-21T23:00:00Z', '2026-11-21T00:00:00Z'],
    ['midnight', berlin, '2026-11-21T23:30:00Z', '2026-11-22T23:00:00Z', '2026-11-22T00:00:00Z'],
    ['1h', berlin, '2026-11-21T13:30:00Z', '2026-11-21T14:00:00Z', '2026-11-21T14:00:00Z'],
    // A half-hour zone: '1h' rotates at the top of the local hour, which is :30 UTC.
    ['1h', kolkata, '2026-11-21T13:00:00Z', '2026-11-21T13:30:00Z', '2026-11-21T18:00:00Z'],
    ['midnight', kolkata, '2026-11-21T13:00:00Z', '2026-11-21T18:30:00Z', '2026-11-21T00:00:00Z'],
    ['midnight', newYork, '2026-11-21T13:00:00Z', '2026-11-22T05:00:00Z', '2026-11-21T00:00:00Z'],
  ])('%s from %#: next %s', (text, offset, now, next, start) => {
    const interval = parseInterval(text, 'interval');
    expect(iso(nextRotationAt(utc(now), interval, { offset }))).toBe(next);
    expect(iso(periodStart(utc(now), interval, { offset }))).toBe(start);
  });

  it('utc: true ignores the offset function', () => {
    const interval = parseInterval('midnight', 'interval');
    const now = utc('2026-11-21T13:00:00Z');
    expect(iso(nextRotationAt(now, interval, { utc: true, offset: berlin }))).toBe('2026-11-22T00:00:00Z');
    expect(iso(periodStart(now, interval, { utc: true, offset: berlin }))).toBe('2026-11-21T00:00:00Z');
  });
});

/** Every rotation instant from `from` until `until`, each computed from the previous one. */
function rotations(text: string, offset: OffsetFn, from: string, until: string): string[] {
  const interval = parseInterval(text, 'interval');
  const out: string[] = [];
  for (let t = nextRotationAt(utc(from), interval, { offset }); t <= utc(until); t = nextRotationAt(t, interval, { offset })) {
    out.push(`${iso(t)} ${iso(periodStart(t, interval, { offset })).slice(0, 16)}`);
  }
  return out;
}

describe('DST: one rotation per local period, period starts only increase', () => {
  it('Berlin spring forward: the 23-hour day rotates once, at each local midnight', () => {
    expect(rotations('midnight', berlin, '2026-03-28T12:00', '2026-03-30T23:00')).toEqual([
      '2026-03-28T23:00:00Z 2026-03-29T00:00', // midnight CET
      '2026-03-29T22:00:00Z 2026-03-30T00:00', // midnight CEST: 23 hours later
      '2026-03-30T22:00:00Z 2026-03-31T00:00',
    ]);
  });

  it('Berlin fall back: the 25-hour day rotates once, at each local midnight', () => {
    expect(rotations('midnight', berlin, '2026-10-24T12:00', '2026-10-26T22:00')).toEqual([
      '2026-10-24T22:00:00Z 2026-10-25T00:00', // midnight CEST
      '2026-10-25T23:00:00Z 2026-10-26T00:00', // midnight CET: 25 hours later
    ]);
  });

  it('New York: spring forward and fall back at local midnight', () => {
    expect(rotations('1d', newYork, '2026-03-07T12:00', '2026-03-09T12:00')).toEqual([
      '2026-03-08T05:00:00Z 2026-03-08T00:00',
      '2026-03-09T04:00:00Z 2026-03-09T00:00',
    ]);
    expect(rotations('1d', newYork, '2026-10-31T12:00', '2026-11-02T12:00')).toEqual([
      '2026-11-01T04:00:00Z 2026-11-01T00:00',
      '2026-11-02T05:00:00Z 2026-11-02T00:00',
    ]);
  });

  it("'1h' across spring forward: 01:00 is followed by 03:00 at the jump", () => {
    expect(rotations('1h', berlin, '2026-03-28T23:30', '2026-03-29T02:00')).toEqual([
      '2026-03-29T00:00:00Z 2026-03-29T01:00',
      '2026-03-29T01:00:00Z 2026-03-29T03:00', // 02:00 CET does not exist: 03:00 CEST
      '2026-03-29T02:00:00Z 2026-03-29T04:00',
    ]);
  });

  it("'2h' across spring forward: the boundary 02:00 is skipped over, rotation at the jump", () => {
    expect(rotations('2h', berlin, '2026-03-28T23:30', '2026-03-29T04:00')).toEqual([
      '2026-03-29T01:00:00Z 2026-03-29T02:00',
      '2026-03-29T02:00:00Z 2026-03-29T04:00',
      '2026-03-29T04:00:00Z 2026-03-29T06:00',
    ]);
  });

  it("'1h' across fall back: both 02:00 hours are one period, no period starts twice", () => {
    expect(rotations('1h', berlin, '2026-10-24T23:30', '2026-10-25T03:00')).toEqual([
      '2026-10-25T00:00:00Z 2026-10-25T02:00', // 02:00 CEST
      '2026-10-25T02:00:00Z 2026-10-25T03:00', // 03:00 CET, two hours later
      '2026-10-25T03:00:00Z 2026-10-25T04:00',
    ]);
  });

  it("'30m' across fall back: the 02:30 period runs until 03:00 CET", () => {
    expect(rotations('30m', berlin, '2026-10-25T00:10', '2026-10-25T02:30')).toEqual([
      '2026-10-25T00:30:00Z 2026-10-25T02:30',
      '2026-10-25T02:00:00Z 2026-10-25T03:00',
      '2026-10-25T02:30:00Z 2026-10-25T03:30',
    ]);
  });

  it('a zone that skips midnight rotates at the jump, under the new date', () => {
    expect(rotations('midnight', saoPaulo, '2018-11-03T12:00', '2018-11-05T12:00')).toEqual([
      '2018-11-04T03:00:00Z 2018-11-04T00:00', // 00:00 -> 01:00: the day starts at 01:00
      '2018-11-05T02:00:00Z 2018-11-05T00:00',
    ]);
  });

  it('a file opened in the repeated hour keeps the period that was running', () => {
    const interval = parseInterval('1h', 'interval');
    // 02:20 CET, the second 02:20 of the night: the 02:00 period ends at 03:00 CET.
    expect(iso(nextRotationAt(utc('2026-10-25T01:20'), interval, { offset: berlin }))).toBe('2026-10-25T02:00:00Z');
    expect(iso(periodStart(utc('2026-10-25T01:20'), interval, { offset: berlin }))).toBe('2026-10-25T02:00:00Z');
  });

  it('property: in any zone with changes, the next rotation is after now, and the period start moves forward', () => {
    const texts = ['1s', '30s', '15m', '1h', '2h', '6h', '1d', '2d', '1w', 'W3'];
    const offsets = fc.integer({ min: -14 * 4, max: 14 * 4 }).map((quarters) => quarters * 15 * 60_000);
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.integer({ min: utc('2020-01-01T00:00'), max: utc('2030-01-01T00:00') }),
        offsets,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 * 24 }), offsets), { maxLength: 4 }),
        (text, now, base, changes) => {
          // Changes at least a month apart, like every real zone.
          let at = now - 30 * 24 * H;
          const list: [string, number][] = changes.map(([hours, offset]) => {
            at += 30 * 24 * H + hours * H;
            return [new Date(at).toISOString().slice(0, -1), offset];
          });
          const offset = zone(base, ...list);
          const interval = parseInterval(text, 'interval');
          const next = nextRotationAt(now, interval, { offset });
          expect(next).toBeGreaterThan(now);
          const start = periodStart(now, interval, { offset });
          // The wall clock has not reached the next period anywhere before `next`...
          expect(periodStart(next - 1, interval, { offset })).toBeLessThanOrEqual(start);
          // ...and has at `next`.
          expect(periodStart(next, interval, { offset })).toBeGreaterThan(start);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('periodAt and periodAfter', () => {
  const show = (period: { start: number; rotateAt: number }) => ({ start: iso(period.start), rotateAt: iso(period.rotateAt) });
  const hourly = parseInterval('1h', 'interval');

  it('periodAt is the period start and the next rotation', () => {
    expect(show(periodAt(utc('2026-11-21T13:20'), hourly, { utc: true }))).toEqual({
      start: '2026-11-21T13:00:00Z',
      rotateAt: '2026-11-21T14:00:00Z',
    });
  });

  it.each([
    { case: 'the next line in the next hour', now: '2026-11-21T14:20', start: '2026-11-21T14:00:00Z', rotateAt: '2026-11-21T15:00:00Z' },
    { case: 'hours without lines are skipped', now: '2026-11-21T17:10', start: '2026-11-21T17:00:00Z', rotateAt: '2026-11-21T18:00:00Z' },
    { case: 'a clock set back by hand is followed', now: '2026-11-20T10:30', start: '2026-11-20T10:00:00Z', rotateAt: '2026-11-20T11:00:00Z' },
  ])('$case', ({ now, start, rotateAt }) => {
    const previous = periodAt(utc('2026-11-21T13:20'), hourly, { utc: true });
    expect(show(periodAfter(previous, utc(now), hourly, { utc: true }))).toEqual({ start, rotateAt });
  });

  it('a line after a fall back still starts a later period than the one that just ended', () => {
    const quarter = parseInterval('15m', 'interval');
    // 02:37 CEST: the 02:30 period, which ends when the wall clock reads 02:45 (00:45Z).
    const previous = periodAt(utc('2026-10-25T00:37'), quarter, { offset: berlin });
    expect(show(previous)).toEqual({ start: '2026-10-25T02:30:00Z', rotateAt: '2026-10-25T00:45:00Z' });
    // The next line comes at 02:00 CET, after the fall back: on its own it reads as 02:00.
    const now = utc('2026-10-25T01:00');
    expect(iso(periodStart(now, quarter, { offset: berlin }))).toBe('2026-10-25T02:00:00Z');
    // It starts 02:45 instead, which runs until the wall clock reads 03:00 again (02:00Z).
    expect(show(periodAfter(previous, now, quarter, { offset: berlin }))).toEqual({
      start: '2026-10-25T02:45:00Z',
      rotateAt: '2026-10-25T02:00:00Z',
    });
  });
  it('property: following the lines of any zone, period starts strictly increase and each rotateAt is ahead', () => {
    const realisticChange = fc.tuple(fc.integer({ min: 0, max: 60 * 24 }), fc.constantFrom(-2 * H, -H, -H / 2, H / 2, H, 2 * H));
    fc.assert(
      fc.property(
        fc.constantFrom('1s', '30s', '15m', '30m', '1h', '2h', '1d', 'W2'),
        fc.integer({ min: utc('2020-01-01T00:00'), max: utc('2030-01-01T00:00') }),
        fc.integer({ min: -12, max: 14 }).map((hours) => hours * H),
        fc.array(realisticChange, { maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 3 * H }), { minLength: 1, maxLength: 80 }),
        (text, from, base, changes, steps) => {
          // DST-like changes of at most 2 hours, at least a month apart, starting near `from`.
          let at = from - 30 * 24 * H;
          let offset = base;
          const list: [string, number][] = changes.map(([minutes, delta]) => {
            at += 30 * 24 * H + minutes * 60_000;
            offset += delta;
            return [new Date(at).toISOString().slice(0, -1), offset];
          });
          const clock = { offset: zone(base, ...list) };
          const interval = parseInterval(text, 'interval');
          let now = from;
          let period = periodAt(now, interval, clock);
          for (const step of steps) {
            now += step;
            if (now < period.rotateAt) continue;
            const next = periodAfter(period, now, interval, clock);
            expect(next.start).toBeGreaterThan(period.start);
            expect(next.rotateAt).toBeGreaterThan(now);
            period = next;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('rotationBefore', () => {
  const at = utc('2026-11-22T00:00:00Z');
  it.each([
    { case: 'no limits', max: undefined, rotateAt: undefined, file: 1e9, line: 10, now: at, reason: 'none' },
    { case: 'before the boundary, room left', max: 100, rotateAt: at, file: 50, line: 10, now: at - 1, reason: 'none' },
    { case: 'at the boundary', max: undefined, rotateAt: at, file: 50, line: 10, now: at, reason: 'time' },
    { case: 'after the boundary', max: undefined, rotateAt: at, file: 1, line: 1, now: at + 5 * H, reason: 'time' },
    { case: 'over the size, before the boundary', max: 100, rotateAt: at, file: 95, line: 10, now: at - 1, reason: 'size' },
    { case: 'over the size and at the boundary: once, by time', max: 100, rotateAt: at, file: 95, line: 10, now: at, reason: 'time' },
    { case: 'boundary passed with an empty file: a new period, no rotation', max: 100, rotateAt: at, file: 0, line: 10, now: at, reason: 'period' },
    { case: 'an empty file takes an oversized line', max: 100, rotateAt: at, file: 0, line: 500, now: at - 1, reason: 'none' },
    { case: 'the clock went back: no rotation', max: undefined, rotateAt: at, file: 50, line: 10, now: at - 24 * H, reason: 'none' },
  ])('$case', ({ max, rotateAt, file, line, now, reason }) => {
    expect(rotationBefore({ maxFileBytes: max, rotateAt }, file, line, now)).toBe(reason);
  });
});

describe('fileStartedAt', () => {
  const now = utc('2026-11-21T13:00:00Z');
  it.each([
    { case: 'no file', existing: undefined, start: now },
    { case: 'an empty file', existing: { size: 0, mtimeMs: now - 48 * H }, start: now },
    { case: 'a file written yesterday', existing: { size: 10, mtimeMs: now - 24 * H }, start: now - 24 * H },
    { case: 'a modification time in the future', existing: { size: 10, mtimeMs: now + H }, start: now },
  ])('$case', ({ existing, start }) => {
    expect(fileStartedAt(now, existing)).toBe(start);
  });
});

describe('the process time zone (TZ in a child process) agrees with the tables', () => {
  const schedule = new URL('../../../../dist/src/consumer/rotate/schedule.js', import.meta.url).href;
  const cases = [
    { tz: 'Europe/Berlin', offset: berlin, from: '2026-03-28T12:00', until: '2026-03-30T23:00', text: 'midnight' },
    { tz: 'Europe/Berlin', offset: berlin, from: '2026-10-24T23:30', until: '2026-10-25T03:00', text: '1h' },
    { tz: 'America/New_York', offset: newYork, from: '2026-10-31T12:00', until: '2026-11-02T12:00', text: '1d' },
    { tz: 'America/New_York', offset: newYork, from: '2026-03-08T05:30', until: '2026-03-08T09:00', text: '30m' },
    { tz: 'America/Sao_Paulo', offset: saoPaulo, from: '2018-11-03T12:00', until: '2018-11-05T12:00', text: 'midnight' },
  ];
  it.each(cases)('$tz, $text from $from', ({ tz, offset, from, until, text }) => {
    const script = `
      const { nextRotationAt, parseInterval, periodStart } = await import(${JSON.stringify(schedule)});
      const interval = parseInterval(${JSON.stringify(text)}, 'interval');
      const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
      const out = [];
      for (let t = nextRotationAt(Date.parse(${JSON.stringify(`${from}Z`)}), interval); t <= Date.parse(${JSON.stringify(`${until}Z`)}); t = nextRotationAt(t, interval)) {
        out.push(iso(t) + ' ' + iso(periodStart(t, interval)).slice(0, 16));
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual(rotations(text, offset, from, until));
  });
});
