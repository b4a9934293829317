/**
 * The backend as a whole: what it refuses at startup, that it sleeps when idle, and that a record
 * reaches the file while the thread that logged it never returns to its event loop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend } from '../../dist/src/index.js';
import { readRecords, tempDir } from '../support/log-files.js';

const distIndex = pathToFileURL(new URL('../../dist/src/index.js', import.meta.url).pathname).href;

describe('createLogBackend', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each([
    [{ bufferSize: '10MB' }, RangeError, /options\.bufferSize must be a power of two from 4KiB to 1GiB.*use 8MiB or 16MiB/],
    [{ bufferSize: 1024 }, RangeError, /options\.bufferSize/],
    [{ bufferSize: '8 parsecs' }, TypeError, /options\.bufferSize/],
    [{ file: { path: 'x.log', maxFiles: 0 } }, RangeError, /options\.file\.maxFiles/],
    [{ file: { path: 'x.log', maxSize: '1B' } }, RangeError, /options\.file\.maxSize/],
    [{ level: 'loud' }, TypeError, /options\.level/],
    [{ onFull: 'wait' }, TypeError, /options\.onFull/],
    [{ bufferSiz: '8MiB' }, TypeError, /options\.bufferSiz is not a known option/],
  ])('rejects %j at startup, naming the option', async (options, kind, message) => {
    const failure = createLogBackend(options as never);
    await expect(failure).rejects.toThrow(kind);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toMatchObject({ code: 'ERR_RINGLOG_OPTION' });
  });

  it('rejects when the log file cannot be opened, naming the path', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    await expect(createLogBackend({ file: join(blocker, 'app.log') })).rejects.toThrow(/not-a-directory/);
  });

  it.each([[true], [50]])('file.fsync %j is accepted and the output is intact, across rotations', async (fsync) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const file = join(dir, 'app.log');
    const backend = await createLogBackend({ bufferSize: '64KiB', file: { path: file, fsync, maxSize: '16KiB', maxFiles: 100 } });
    const log = backend.logger('durable');
    for (let i = 0; i < 1000; i++) log.info({ i }, 'synced record');
    await backend.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 1000; i < 1200; i++) log.info({ i }, 'synced record');
    const stats = await backend.close();
    const seen = readRecords(dir, 'app.log').map((record) => record['i']);
    expect(seen).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(stats).toMatchObject({ recordsWritten: 1200, recordsDropped: 0 });
    expect(stats.rotations).toBeGreaterThan(0);
  });

  it('sleeps when idle: a second with nothing to log costs almost no CPU', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ file: join(dir, 'app.log') });
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(before);
    await backend.close();
    // A consumer spinning on the ring would burn ~1,000,000 µs of CPU in this second.
    expect(used.user + used.system).toBeLessThan(200_000);
  });

  it('a record is in the file while the worker that logged it stays parked, never yielding; flush() on another lane waits for it', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const file = join(dir, 'app.log');
    // The worker and the main thread claim in different lanes: flush() waits for every lane.
    const backend = await createLogBackend({ file, lanes: 4 });
    const code = `
      const { connect } = await import(${JSON.stringify(distIndex)});
      const { workerData, parentPort } = await import('node:worker_threads');
      connect(workerData.log, { name: 'parked' }).info('logged before parking');
      parentPort.postMessage('parking');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    `;
    const worker = new Worker(code, { eval: true, workerData: { log: backend.handle } });
    await new Promise((resolve) => worker.once('message', resolve));
    await backend.flush();
    expect(readFileSync(file, 'utf8')).toContain('"msg":"logged before parking"');
    await worker.terminate();
    await backend.close();
  });

  it.runIf(existsSync('/dev/full'))(
    'a disk that stays full (ENOSPC): a producer blocked on the full ring is released, the records are counted, close() resolves',
    () => {
      // In a child process: the main thread fills the ring and blocks in it, so it never runs its
      // event loop while the consumer retries, and must be released through shared memory.
      const code = `
        const { createLogBackend } = await import(${JSON.stringify(distIndex)});
        const backend = await createLogBackend({ bufferSize: '64KiB', file: '/dev/full' });
        const events = [];
        backend.on('error', (error) => events.push([error.code, error.operation, error.cause.code]));
        const log = backend.logger('main');
        for (let i = 0; i < 5000; i++) log.info({ i }, 'to a full disk');
        const stats = await backend.close();
        console.log(JSON.stringify({ stats, events }));
      `;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
      expect(result.status).toBe(0);
      // One line for the whole episode, however many batches failed.
      expect(result.stderr).toMatch(/^ringlog: cannot write to \/dev\/full \(ENOSPC: no space left on device, write\); retrying; [^\n]*\n$/);
      const { stats, events } = JSON.parse(result.stdout) as { stats: Record<string, number>; events: unknown[] };
      expect(stats).toMatchObject({ recordsWritten: 0, writeFailed: 5000, recordsDropped: 5000, droppedClosed: 0 });
      expect(events).toEqual([['ERR_RINGLOG_WRITE', 'write', 'ENOSPC']]);
    },
  );

  it('close() while producers keep logging: resolves, writes every claim made before it, then counts the rest as dropped', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const file = join(dir, 'app.log');
    const backend = await createLogBackend({ bufferSize: '64KiB', file });
    const loggers = [0, 1].map(() => new Worker(new URL('../../dist/test/fixtures/loop-worker.js', import.meta.url), { workerData: { log: backend.handle } }));
    await Promise.all(loggers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
    // Two threads logging as fast as they can: the ring runs full, and never past its size.
    const used: number[] = [];
    for (let i = 0; i < 20; i++, await new Promise((resolve) => setTimeout(resolve, 5))) used.push(backend.stats().bufferUsed);
    expect(Math.max(...used)).toBeGreaterThan(0);
    expect(Math.max(...used)).toBeLessThanOrEqual(64 * 1024);
    const stats = await backend.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const droppedAfter = backend.stats().droppedClosed;
    // Sealed and drained: nothing is claimed and not drained, whatever the threads still try.
    expect(backend.stats().bufferUsed).toBe(0);
    await Promise.all(loggers.map((worker) => worker.terminate()));

    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; thread: number });
    expect(stats.recordsWritten).toBe(lines.length);
    expect(stats.abandoned).toBe(0);
    // Each thread's records are a gap-free run from 0: nothing claimed before the seal went missing.
    const threads = [...new Set(lines.map((line) => line.thread))];
    expect(threads).toHaveLength(2);
    for (const thread of threads) {
      const run = lines.filter((line) => line.thread === thread).map((line) => line.seq);
      expect(run).toEqual(run.map((_, i) => i));
    }
    expect(droppedAfter).toBeGreaterThan(0);
  });
});
