/**
 * SIGTERM and SIGINT with the ring full (a worker logging in a loop, the main thread just past
 * a burst larger than the ring), in a child process. Without a listener of the app's own, ringlog
 * drains and re-raises: the process still ends by the signal, and every record committed before
 * it is in the file. With the app's own listener, the app decides; its process.exit() drains.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN_RECORDS } from '../fixtures/exit-counts.js';
import { readRecords, tempDir } from '../support/log-files.js';

const app = fileURLToPath(new URL('../../dist/test/fixtures/signal-app.js', import.meta.url));
const distIndex = pathToFileURL(fileURLToPath(new URL('../../dist/src/index.js', import.meta.url))).href;
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function run(dir: string, signal: string, mode: 'default' | 'handler') {
  const result = spawnSync(process.execPath, [app, dir, signal, mode], { encoding: 'utf8', timeout: 60_000 });
  const records = readRecords(dir, 'app.log');
  const main = records.filter((r) => r['name'] === 'main' && r['seq'] !== undefined).map((r) => r['seq']);
  const looping = records.filter((r) => r['name'] === 'victim').map((r) => r['seq']);
  return { result, records, main, looping };
}

describe('signals', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each([['SIGTERM'], ['SIGINT']])('%s without a listener of the app: drained, then the process ends by the signal as it would have without ringlog', (signal) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { result, main, looping } = run(dir, signal, 'default');
    expect(result.signal).toBe(signal);
    expect(result.status).toBe(null);
    expect(result.stderr).toBe('');
    // Every record of the burst, committed before the signal, is in the file.
    expect(main).toEqual(upTo(MAIN_RECORDS));
    // The looping worker's records are a gap-free run from 0: the drain cut it off cleanly.
    expect(looping.length).toBeGreaterThan(0);
    expect(looping).toEqual(upTo(looping.length));
  });

  it.each([['SIGTERM'], ['SIGINT']])('%s with a listener of the app: ringlog leaves it to the app, whose process.exit() drains everything', (signal) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { result, main, looping, records } = run(dir, signal, 'handler');
    expect(result.signal).toBe(null);
    expect(result.status).toBe(3);
    expect(result.stderr).toBe('');
    expect(main).toEqual(upTo(MAIN_RECORDS));
    expect(looping).toEqual(upTo(looping.length));
    expect(records.filter((r) => r['msg'] === 'the app handles the signal')).toEqual([expect.objectContaining({ signal })]);
  });

  it('listens only while a backend is open, once for all backends', () => {
    const code = `
      const { createLogBackend } = await import(${JSON.stringify(distIndex)});
      const count = () => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
      const seen = [count()];
      const a = await createLogBackend({ bufferSize: '64KiB' });
      const b = await createLogBackend({ bufferSize: '64KiB' });
      seen.push(count());
      await a.close();
      seen.push(count());
      await b.close();
      seen.push(count());
      console.error(JSON.stringify(seen));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stderr)).toEqual([[0, 0], [1, 1], [1, 1], [0, 0]]);
  });
});
