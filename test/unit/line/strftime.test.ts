import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDateFormatter, dateFormatProblem } from '../../../src/line/strftime.js';

// 2023-11-14T22:13:20.123Z, a Tuesday, day 318 of the year.
const T = Date.UTC(2023, 10, 14, 22, 13, 20, 123);

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The local offset of `ms` as +HHMM (or +HH:MM), from what Date itself says. */
function localOffset(ms: number, separator = ''): string {
  const minutes = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${separator}${pad(abs % 60)}`;
}

describe('createDateFormatter in UTC', () => {
  it.each<[string, string]>([
    ['%Y', '2023'],
    ['%y', '23'],
    ['%m', '11'],
    ['%d', '14'],
    ['%e', '14'],
    ['%H', '22'],
    ['%I', '10'],
    ['%p', 'PM'],
    ['%M', '13'],
    ['%S', '20'],
    ['%f', '123000'],
    ['%j', '318'],
    ['%a', 'Tue'],
    ['%A', 'Tuesday'],
    ['%b', 'Nov'],
    ['%B', 'November'],
    ['%w', '2'],
    ['%u', '2'],
    ['%z', '+0000'],
    ['%Z', 'UTC'],
    ['%F', '2023-11-14'],
    ['%T', '22:13:20'],
    ['%%', '%'],
    ['%Y-%m-%d %H:%M:%S', '2023-11-14 22:13:20'],
    ['%d/%m/%Y', '14/11/2023'],
    ['%a %b %e %H:%M:%S %Y', 'Tue Nov 14 22:13:20 2023'],
    ['[%H%%%M]', '[22%13]'],
    ['no directives', 'no directives'],
    ['', ''],
  ])('%s → %s', (pattern, expected) => {
    expect(createDateFormatter(pattern, true)(T)).toBe(expected);
  });

  it("has Python's default asctime without a pattern: a comma, then the milliseconds", () => {
    expect(createDateFormatter(undefined, true)(T)).toBe('2023-11-14 22:13:20,123');
    expect(createDateFormatter(undefined, true)(Date.UTC(2003, 6, 8, 16, 49, 45, 6))).toBe('2003-07-08 16:49:45,006');
  });

  it("writes ISO 8601 with milliseconds and Z for 'iso'", () => {
    expect(createDateFormatter('iso', true)(T)).toBe('2023-11-14T22:13:20.123Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
        expect(createDateFormatter('iso', true)(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it.each<[number, string]>([
    [Date.UTC(2024, 0, 1, 0, 0, 0, 0), '2024-01-01 12 AM 001 Mon 1 1  1 00'],
    [Date.UTC(2024, 11, 31, 12, 0, 0, 0), '2024-12-31 12 PM 366 Tue 2 2 31 12'],
    [Date.UTC(2023, 11, 31, 23, 59, 59, 999), '2023-12-31 11 PM 365 Sun 0 7 31 23'],
    [Date.UTC(2023, 0, 7, 5, 0, 0, 0), '2023-01-07 05 AM 007 Sat 6 6  7 05'],
  ])('edges of the day, week and year: %s', (ms, expected) => {
    expect(createDateFormatter('%F %I %p %j %a %w %u %e %H', true)(ms)).toBe(expected);
  });

  it('pads years before 1000 to four digits and keeps the sign before year 0', () => {
    // Date.UTC(5, ...) would mean 1905: set the year explicitly.
    const year5 = new Date(0);
    year5.setUTCFullYear(5, 0, 1);
    expect(createDateFormatter('%Y %y', true)(year5.getTime())).toBe('0005 05');
    const minus1 = new Date(0);
    minus1.setUTCFullYear(-1, 0, 1);
    expect(createDateFormatter('%Y %y', true)(minus1.getTime())).toBe('-0001 99');
  });

  it('writes a time Date cannot represent as the number it is', () => {
    expect(createDateFormatter(undefined, true)(Number.NaN)).toBe('NaN');
    expect(createDateFormatter('%Y', true)(8.64e15 + 1)).toBe('8640000000000001');
  });

  it('renders each millisecond afresh, reusing the text within one', () => {
    const format = createDateFormatter(undefined, true);
    expect(format(T)).toBe('2023-11-14 22:13:20,123');
    expect(format(T)).toBe('2023-11-14 22:13:20,123');
    expect(format(T + 1)).toBe('2023-11-14 22:13:20,124');
    expect(format(T)).toBe('2023-11-14 22:13:20,123');
  });
});

describe('createDateFormatter in local time', () => {
  // Whatever TZ runs the tests: the expectations come from Date's local getters.
  it('agrees with Date for any time', () => {
    const format = createDateFormatter('%Y-%m-%d %H:%M:%S %f %j %w %z', false);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800000 }), (ms) => {
        const d = new Date(ms);
        const startOfYear = Date.UTC(d.getFullYear(), 0, 1);
        const dayOfYear = (Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - startOfYear) / 86_400_000 + 1;
        expect(format(ms)).toBe(
          `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
            `${pad(d.getMilliseconds(), 3)}000 ${pad(dayOfYear, 3)} ${d.getDay()} ${localOffset(ms)}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("writes 'iso' with the local offset", () => {
    const d = new Date(T);
    expect(createDateFormatter('iso', false)(T)).toBe(
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.123${localOffset(T, ':')}`,
    );
  });

  it('names the zone as Intl does', () => {
    const expected = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(new Date(T)).find((p) => p.type === 'timeZoneName')?.value;
    expect(createDateFormatter('%Z', false)(T)).toBe(expected);
  });
});

describe('dateFormatProblem', () => {
  it.each(['', 'iso', '%Y-%m-%d %H:%M:%S', '%F %T.%f %z %Z', '100%%', 'plain'])('accepts %j', (pattern) => {
    expect(dateFormatProblem(pattern)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['%c', "unsupported directive '%c' at index 0"],
    ['%Y-%x', "unsupported directive '%x' at index 3"],
    ['%H:%M %U', "unsupported directive '%U' at index 6"],
    ['%s', "unsupported directive '%s' at index 0"],
    ['% ', "unsupported directive '% ' at index 0"],
    ['%Y %', "a lone '%' at index 3"],
  ])('rejects %j: %s', (pattern, message) => {
    const problem = dateFormatProblem(pattern);
    expect(problem?.message).toBe(message);
    expect(problem?.hint).toMatch(/%/);
  });

  it('is what createDateFormatter refuses', () => {
    expect(() => createDateFormatter('%c', true)).toThrow(TypeError);
  });
});
