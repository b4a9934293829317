/**
 * The file sink rotating by time and/or size, with dated names, retention, kept permissions and
 * gzip: real files in a temp directory, time from an injected clock (never by sleeping), the
 * local time zone from an injected offset.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
// From dist: the compressor starts its thread from a compiled file next to it.
import { Compressor, CompressorClient } from '../../dist/src/compress/compressor.js';
import { createFileSink, type CompressorPort, type FileSinkOptions, type FsPort } from '../../src/consumer/sink/file-sink.js';
import { compileNamePattern, listRotatedFiles } from '../../src/consumer/rotate/rotated-names.js';
import { parseInterval, periodStart, type OffsetFn } from '../../src/consumer/rotate/schedule.js';
import type { SinkMonitor } from '../../src/consumer/sink/write-failure.js';
import type { FailureEvent } from '../../src/core/episode.js';
import { resolveRotate, type RotateOptions } from '../../src/config/rotate-options.js';
import { tempDir } from '../support/log-files.js';
import { noteAfter } from '../support/fs-watch.js';

let dir = '';
let live = '';
let cleanup = (): void => {};
/** The sink's clock. */
let now = 0;
beforeEach(() => {
  ({ dir, remove: cleanup } = tempDir());
  live = join(dir, 'app.log');
});
afterEach(() => cleanup());

const H = 3_600_000;
const M = 60_000;
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);

function sink(rotate: RotateOptions, extra: Partial<FileSinkOptions> = {}) {
  return createFileSink({ path: live, rotate: resolveRotate(rotate, 'rotate', live), clock: () => now, ...extra });
}

/** Writes `text` (one line) at time `at`. */
function lineAt(s: ReturnType<typeof sink>, at: number, text: string): void {
  now = at;
  s.writeLine(`${text}\n`);
}

const read = (name: string): string => fs.readFileSync(join(dir, name), 'utf8');
const names = (): string[] => fs.readdirSync(dir).sort();
const modeOf = (name: string): number => fs.statSync(join(dir, name)).mode & 0o7777;

/** Rotated files, oldest first by their dates (names sort by age with these patterns). */
function contents(): Record<string, string> {
  return Object.fromEntries(names().map((name) => [name, name.endsWith('.gz') ? gunzipSync(fs.readFileSync(join(dir, name))).toString() : read(name)]));
}

describe('time rotation at wall-clock boundaries', () => {
  it('hourly (UTC): the line at the boundary starts the new file; the rotated file is named by its hour', () => {
    now = utc(2026, 11, 21, 10, 15);
    const s = sink({ interval: '1h', utc: true });
    lineAt(s, utc(2026, 11, 21, 10, 15), 'a');
    lineAt(s, utc(2026, 11, 21, 10, 59, 59, 999), 'b');
    expect(s.rotations).toBe(0);
    lineAt(s, utc(2026, 11, 21, 11), 'c');
    expect(s.rotations).toBe(1);
    // A quiet hour makes no file: the next line rotates under 11, not 12.
    lineAt(s, utc(2026, 11, 21, 13, 30), 'd');
    s.close();
    expect(contents()).toEqual({
      'app.log': 'd\n',
      'app.log.2026-11-21_10': 'a\nb\n',
      'app.log.2026-11-21_11': 'c\n',
    });
    expect(s.rotations).toBe(2);
  });

  it('midnight UTC', () => {
    now = utc(2026, 11, 21, 23, 59, 59);
    const s = sink({ interval: 'midnight', utc: true });
    lineAt(s, utc(2026, 11, 21, 23, 59, 59), 'last of the 21st');
    lineAt(s, utc(2026, 11, 22, 0, 0, 0), 'first of the 22nd');
    s.close();
    expect(contents()).toEqual({ 'app.log': 'first of the 22nd\n', 'app.log.2026-11-21': 'last of the 21st\n' });
  });

  it('midnight local time (UTC+2): rotates at 22:00 UTC, under the local date', () => {
    const offset: OffsetFn = () => 2 * H;
    now = utc(2026, 6, 21, 21, 59);
    const s = sink({ interval: 'midnight' }, { offset });
    lineAt(s, utc(2026, 6, 21, 21, 59), 'local 23:59 on the 21st');
    lineAt(s, utc(2026, 6, 21, 22, 0), 'local midnight, the 22nd');
    lineAt(s, utc(2026, 6, 22, 12, 0), 'noon UTC, 14:00 local on the 22nd');
    s.close();
    expect(contents()).toEqual({
      'app.log': 'local midnight, the 22nd\nnoon UTC, 14:00 local on the 22nd\n',
      'app.log.2026-06-21': 'local 23:59 on the 21st\n',
    });
  });

  it('a line far past several boundaries rotates once, and its file gets the period it was written in', () => {
    now = utc(2026, 11, 21, 10, 7);
    const s = sink({ interval: '15m', utc: true, pattern: 'app.%Y-%m-%d_%H-%M.log' });
    lineAt(s, utc(2026, 11, 21, 10, 7), 'a');
    lineAt(s, utc(2026, 11, 21, 17, 44), 'b');
    lineAt(s, utc(2026, 11, 21, 17, 45), 'c');
    s.close();
    expect(contents()).toEqual({
      'app.log': 'c\n',
      'app.2026-11-21_10-00.log': 'a\n',
      'app.2026-11-21_17-30.log': 'b\n',
    });
  });
});

describe('DST: names only go forward (Europe/Berlin through an injected offset)', () => {
  // CET (+1) from 2026-10-25 01:00 UTC, CEST (+2) from 2026-03-29 01:00 UTC.
  const berlin: OffsetFn = (t) => (t >= utc(2026, 10, 25, 1) ? H : t >= utc(2026, 3, 29, 1) ? 2 * H : H);

  it('fall back: both 02:00 hours go into one file named 02, then 03', () => {
    now = utc(2026, 10, 25, 0, 30);
    const s = sink({ interval: '1h' }, { offset: berlin });
    lineAt(s, utc(2026, 10, 25, 0, 30), '02:30 CEST');
    lineAt(s, utc(2026, 10, 25, 1, 30), '02:30 CET');
    lineAt(s, utc(2026, 10, 25, 2, 30), '03:30 CET');
    lineAt(s, utc(2026, 10, 25, 3, 0), '04:00 CET');
    s.close();
    expect(contents()).toEqual({
      'app.log': '04:00 CET\n',
      'app.log.2026-10-25_02': '02:30 CEST\n02:30 CET\n',
      'app.log.2026-10-25_03': '03:30 CET\n',
    });
  });

  it('spring forward: the hour that does not exist gets no file, and the jump rotates', () => {
    now = utc(2026, 3, 29, 0, 30);
    const s = sink({ interval: '1h' }, { offset: berlin });
    lineAt(s, utc(2026, 3, 29, 0, 30), '01:30 CET');
    lineAt(s, utc(2026, 3, 29, 1, 0), '03:00 CEST');
    lineAt(s, utc(2026, 3, 29, 2, 0), '04:00 CEST');
    s.close();
    expect(contents()).toEqual({
      'app.log': '04:00 CEST\n',
      'app.log.2026-03-29_01': '01:30 CET\n',
      'app.log.2026-03-29_03': '03:00 CEST\n',
    });
  });

  it('a fall back under a 15m interval keeps the names increasing (periodAfter, not periodAt)', () => {
    now = utc(2026, 10, 25, 0, 35);
    const s = sink({ interval: '15m' }, { offset: berlin });
    lineAt(s, utc(2026, 10, 25, 0, 35), '02:35 CEST');
    lineAt(s, utc(2026, 10, 25, 0, 50), '02:50 CEST');
    // The period after 02:30 CEST is 02:45, running until the wall clock reads 03:00 again (CET):
    // 02:05 CET does not start an earlier period.
    lineAt(s, utc(2026, 10, 25, 1, 5), '02:05 CET');
    lineAt(s, utc(2026, 10, 25, 2, 0), '03:00 CET');
    s.close();
    expect(contents()).toEqual({
      'app.log': '03:00 CET\n',
      'app.log.2026-10-25_02-30': '02:35 CEST\n',
      'app.log.2026-10-25_02-45': '02:50 CEST\n02:05 CET\n',
    });
  });
});

describe('size and time together', () => {
  const line = (tag: string): string => tag + '.'.repeat(299 - tag.length); // 300 bytes with '\n'

  it('size rotations within a period get sequence numbers; the period end rotates the rest', () => {
    now = utc(2026, 11, 21, 10);
    const s = sink({ interval: '1h', utc: true, maxSize: 1024 });
    let t = utc(2026, 11, 21, 10);
    for (let i = 0; i < 7; i++) lineAt(s, (t += M), line(`a${i}`));
    lineAt(s, utc(2026, 11, 21, 11, 1), line('b0'));
    s.close();
    const files = contents();
    expect(Object.keys(files)).toEqual(['app.log', 'app.log.2026-11-21_10', 'app.log.2026-11-21_10.1', 'app.log.2026-11-21_10.2']);
    // Three lines fit in 1024 bytes; the fourth rotates by size; the seventh's period ends.
    expect(files['app.log.2026-11-21_10']).toBe([0, 1, 2].map((i) => `${line(`a${i}`)}\n`).join(''));
    expect(files['app.log.2026-11-21_10.1']).toBe([3, 4, 5].map((i) => `${line(`a${i}`)}\n`).join(''));
    expect(files['app.log.2026-11-21_10.2']).toBe(`${line('a6')}\n`);
    expect(files['app.log']).toBe(`${line('b0')}\n`);
    expect(s.rotations).toBe(3);
  });

  it('a line that both overflows and crosses the boundary rotates once, by time', () => {
    now = utc(2026, 11, 21, 10);
    const s = sink({ interval: '1h', utc: true, maxSize: 1024 });
    for (let i = 0; i < 3; i++) lineAt(s, utc(2026, 11, 21, 10, i), line(`a${i}`));
    lineAt(s, utc(2026, 11, 21, 11), line('b'));
    s.close();
    expect(names()).toEqual(['app.log', 'app.log.2026-11-21_10']);
    expect(s.rotations).toBe(1);
  });

  it('size only with a date pattern: files are named by the day of their first line', () => {
    now = utc(2026, 11, 21, 23, 50);
    const s = sink({ maxSize: 1024, pattern: 'app.%Y-%m-%d.log', utc: true });
    for (let i = 0; i < 4; i++) lineAt(s, utc(2026, 11, 21, 23, 50 + i), line(`a${i}`));
    for (let i = 0; i < 3; i++) lineAt(s, utc(2026, 11, 22, 0, 10 + i), line(`b${i}`));
    for (let i = 0; i < 3; i++) lineAt(s, utc(2026, 11, 22, 0, 20 + i), line(`c${i}`));
    s.close();
    const files = contents();
    const text = (...tags: string[]): string => tags.map((tag) => `${line(tag)}\n`).join('');
    // a0-a2 fill the first file; a3 starts one on the 21st that b0, b1 continue past midnight;
    // b2 starts the first file of the 22nd. Midnight itself rotates nothing.
    expect(files).toEqual({
      'app.2026-11-21.log': text('a0', 'a1', 'a2'),
      'app.2026-11-21.1.log': text('a3', 'b0', 'b1'),
      'app.2026-11-22.log': text('b2', 'c0', 'c1'),
      'app.log': text('c2'),
    });
  });
});

describe('a restart', () => {
  it('in the middle of a period appends to the live file and keeps its period', () => {
    now = utc(2026, 11, 21, 10, 10);
    let s = sink({ interval: '1h', utc: true });
    lineAt(s, utc(2026, 11, 21, 10, 10), 'before the restart');
    s.close();
    fs.utimesSync(live, new Date(utc(2026, 11, 21, 10, 10)), new Date(utc(2026, 11, 21, 10, 10)));
    now = utc(2026, 11, 21, 10, 40);
    s = sink({ interval: '1h', utc: true });
    lineAt(s, utc(2026, 11, 21, 10, 50), 'after the restart');
    expect(s.rotations).toBe(0);
    lineAt(s, utc(2026, 11, 21, 11, 5), 'next hour');
    s.close();
    expect(contents()).toEqual({
      'app.log': 'next hour\n',
      'app.log.2026-11-21_10': 'before the restart\nafter the restart\n',
    });
  });

  it('in a later period rotates the file it finds under the period of its last write', () => {
    fs.writeFileSync(live, 'left from yesterday\n');
    fs.utimesSync(live, new Date(utc(2026, 11, 20, 18)), new Date(utc(2026, 11, 20, 18)));
    now = utc(2026, 11, 21, 9);
    const s = sink({ interval: 'midnight', utc: true });
    lineAt(s, utc(2026, 11, 21, 9, 1), 'today');
    s.close();
    expect(contents()).toEqual({ 'app.log': 'today\n', 'app.log.2026-11-20': 'left from yesterday\n' });
  });

  it('continues the sequence numbers of the period instead of overwriting', () => {
    fs.writeFileSync(join(dir, 'app.log.2026-11-21_10'), 'first\n');
    fs.writeFileSync(join(dir, 'app.log.2026-11-21_10.1'), 'second\n');
    now = utc(2026, 11, 21, 10, 30);
    const s = sink({ interval: '1h', utc: true });
    lineAt(s, utc(2026, 11, 21, 10, 31), 'third');
    lineAt(s, utc(2026, 11, 21, 11, 0), 'next');
    s.close();
    expect(read('app.log.2026-11-21_10.2')).toBe('third\n');
  });
});

describe('retention', () => {
  it('by count: the newest maxFiles rotated files remain', () => {
    now = utc(2026, 11, 21, 0);
    const s = sink({ interval: '1h', utc: true, maxFiles: 2 });
    for (let h = 0; h < 6; h++) lineAt(s, utc(2026, 11, 21, h, 30), `hour ${h}`);
    s.close();
    expect(contents()).toEqual({ 'app.log': 'hour 5\n', 'app.log.2026-11-21_03': 'hour 3\n', 'app.log.2026-11-21_04': 'hour 4\n' });
  });

  it('by total size: the newest files that fit together remain, with no count limit', () => {
    now = utc(2026, 11, 21, 0);
    const s = sink({ interval: '1h', utc: true, maxTotalSize: 1024 });
    const line = (h: number): string => `${h}`.padEnd(399, '.'); // 400 bytes with '\n'
    for (let h = 0; h < 8; h++) lineAt(s, utc(2026, 11, 21, h, 30), line(h));
    s.close();
    expect(names()).toEqual(['app.log', 'app.log.2026-11-21_05', 'app.log.2026-11-21_06']);
  });

  it('both limits: whichever is reached first', () => {
    now = utc(2026, 11, 21, 0);
    const s = sink({ interval: '1h', utc: true, maxTotalSize: 4096, maxFiles: 1 });
    for (let h = 0; h < 4; h++) lineAt(s, utc(2026, 11, 21, h, 30), `hour ${h}`);
    s.close();
    expect(names()).toEqual(['app.log', 'app.log.2026-11-21_02']);
  });

  it('maxFiles 0 keeps no rotated file: the live file starts over', () => {
    now = utc(2026, 11, 21, 10);
    const s = sink({ interval: '1h', utc: true, maxFiles: 0 });
    lineAt(s, utc(2026, 11, 21, 10), 'gone');
    lineAt(s, utc(2026, 11, 21, 11), 'kept');
    s.close();
    expect(contents()).toEqual({ 'app.log': 'kept\n' });
    expect(s.rotations).toBe(1);
  });

  it('numbered names with maxTotalSize: the oldest numbers go first', () => {
    now = 0;
    const s = sink({ maxSize: 1024, maxTotalSize: 2048 });
    const line = (i: number): string => `${i}`.padEnd(599, '.'); // 600 bytes with '\n'
    for (let i = 0; i < 8; i++) lineAt(s, 0, line(i));
    s.close();
    // One line per file (two do not fit in 1024); three rotated files would take 1800 bytes.
    expect(contents()).toEqual({
      'app.log': `${line(7)}\n`,
      'app.log.1': `${line(6)}\n`,
      'app.log.2': `${line(5)}\n`,
      'app.log.3': `${line(4)}\n`,
    });
  });

  it('numbered names with maxFiles 0', () => {
    now = 0;
    const s = sink({ maxSize: 1024, maxFiles: 0 });
    for (let i = 0; i < 3; i++) lineAt(s, 0, `${i}`.padEnd(599, '.'));
    s.close();
    expect(names()).toEqual(['app.log']);
    expect(s.rotations).toBe(2);
  });

  it('files that are not rotated files of this sink are never touched', () => {
    for (const name of ['other.log', 'app.log.old', 'app.log.2026-11-21_99', 'app.log.next.keep']) fs.writeFileSync(join(dir, name), 'x\n');
    now = utc(2026, 11, 21, 10);
    const s = sink({ interval: '1h', utc: true, maxFiles: 0 });
    lineAt(s, utc(2026, 11, 21, 10), 'a');
    lineAt(s, utc(2026, 11, 21, 11), 'b');
    s.close();
    expect(names()).toEqual(['app.log', 'app.log.2026-11-21_99', 'app.log.next.keep', 'app.log.old', 'other.log']);
  });
});

describe('permissions and readers', () => {
  it.each([
    { case: 'time rotation, dated names', rotate: { interval: '1h', utc: true } as RotateOptions, rotated: 'app.log.2026-11-21_10' },
    { case: 'size rotation, numbered names', rotate: { maxSize: 1024 } as RotateOptions, rotated: 'app.log.1' },
  ])('$case: a 0600 live file stays 0600, and so does the rotated one', ({ rotate, rotated }) => {
    fs.writeFileSync(live, '');
    fs.chmodSync(live, 0o600);
    now = utc(2026, 11, 21, 10);
    const s = sink(rotate);
    lineAt(s, utc(2026, 11, 21, 10, 1), 'x'.repeat(700));
    lineAt(s, utc(2026, 11, 21, 11, 1), 'y'.repeat(700));
    s.close();
    expect(s.rotations).toBe(1);
    expect(modeOf('app.log')).toBe(0o600);
    expect(modeOf(rotated)).toBe(0o600);
  });

  it('the path names a whole file at every step of a rotation (no window for a reader to miss it)', () => {
    const seen: boolean[] = [];
    const after = noteAfter(seen, () => fs.existsSync(live));
    const port: FsPort = { ...fs, linkSync: after(fs.linkSync), renameSync: after(fs.renameSync), unlinkSync: after(fs.unlinkSync) };
    now = utc(2026, 11, 21, 0);
    const s = sink({ interval: '1h', utc: true, maxFiles: 1 }, { fs: port });
    for (let h = 0; h < 4; h++) lineAt(s, utc(2026, 11, 21, h), `hour ${h}`);
    s.close();
    expect(seen.length).toBeGreaterThan(6);
    expect(seen.every(Boolean)).toBe(true);
  });

  const hasTail = spawnSync('tail', ['--version']).status === 0;

  it.skipIf(!hasTail)('tail -F follows the live file across rotations', async () => {
    async function until(what: string, done: () => boolean): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    now = utc(2026, 11, 21, 10);
    const s = sink({ interval: '1h', utc: true, maxFiles: 1 });
    const expected: string[] = [];
    lineAt(s, now, 'first');
    expected.push('first\n');
    s.flush();
    const tail = spawn('tail', ['-F', '-n', '+1', '-s', '0.05', live], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tail.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    try {
      await until('the first line', () => out.includes('first\n'));
      for (let h = 10; h < 13; h++) {
        for (let i = 0; i < 20; i++) {
          lineAt(s, utc(2026, 11, 21, h, i), `hour ${h} line ${i}`);
          expected.push(`hour ${h} line ${i}\n`);
        }
        s.flush();
        await until(`hour ${h}`, () => out.includes(`hour ${h} line 19\n`));
      }
      s.close();
      expect(s.rotations).toBe(2);
      expect(out).toBe(expected.join(''));
    } finally {
      tail.kill();
    }
  });
});

describe('a rotation that fails', () => {
  it('by time: reported once, lines go on into the live file, then rotated under the old period after a back-off', () => {
    const events: FailureEvent[] = [];
    const monitor: SinkMonitor = { report: (event) => events.push(event), sleep: () => {} };
    let refuse = true;
    const port: FsPort = {
      ...fs,
      linkSync: (from: string, to: string) => {
        if (refuse) throw Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
        fs.linkSync(from, to);
      },
    };
    now = utc(2026, 11, 21, 10, 30);
    const s = sink({ interval: '1h', utc: true }, { fs: port, monitor });
    lineAt(s, utc(2026, 11, 21, 10, 30), 'a');
    lineAt(s, utc(2026, 11, 21, 11, 0), 'b');
    lineAt(s, utc(2026, 11, 21, 11, 0, 0, 500), 'c');
    expect(s.rotations).toBe(0);
    expect(events).toMatchObject([{ type: 'failed', operation: 'rotate' }]);
    refuse = false;
    lineAt(s, utc(2026, 11, 21, 11, 0, 1, 1), 'd');
    s.close();
    expect(s.rotations).toBe(1);
    expect(contents()).toEqual({ 'app.log': 'd\n', 'app.log.2026-11-21_10': 'a\nb\nc\n' });
    expect(events.map((event) => event.type)).toEqual(['failed', 'recovered']);
  });
});

describe('gzip', () => {
  /** A compressor port that only records. */
  function recording(): CompressorPort & { paths: string[] } {
    const paths: string[] = [];
    return { paths, submit: (path) => paths.push(path) };
  }

  it('posts each rotated file once, after retention, and not one retention deleted', () => {
    const compressor = recording();
    now = utc(2026, 11, 21, 0);
    const s = sink({ interval: '1h', utc: true, compress: true, maxFiles: 1 }, { compressor });
    for (let h = 0; h < 3; h++) lineAt(s, utc(2026, 11, 21, h), `hour ${h}`);
    s.close();
    expect(compressor.paths).toEqual([join(dir, 'app.log.2026-11-21_00'), join(dir, 'app.log.2026-11-21_01')]);
    const none = recording();
    live = join(dir, 'other.log'); // the first sink's files are not this one's
    now = utc(2026, 11, 21, 5);
    const zero = sink({ interval: '1h', utc: true, compress: true, maxFiles: 0 }, { compressor: none });
    lineAt(zero, utc(2026, 11, 21, 5), 'x');
    lineAt(zero, utc(2026, 11, 21, 6), 'y');
    zero.close();
    expect(none.paths).toEqual([]);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('other')).sort()).toEqual(['other.log']);
  });

  it('at startup, posts the rotated files a previous run left plain, not the compressed ones', () => {
    fs.writeFileSync(join(dir, 'app.log.2026-11-19'), 'plain\n');
    fs.writeFileSync(join(dir, 'app.log.2026-11-20.gz'), 'compressed');
    fs.writeFileSync(join(dir, 'app.log.2026-11-20.1'), 'plain, its .gz half made\n');
    fs.writeFileSync(join(dir, 'app.log.2026-11-20.1.gz.tmp'), 'half');
    const compressor = recording();
    sink({ interval: '1d', utc: true, compress: true }, { compressor }).close();
    expect(compressor.paths).toEqual([join(dir, 'app.log.2026-11-19'), join(dir, 'app.log.2026-11-20.1')]);
  });

  it('with a real compressor thread: the drain never waits, close() finishes the work, and the bytes come back', async () => {
    const compressor = new Compressor();
    const client = new CompressorClient(compressor.connect());
    const big = (h: number): string => `hour ${h} `.padEnd(200, 'x');
    now = utc(2026, 11, 21, 0);
    const s = sink({ interval: '1h', utc: true, compress: true, maxFiles: 10 }, { compressor: client });
    const written = new Map<number, string>();
    for (let h = 0; h < 4; h++) {
      let text = '';
      for (let i = 0; i < 20_000; i++) {
        lineAt(s, utc(2026, 11, 21, h, 0, 0, i), big(h));
        text += `${big(h)}\n`;
        if (h > 0 && i === 0) {
          // This line rotated the previous hour's 4 MB: posted, not waited for.
          expect(fs.existsSync(join(dir, `app.log.2026-11-21_0${h - 1}`))).toBe(true);
          expect(fs.existsSync(join(dir, `app.log.2026-11-21_0${h - 1}.gz`))).toBe(false);
        }
      }
      written.set(h, text);
    }
    s.close();
    const result = await compressor.close();
    expect(result).toMatchObject({ compressed: 3, failed: 0, timedOut: false });
    expect(names()).toEqual(['app.log', 'app.log.2026-11-21_00.gz', 'app.log.2026-11-21_01.gz', 'app.log.2026-11-21_02.gz']);
    const files = contents();
    for (let h = 0; h < 3; h++) expect(files[`app.log.2026-11-21_0${h}.gz`] === written.get(h)).toBe(true);
    expect(files['app.log'] === written.get(3)).toBe(true);
  });

  it('never takes a name whose .gz exists, even when a listing missed it (the compressor would rename over it)', () => {
    fs.writeFileSync(join(dir, 'app.log.2026-11-21_10.gz'), 'compressed meanwhile');
    // readdir raced with the compressor: it saw neither the plain file nor its .gz.
    const port: FsPort = { ...fs, readdirSync: (path: string) => fs.readdirSync(path).filter((name) => !name.endsWith('.gz')) };
    now = utc(2026, 11, 21, 10, 30);
    const s = sink({ interval: '1h', utc: true, compress: true }, { fs: port });
    lineAt(s, now, 'a');
    lineAt(s, utc(2026, 11, 21, 11), 'b');
    s.close();
    expect(read('app.log.2026-11-21_10.gz')).toBe('compressed meanwhile');
    expect(read('app.log.2026-11-21_10.1')).toBe('a\n');
  });

  it('retention counts .gz files, and deletes a file with its .gz', () => {
    fs.writeFileSync(join(dir, 'app.log.2026-11-20'), 'plain\n');
    fs.writeFileSync(join(dir, 'app.log.2026-11-20.gz'), 'its .gz, just renamed into place');
    fs.writeFileSync(join(dir, 'app.log.2026-11-21.gz'), 'compressed');
    now = utc(2026, 11, 22, 10);
    const s = sink({ interval: '1d', utc: true, compress: true, maxFiles: 2 });
    lineAt(s, now, 'the 22nd');
    lineAt(s, utc(2026, 11, 23, 0), 'the 23rd');
    s.close();
    expect(names()).toEqual(['app.log', 'app.log.2026-11-21.gz', 'app.log.2026-11-22']);
  });
});

describe('the fake clock is only consulted for rotation', () => {
  it('a sink without time rotation or dates never reads it', () => {
    const clock = vi.fn(() => 0);
    const s = createFileSink({ path: live, rotate: resolveRotate({ maxSize: 1024 }, 'rotate', live), clock });
    for (let i = 0; i < 100; i++) s.writeLine('small\n');
    s.close();
    expect(clock).not.toHaveBeenCalled();
  });
});

describe('random schedules (the model of timed-rotation.test.ts, on the real sink)', () => {
  const berlin: OffsetFn = (t) => (t >= utc(2026, 10, 25, 1) ? H : t >= utc(2026, 3, 29, 1) ? 2 * H : H);
  const scenario = fc.record({
    start: fc.integer({ min: utc(2026, 10, 24, 20), max: utc(2026, 10, 25, 2) }),
    steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 * M }), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 120 }),
    interval: fc.constantFrom('15m', '30m', '1h', '2h', 'midnight'),
    utc: fc.boolean(),
    maxFileBytes: fc.option(fc.integer({ min: 40, max: 400 }), { nil: undefined }),
    maxFiles: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    maxTotalBytes: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
  });

  it('no line is lost or reordered, each file holds only lines of its period, retention keeps the newest run', () => {
    const pattern = compileNamePattern('app.%Y-%m-%d_%H-%M.log', 'pattern');
    fc.assert(
      fc.property(scenario, (s) => {
        fs.rmSync(dir, { recursive: true, force: true });
        const keepAll = s.maxFiles === undefined && s.maxTotalBytes === undefined;
        // Built by hand: resolveRotate() would refuse sizes under 1 KiB.
        const rotate = {
          ...resolveRotate({ interval: s.interval, utc: s.utc, pattern: pattern.source }, 'rotate', live),
          maxFileBytes: s.maxFileBytes,
          maxFiles: keepAll ? undefined : s.maxFiles,
          maxTotalBytes: s.maxTotalBytes,
        };
        now = s.start;
        const sink = createFileSink({ path: live, rotate, clock: () => now, ...(s.utc ? {} : { offset: berlin }) });
        const lines: { text: string; at: number }[] = [];
        s.steps.forEach(([step, padding], i) => {
          now += step;
          const text = `${i} ${now} ${'x'.repeat(padding)}\n`;
          sink.writeLine(text);
          lines.push({ text, at: now });
        });
        sink.close();
        const rotated = listRotatedFiles(live, pattern, fs).map((file) => ({ period: file.period, bytes: file.bytes, text: fs.readFileSync(file.paths[0] as string, 'utf8') }));
        const all = [...rotated.map(({ text }) => text), fs.readFileSync(live, 'utf8')].join('');
        const written = lines.map(({ text }) => text).join('');
        if (keepAll) {
          expect(all).toBe(written);
          expect(rotated).toHaveLength(sink.rotations);
        } else {
          expect(written.endsWith(all)).toBe(true);
          if (s.maxFiles !== undefined) expect(rotated.length).toBeLessThanOrEqual(s.maxFiles);
          if (s.maxTotalBytes !== undefined) expect(rotated.reduce((sum, file) => sum + file.bytes, 0)).toBeLessThanOrEqual(s.maxTotalBytes);
        }
        const interval = parseInterval(s.interval, 'interval');
        const clock = s.utc ? { utc: true } : { offset: berlin };
        const timeOf = new Map(lines.map(({ text, at }) => [text, at]));
        for (const file of rotated) {
          const texts = file.text.split(/(?<=\n)/).filter((t) => t.length > 0);
          expect(texts.length).toBeGreaterThan(0);
          for (const text of texts) {
            const start = periodStart(timeOf.get(text) as number, interval, clock);
            // On a local clock that falls back, the repeated hour belongs to the running period.
            expect(file.period - start).toBeGreaterThanOrEqual(0);
            expect(file.period - start).toBeLessThanOrEqual(s.utc ? 0 : H);
          }
          if (s.maxFileBytes !== undefined && texts.length > 1) expect(Buffer.byteLength(file.text)).toBeLessThanOrEqual(s.maxFileBytes);
        }
      }),
      { numRuns: 80 },
    );
  });
});
