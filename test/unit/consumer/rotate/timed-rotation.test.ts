/**
 * The new pieces composed the way a file sink would use them (schedule -> names -> swap ->
 * retention), on real files with a fake clock: a check that their contracts fit together, and a
 * sketch of the integration. The sink below is a model for this test, not the product.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filesToDelete, type RetentionLimits } from '../../../../src/consumer/rotate/retention.js';
import { compileNamePattern, listRotatedFiles, nextRotatedPath, type NamePattern } from '../../../../src/consumer/rotate/rotated-names.js';
import { swapLiveFile } from '../../../../src/consumer/rotate/swap.js';
import {
  parseInterval,
  periodAfter,
  periodAt,
  periodStart,
  rotationBefore,
  type ClockOptions,
  type Period,
  type Interval,
  type OffsetFn,
} from '../../../../src/consumer/rotate/schedule.js';
import { tempDir } from '../../../support/log-files.js';

let dir = '';
let cleanup = (): void => {};
beforeEach(() => {
  ({ dir, remove: cleanup } = tempDir());
});
afterEach(() => cleanup());

interface ModelOptions {
  readonly interval: Interval;
  readonly pattern: NamePattern;
  readonly clock: ClockOptions;
  readonly maxFileBytes: number | undefined;
  readonly retention: RetentionLimits;
}

class TimedSinkModel {
  readonly #live: string;
  readonly #o: ModelOptions;
  #fd: number;
  #fileBytes = 0;
  #period: Period;
  rotations = 0;

  constructor(live: string, options: ModelOptions, now: number) {
    this.#live = live;
    this.#o = options;
    this.#fd = fs.openSync(live, 'a');
    this.#period = periodAt(now, options.interval, options.clock);
  }

  write(line: string, now: number): void {
    const bytes = Buffer.byteLength(line);
    const { interval, clock, maxFileBytes } = this.#o;
    const reason = rotationBefore({ maxFileBytes, rotateAt: this.#period.rotateAt }, this.#fileBytes, bytes, now);
    if (reason === 'time' || reason === 'size') this.#rotate();
    // After 'size' the period goes on in the new file; after 'time' or 'period' a new one starts.
    if (reason === 'time' || reason === 'period') this.#period = periodAfter(this.#period, now, interval, clock);
    fs.writeSync(this.#fd, line);
    this.#fileBytes += bytes;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }

  #rotate(): void {
    const { pattern, retention } = this.#o;
    const target = nextRotatedPath(this.#live, pattern, this.#period.start, listRotatedFiles(this.#live, pattern, fs));
    const fd = swapLiveFile(fs, { fd: this.#fd, livePath: this.#live, rotatedPath: target });
    fs.closeSync(this.#fd);
    this.#fd = fd;
    this.#fileBytes = 0;
    this.rotations++;
    for (const file of filesToDelete(listRotatedFiles(this.#live, pattern, fs), retention)) {
      for (const path of file.paths) fs.unlinkSync(path);
    }
  }
}

const H = 3600_000;
const berlin: OffsetFn = (t) =>
  t >= Date.UTC(2026, 9, 25, 1) ? H : t >= Date.UTC(2026, 2, 29, 1) ? 2 * H : H;

/** Lines stamped with their time, written at times advancing by random steps. */
const scenario = fc.record({
  start: fc.integer({ min: Date.UTC(2026, 9, 24, 20), max: Date.UTC(2026, 9, 25, 2) }),
  steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 * 60_000 }), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 120 }),
  interval: fc.constantFrom('15m', '30m', '1h', '2h', 'midnight'),
  utc: fc.boolean(),
  maxFileBytes: fc.option(fc.integer({ min: 40, max: 400 }), { nil: undefined }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function run(s: Scenario, retention: RetentionLimits) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  const interval = parseInterval(s.interval, 'interval');
  const pattern = compileNamePattern('app.%Y-%m-%d_%H-%M.log', 'pattern');
  const clock: ClockOptions = s.utc ? { utc: true } : { offset: berlin };
  const live = join(dir, 'app.log');
  let now = s.start;
  const sink = new TimedSinkModel(live, { interval, pattern, clock, maxFileBytes: s.maxFileBytes, retention }, now);
  const lines: { line: string; now: number }[] = [];
  s.steps.forEach(([step, padding], i) => {
    now += step;
    const line = `${i} ${now} ${'x'.repeat(padding)}\n`;
    sink.write(line, now);
    lines.push({ line, now });
  });
  sink.close();
  const rotated = listRotatedFiles(live, pattern, fs);
  const files = [...rotated.map((file) => ({ ...file, text: fs.readFileSync(file.paths[0] as string, 'utf8') })), { period: Infinity, sequence: 0, bytes: 0, paths: [live], text: fs.readFileSync(live, 'utf8') }];
  return { lines, files, rotations: sink.rotations, interval, clock };
}

describe('the pieces composed into a time-and-size rotating sink', () => {
  it('no line is lost or reordered, and each file holds only lines of the period it is named by', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { lines, files, rotations, interval, clock } = run(s, { maxFiles: undefined, maxTotalBytes: undefined });
        // Oldest first, the files hold every line in the order written.
        expect(files.map(({ text }) => text).join('')).toBe(lines.map(({ line }) => line).join(''));
        expect(files.length - 1).toBe(rotations);
        const timeOf = new Map(lines.map(({ line, now }) => [line, now]));
        for (const file of files.slice(0, -1)) {
          const texts = file.text.split(/(?<=\n)/).filter((t) => t.length > 0);
          expect(texts.length).toBeGreaterThan(0);
          for (const text of texts) {
            const start = periodStart(timeOf.get(text) as number, interval, clock);
            // In UTC a line's period is its file's; on a local clock that falls back, the
            // repeated hour belongs to the period that was running, up to an hour later.
            if (s.utc) expect(start).toBe(file.period);
            else expect(file.period - start).toBeGreaterThanOrEqual(0);
            expect(file.period - start).toBeLessThanOrEqual(s.utc ? 0 : H);
          }
          if (s.maxFileBytes !== undefined && texts.length > 1) {
            expect(Buffer.byteLength(file.text)).toBeLessThanOrEqual(s.maxFileBytes);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('with retention, the newest files remain, within the limits, with no hole', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 600 }), (s, maxFiles, maxTotalBytes) => {
        const { lines, files } = run(s, { maxFiles, maxTotalBytes });
        const rotated = files.slice(0, -1);
        expect(rotated.length).toBeLessThanOrEqual(maxFiles);
        expect(rotated.reduce((sum, { bytes }) => sum + bytes, 0)).toBeLessThanOrEqual(maxTotalBytes);
        const all = lines.map(({ line }) => line).join('');
        expect(all.endsWith(files.map(({ text }) => text).join(''))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
