import { describe, expect, it, afterEach } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  compileNamePattern,
  defaultNamePattern,
  listRotatedFiles,
  nextRotatedPath,
  parseNumberedName,
  patternResolves,
  type DirPort,
} from '../../../../src/consumer/rotate/rotated-names.js';
import { parseInterval } from '../../../../src/consumer/rotate/schedule.js';
import { tempDir } from '../../../support/log-files.js';

const at = (y: number, m: number, d: number, h = 0, min = 0, s = 0): number => Date.UTC(y, m - 1, d, h, min, s);
const compile = (pattern: string) => compileNamePattern(pattern, 'rotate.pattern');

describe('compileNamePattern: format', () => {
  it.each([
    ['app.log.%Y-%m-%d', 0, 'app.log.2026-11-21'],
    ['app.log.%Y-%m-%d', 1, 'app.log.2026-11-21.1'],
    ['app.%Y-%m-%d.log', 0, 'app.2026-11-21.log'],
    ['app.%Y-%m-%d.log', 1, 'app.2026-11-21.1.log'],
    ['app.%Y-%m-%d.log', 12, 'app.2026-11-21.12.log'],
    ['app-%Y-%m-%d_%H.log', 0, 'app-2026-11-21_13.log'],
    ['app-%Y-%m-%d_%H.log', 2, 'app-2026-11-21_13.2.log'],
    ['%Y%m%d%H%M%S', 0, '20261121130405'],
    ['%d.%m.%Y app.log', 0, '21.11.2026 app.log'],
    ['%d.%m.%Y app.log', 3, '21.11.2026.3 app.log'],
    ['app.log.%Y-%m', 0, 'app.log.2026-11'],
    ['100%%-%Y.log', 0, '100%-2026.log'],
  ])('%s, sequence %d -> %s', (pattern, sequence, name) => {
    expect(compile(pattern).format(at(2026, 11, 21, 13, 4, 5), sequence)).toBe(name);
  });

  it('pads every field', () => {
    expect(compile('%Y-%m-%d_%H-%M-%S').format(at(987, 1, 2, 3, 4, 5), 0)).toBe('0987-01-02_03-04-05');
  });
});

describe('compileNamePattern: rejects, naming the option', () => {
  it.each([
    ['', /received ''/],
    [42, /received 42/],
    ['app.log', /using %Y and every field coarser .*received 'app.log'/],
    ['app.%m-%d.log', /using %Y and every field coarser/],
    ['app.%Y-%d.log', /using %Y and every field coarser/],
    ['app.%Y-%m-%d_%M.log', /using %Y and every field coarser/],
    ['app.%Y-%Y.log', /each token at most once/],
    ['app.%Y.%q.log', /whose '%q' is not a token/],
    ['app.%Y.log%', /whose '%' is not a token/],
    ['logs/app.%Y.log', /without a directory/],
    ['..\\app.%Y.log', /without a directory/],
  ])('%j', (pattern, message) => {
    const attempt = (): unknown => compileNamePattern(pattern, 'sinks[0].rotate.pattern');
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(/^ringlog: sinks\[0\]\.rotate\.pattern must be a file name with date tokens/);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_RINGLOG_OPTION' }));
  });
});

describe('compileNamePattern: parse', () => {
  it.each([
    ['app.log.%Y-%m-%d', 'app.log.2026-11-21', { period: at(2026, 11, 21), sequence: 0, compressed: false }],
    ['app.log.%Y-%m-%d', 'app.log.2026-11-21.gz', { period: at(2026, 11, 21), sequence: 0, compressed: true }],
    ['app.log.%Y-%m-%d', 'app.log.2026-11-21.7.gz', { period: at(2026, 11, 21), sequence: 7, compressed: true }],
    ['app.%Y-%m-%d.log', 'app.2026-11-21.3.log', { period: at(2026, 11, 21), sequence: 3, compressed: false }],
    ['app.%Y-%m-%d.log', 'app.2026-11-21.log.gz', { period: at(2026, 11, 21), sequence: 0, compressed: true }],
    ['app-%Y-%m-%d_%H.log', 'app-2026-11-21_13.log', { period: at(2026, 11, 21, 13), sequence: 0, compressed: false }],
    ['app.log.%Y-%m', 'app.log.2026-02', { period: at(2026, 2, 1), sequence: 0, compressed: false }],
    ['%d.%m.%Y app.log', '21.11.2026.3 app.log', { period: at(2026, 11, 21), sequence: 3, compressed: false }],
  ])('%s reads %s', (pattern, name, parsed) => {
    expect(compile(pattern).parse(name)).toEqual(parsed);
  });

  it.each([
    ['app.log', 'the live file'],
    ['app.log.1', 'a numbered name'],
    ['app.log.2026-11-21.gz.tmp', "the compressor's temporary file"],
    ['app.log.2026-11-21.0', 'sequence 0 written out'],
    ['app.log.2026-11-21.01', 'a sequence with a leading zero'],
    ['app.log.2026-02-30', 'a date that does not exist'],
    ['app.log.2026-13-01', 'a 13th month'],
    ['app.log.2026-11-21x', 'trailing text'],
    ['xapp.log.2026-11-21', 'leading text'],
    ['app.log.26-11-21', 'a short year'],
    ['app.log.2026-11-21.gz.gz', 'gzipped twice'],
  ])('%s is not a rotated file (%s)', (name) => {
    expect(compile('app.log.%Y-%m-%d').parse(name)).toBeUndefined();
  });

  it('property: parse(format(period, sequence)) gives them back, for any pattern and date', () => {
    const patterns = ['app.log.%Y-%m-%d', 'app.%Y-%m-%d.log', 'a-%Y-%m-%d_%H.log', '%Y%m%d%H%M%S.log', 'x.%Y-%m', '%S%M%H%d%m%Y'];
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.integer({ min: at(1970, 1, 1), max: at(9999, 12, 31) }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.boolean(),
        (source, time, sequence, gz) => {
          const pattern = compile(source);
          // The period start the pattern can express: the time truncated to its finest field.
          const truncated = pattern.parse(pattern.format(time, 0))?.period as number;
          const name = pattern.format(truncated, sequence) + (gz ? '.gz' : '');
          expect(pattern.parse(name)).toEqual({ period: truncated, sequence, compressed: gz });
          expect(truncated).toBeLessThanOrEqual(time);
        },
      ),
    );
  });

  it('property: names of one pattern sort by (period, sequence) when parsed', () => {
    const pattern = compile('app.%Y-%m-%d_%H.log');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 20 })), { minLength: 2 }),
        (entries) => {
          const named = entries.map(([hours, sequence]) => ({ period: at(2000, 1, 1) + hours * 3_600_000, sequence }));
          const parsed = named.map(({ period, sequence }) => pattern.parse(pattern.format(period, sequence)));
          expect(parsed.map((p) => ({ period: p?.period, sequence: p?.sequence }))).toEqual(named);
        },
      ),
    );
  });
});

describe('defaultNamePattern and patternResolves', () => {
  it.each([
    ['1s', 'app.log.%Y-%m-%d_%H-%M-%S'],
    ['30s', 'app.log.%Y-%m-%d_%H-%M-%S'],
    ['15m', 'app.log.%Y-%m-%d_%H-%M'],
    ['90m', 'app.log.%Y-%m-%d_%H-%M'],
    ['1h', 'app.log.%Y-%m-%d_%H'],
    ['6h', 'app.log.%Y-%m-%d_%H'],
    ['midnight', 'app.log.%Y-%m-%d'],
    ['1w', 'app.log.%Y-%m-%d'],
    ['W3', 'app.log.%Y-%m-%d'],
  ])('%s -> %s', (interval, pattern) => {
    const parsed = parseInterval(interval, 'interval');
    expect(defaultNamePattern('app.log', parsed)).toBe(pattern);
    expect(patternResolves(compile(pattern), parsed)).toBe(true);
  });

  it('escapes a % in the live name', () => {
    expect(compile(defaultNamePattern('100%.log', parseInterval('1d', 'i'))).format(at(2026, 11, 21), 0)).toBe('100%.log.2026-11-21');
  });

  it.each([
    ['app.%Y-%m-%d.log', '1h', false],
    ['app.%Y-%m-%d.log', '12h', false],
    ['app.%Y-%m-%d.log', '1d', true],
    ['app.%Y-%m-%d_%H.log', '30m', false],
    ['app.%Y-%m-%d_%H.log', '90m', true],
    ['app.%Y-%m.log', '1w', false],
    ['app.%Y-%m.log', '366d', true],
  ])('%s for %s: %s', (pattern, interval, resolves) => {
    expect(patternResolves(compile(pattern), parseInterval(interval, 'interval'))).toBe(resolves);
  });
});

describe('parseNumberedName', () => {
  it.each([
    ['app.log.1', { period: -1, sequence: 0, compressed: false }],
    ['app.log.12.gz', { period: -12, sequence: 0, compressed: true }],
    ['app.log', undefined],
    ['app.log.0', undefined],
    ['app.log.01', undefined],
    ['app.log.1.gz.tmp', undefined],
    ['app.log.2026-11-21', undefined],
    ['app.logx.1', undefined],
  ])('%s', (name, parsed) => {
    expect(parseNumberedName('app.log', name)).toEqual(parsed);
  });
});

/** A directory as a map from name to size; names ending in / are directories. */
function fakeDir(entries: Record<string, number>): DirPort {
  return {
    readdirSync: () => Object.keys(entries).map((name) => name.replace(/\/$/, '')),
    statSync: (path: string) => {
      const name = path.slice('/logs/'.length);
      const size = entries[name] ?? entries[`${name}/`];
      if (size === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return { size, isFile: () => !(`${name}/` in entries) };
    },
  };
}

describe('listRotatedFiles', () => {
  const pattern = compile('app.%Y-%m-%d.log');

  it('lists the pattern\'s files oldest first, plain and gzipped, and nothing else', () => {
    const dir = fakeDir({
      'app.log': 1000,
      'app.2026-11-21.1.log': 30,
      'app.2026-11-20.log.gz': 5,
      'app.2026-11-21.log.gz': 7,
      'app.2026-11-21.2.log': 40,
      'app.2026-11-21.2.log.gz.tmp': 3,
      'app.2026-11-19.log': 11,
      'app.2026-11-18.log/': 0,
      'other.2026-11-19.log': 11,
      'app.log.1': 9,
    });
    expect(listRotatedFiles('/logs/app.log', pattern, dir)).toEqual([
      { paths: ['/logs/app.2026-11-19.log'], bytes: 11, period: at(2026, 11, 19), sequence: 0, compressed: false },
      { paths: ['/logs/app.2026-11-20.log.gz'], bytes: 5, period: at(2026, 11, 20), sequence: 0, compressed: true },
      { paths: ['/logs/app.2026-11-21.log.gz'], bytes: 7, period: at(2026, 11, 21), sequence: 0, compressed: true },
      { paths: ['/logs/app.2026-11-21.1.log'], bytes: 30, period: at(2026, 11, 21), sequence: 1, compressed: false },
      { paths: ['/logs/app.2026-11-21.2.log'], bytes: 40, period: at(2026, 11, 21), sequence: 2, compressed: false },
    ]);
  });

  it('a file whose compression was finishing is one file with both paths', () => {
    const dir = fakeDir({ 'app.2026-11-21.log': 100, 'app.2026-11-21.log.gz': 10 });
    expect(listRotatedFiles('/logs/app.log', pattern, dir)).toEqual([
      {
        paths: ['/logs/app.2026-11-21.log', '/logs/app.2026-11-21.log.gz'],
        bytes: 110,
        period: at(2026, 11, 21),
        sequence: 0,
        compressed: true,
      },
    ]);
  });

  it('skips a file that vanishes between readdir and stat, and passes other errors on', () => {
    const vanishing: DirPort = { readdirSync: () => ['app.2026-11-21.log'], statSync: fakeDir({}).statSync };
    expect(listRotatedFiles('/logs/app.log', pattern, vanishing)).toEqual([]);
    const failing: DirPort = {
      readdirSync: () => ['app.2026-11-21.log'],
      statSync: () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      },
    };
    expect(() => listRotatedFiles('/logs/app.log', pattern, failing)).toThrow('EACCES');
  });

  it('lists a plain file compressed between readdir and stat by its .gz, so that its sequence number is not taken again', () => {
    // readdir saw the plain file only; by the time of stat the compressor had renamed its .gz
    // into place and removed it.
    const racing: DirPort = {
      readdirSync: () => ['app.2026-11-21.log', 'app.2026-11-21.1.log', 'app.2026-11-21.1.log.gz.tmp'],
      statSync: fakeDir({ 'app.2026-11-21.log': 10, 'app.2026-11-21.1.log.gz': 3 }).statSync,
    };
    const files = listRotatedFiles('/logs/app.log', pattern, racing);
    expect(files).toEqual([
      { paths: ['/logs/app.2026-11-21.log'], bytes: 10, period: at(2026, 11, 21), sequence: 0, compressed: false },
      { paths: ['/logs/app.2026-11-21.1.log.gz'], bytes: 3, period: at(2026, 11, 21), sequence: 1, compressed: true },
    ]);
    expect(nextRotatedPath('/logs/app.log', pattern, at(2026, 11, 21), files)).toBe('/logs/app.2026-11-21.2.log');
    // A .gz that readdir saw itself is not counted twice; a file gone with its .gz is skipped.
    const both: DirPort = {
      readdirSync: () => ['app.2026-11-21.log', 'app.2026-11-21.log.gz', 'app.2026-11-21.1.log'],
      statSync: fakeDir({ 'app.2026-11-21.log.gz': 3 }).statSync,
    };
    expect(listRotatedFiles('/logs/app.log', pattern, both)).toEqual([
      { paths: ['/logs/app.2026-11-21.log.gz'], bytes: 3, period: at(2026, 11, 21), sequence: 0, compressed: true },
    ]);
  });

  it('numbered names without a pattern: app.log.N oldest first, .gz included', () => {
    const dir = fakeDir({ 'app.log': 1, 'app.log.1': 10, 'app.log.2.gz': 20, 'app.log.10': 30, 'app.2026-11-21.log': 5 });
    expect(listRotatedFiles('/logs/app.log', undefined, dir).map(({ paths, period }) => [paths, period])).toEqual([
      [['/logs/app.log.10'], -10],
      [['/logs/app.log.2.gz'], -2],
      [['/logs/app.log.1'], -1],
    ]);
  });

  describe('in a real directory', () => {
    let cleanup = (): void => {};
    afterEach(() => cleanup());

    it('lists real files and names the next rotation after the largest sequence of its period', () => {
      const { dir, remove } = tempDir();
      cleanup = remove;
      const live = join(dir, 'app.log');
      for (const [name, text] of Object.entries({
        'app.log': 'live\n',
        'app.2026-11-20.log.gz': 'gz',
        'app.2026-11-21.log': 'a\n',
        'app.2026-11-21.2.log.gz': 'ccc',
      })) {
        fs.writeFileSync(join(dir, name), text);
      }
      const files = listRotatedFiles(live, pattern, fs);
      expect(files.map(({ paths, bytes }) => [paths.map((p) => p.slice(dir.length + 1)), bytes])).toEqual([
        [['app.2026-11-20.log.gz'], 2],
        [['app.2026-11-21.log'], 2],
        [['app.2026-11-21.2.log.gz'], 3],
      ]);
      expect(nextRotatedPath(live, pattern, at(2026, 11, 21), files)).toBe(join(dir, 'app.2026-11-21.3.log'));
      expect(nextRotatedPath(live, pattern, at(2026, 11, 20), files)).toBe(join(dir, 'app.2026-11-20.1.log'));
      expect(nextRotatedPath(live, pattern, at(2026, 11, 22), files)).toBe(join(dir, 'app.2026-11-22.log'));
    });
  });
});

describe('nextRotatedPath', () => {
  const pattern = compile('app.log.%Y-%m-%d');
  const file = (period: number, sequence: number) => ({ paths: [], bytes: 1, period, sequence, compressed: false });
  it.each([
    { case: 'no files', files: [], path: '/logs/app.log.2026-11-21' },
    { case: 'the period taken', files: [file(at(2026, 11, 21), 0)], path: '/logs/app.log.2026-11-21.1' },
    { case: 'only a later sequence left (retention deleted the first)', files: [file(at(2026, 11, 21), 4)], path: '/logs/app.log.2026-11-21.5' },
    { case: 'other periods only', files: [file(at(2026, 11, 20), 3), file(at(2026, 11, 22), 0)], path: '/logs/app.log.2026-11-21' },
  ])('$case', ({ files, path }) => {
    expect(nextRotatedPath('/logs/app.log', pattern, at(2026, 11, 21), files)).toBe(path);
  });
});
