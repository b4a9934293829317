/**
 * Many producers, one small ring, real threads, real files with rotation: every record must come
 * out exactly once, in each thread's order, and intact.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend } from '../../dist/src/index.js';
import { checksum } from '../fixtures/stress-text.js';
import { forEachRecord, logFiles, tempDir } from '../support/log-files.js';
import { runStressWorkers } from '../support/stress-run.js';


/**
 * Checks every record; returns per-worker counts of what arrived, and the records that ringlog's
 * "N records dropped (ring full)" lines add up to.
 */
function verify(dir: string, workers: number): { arrived: number[]; files: number; gaps: number; noticed: number; notices: number } {
  const next = new Array<number>(workers).fill(0);
  const arrived = new Array<number>(workers).fill(0);
  let gaps = 0;
  let noticed = 0;
  let notices = 0;
  const files = forEachRecord(dir, 'app.log', (record) => {
    if (record['name'] === 'ringlog') {
      expect(record).toMatchObject({ level: 40, msg: `ringlog: ${String(record['dropped'])} records dropped (ring full)` });
      noticed += record['dropped'] as number;
      notices++;
      return;
    }
    const { worker, seq, sum, msg } = record as { worker: number; seq: number; sum: number; msg: string };
    expect(record['name']).toBe('stress');
    expect(checksum(msg)).toBe(sum);
    // In order and never twice; a jump forward is a gap (allowed only where records were dropped).
    expect(seq).toBeGreaterThanOrEqual(next[worker]!);
    if (seq > next[worker]!) gaps++;
    next[worker] = seq + 1;
    arrived[worker]!++;
  });
  return { arrived, files, gaps, noticed, notices };
}

/**
 * Per worker: the 64 KiB ring wraps every ~50 of these records, so the 4 workers wrap it about
 * 2,000 times and rotate over a hundred 1 MiB files; more records only make `npm test` longer.
 */
const RECORDS = 24_000;

/**
 * One 64 KiB ring, and 4 lanes of 64 KiB (a worker each, merged by the consumer): a lane wraps as
 * often as the one ring does. The lanes run half the records: the path they add is the merge.
 */
const RINGS = [
  ['one 64 KiB ring', RECORDS, { bufferSize: '64KiB', lanes: 1 }],
  ['4 lanes of 64 KiB', RECORDS / 2, { bufferSize: '256KiB', lanes: 4 }],
] as const;

describe('stress: 4 worker threads through small rings', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each(RINGS)(`%s: writes 4 x %i records of 0-1,500 multi-byte characters exactly once, in order, intact, across 1 MiB rotations`, async (_, records, ring) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({
      ...ring,
      file: { path: join(dir, 'app.log'), maxSize: '1MiB', maxFiles: 100_000 },
    });
    await runStressWorkers(backend, 4, records);
    const stats = await backend.close();

    const { arrived, files, gaps } = verify(dir, 4);
    expect(arrived).toEqual([records, records, records, records]);
    expect(gaps).toBe(0);
    expect(stats).toMatchObject({ recordsWritten: 4 * records, recordsDropped: 0, recordsFailed: 0 });
    expect(stats.rotations).toBe(files - 1);
    expect(files).toBeGreaterThan(records / 600);
    const sizes = logFiles(dir, 'app.log').map((file) => statSync(file).size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(stats.bytesWritten);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024 * 1024);
  }, 300_000);

  it.each(RINGS)("%s: onFull: 'drop' loses only what it counts, and what arrives is intact and in order", async (_, _records, ring) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ ...ring, onFull: 'drop', file: join(dir, 'app.log') });
    await runStressWorkers(backend, 4, 20_000);
    const stats = await backend.close();

    const { arrived, noticed, notices } = verify(dir, 4);
    const total = arrived.reduce((a, b) => a + b, 0);
    expect(total + stats.droppedFull, JSON.stringify(stats)).toBe(80_000);
    // Where records were dropped, a line says how many: together they say all of them.
    expect(noticed).toBe(stats.droppedFull);
    expect(stats.recordsWritten).toBe(total + notices);
    expect(stats.recordsFailed).toBe(0);
  }, 120_000);
});
