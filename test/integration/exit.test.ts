/**
 * Exits without close(): the exiting main thread drains what is left in the ring, so every
 * record committed before the exit is in the file. Each case runs the app in a child process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN_RECORDS, WORKER_RECORDS } from '../fixtures/exit-counts.js';
import { readRecords, tempDir } from '../support/log-files.js';

const app = fileURLToPath(new URL('../../dist/test/fixtures/exit-app.js', import.meta.url));

function countBySource(records: Record<string, unknown>[]): Map<string, number[]> {
  const bySource = new Map<string, number[]>();
  for (const record of records) {
    const source = record['name'] === 'main' ? 'main' : `worker ${String(record['worker'])}`;
    const seqs = bySource.get(source) ?? [];
    seqs.push(record['seq'] as number);
    bySource.set(source, seqs);
  }
  return bySource;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('exit without close()', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each([
    ['exit', 'process.exit() with the ring full', 2, 0],
    ['natural', 'the end of the event loop with the ring full', 2, 0],
    ['terminate', 'process.exit() after terminating a parked worker', 1, 0],
    ['throw', 'an uncaught exception with the ring full', 2, 1],
    ['reject', 'an unhandled rejection with the ring full', 2, 1],
  ])('%s: %s loses nothing', (mode, _what, workers, status) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const result = spawnSync(process.execPath, [app, dir, mode], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(status);
    if (status === 0) expect(result.stderr).toBe('');
    else expect(result.stderr).toContain('after the burst');

    const bySource = countBySource(readRecords(dir, 'app.log'));
    expect(bySource.get('main')).toEqual(upTo(MAIN_RECORDS));
    for (let worker = 0; worker < workers; worker++) {
      expect(bySource.get(`worker ${worker}`)).toEqual(upTo(WORKER_RECORDS));
    }
    expect(bySource.size).toBe(1 + workers);
  });
});
