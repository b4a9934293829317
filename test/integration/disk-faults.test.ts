/**
 * A failing disk with real threads and real files: a file that cannot be opened, writes that
 * fail for a while (injected EIO) or for good, the file deleted or moved away under us, its
 * directory replaced, a write that hangs. The app never crashes or hangs; each failure is
 * reported once ('error' event, one stderr line), retried, and counted when given up; recovery
 * is reported. Cases that check stderr or inject faults run in a child process.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend, type BackendError, type RecoverInfo } from '../../dist/src/index.js';
import type { FaultPlan } from '../fixtures/fault-app.js';
import { FIFO_RECORDS, HANG_RECORDS } from '../fixtures/hang-counts.js';
import { readArrived, runFaultApp, sum, total } from '../support/fault-run.js';
import { readRecords, tempDir } from '../support/log-files.js';

const isRoot = process.getuid?.() === 0;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the file cannot be opened at startup', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each([
    ['ENOTDIR: the path runs through a regular file', (dir: string) => {
      writeFileSync(join(dir, 'not-a-directory'), '');
      return join(dir, 'not-a-directory', 'app.log');
    }, /ENOTDIR|EEXIST/],
    ['EISDIR: a directory stands at the path', (dir: string) => {
      mkdirSync(join(dir, 'app.log'));
      return join(dir, 'app.log');
    }, /EISDIR/],
  ])('%s: createLogBackend rejects, naming the path', async (_case, make, code) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const path = make(dir);
    const failure = createLogBackend({ file: path });
    await expect(failure).rejects.toThrow(code);
    await expect(failure).rejects.toThrow(path);
  });

  // Root writes through permission bits, so a read-only directory stops nothing there; the
  // ENOTDIR and EISDIR cases above fail the same way for root and everyone else.
  it.skipIf(isRoot)('EACCES: a read-only directory; createLogBackend rejects, naming the path (skipped when run as root)', async () => {
    const { dir, remove } = tempDir();
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    cleanup = () => {
      chmodSync(readOnly, 0o700);
      remove();
    };
    const failure = createLogBackend({ file: join(readOnly, 'app.log') });
    await expect(failure).rejects.toThrow(/EACCES/);
    await expect(failure).rejects.toThrow(readOnly);
  });
});

describe('writes that fail (child process, EIO injected into the consumer thread)', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());
  const plan: FaultPlan = { workers: 2, perWorker: 5000, main: 2000 };

  it('a few failures: retried with back-off, nothing lost, one error and one recover event, one stderr line each', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { result, stderr } = runFaultApp(dir, plan, 'eio:3');
    const arrived = readArrived(dir);
    expect(sum(arrived.counts)).toBe(total(plan));
    expect(arrived.gaps).toBe(0);
    expect(result.stats).toMatchObject({ recordsWritten: total(plan), writeFailed: 0, recordsDropped: 0 });
    expect(result.events).toEqual([
      expect.objectContaining({ event: 'error', code: 'ERR_RINGLOG_WRITE', operation: 'write', cause: 'EIO' }),
      expect.objectContaining({ event: 'recover', operation: 'write', target: join(dir, 'app.log'), recordsLost: 0 }),
    ]);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ringlog: cannot write to .*app\.log \(EIO: i\/o error, write \(injected\)\); retrying/);
    expect(lines[1]).toMatch(/^ringlog: writing to .*app\.log works again after \d+\.\d s; 0 records were lost$/);
  });

  it('failures past the retries: producers wait ~2.3 s, then batches are dropped and counted until a write works; what arrives is whole and in order', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    // 9 failures use up the first batch's retries; the next 31 cost one batch each.
    const { result, stderr } = runFaultApp(dir, plan, 'eio:40');
    const arrived = readArrived(dir);
    const { stats } = result;
    expect(stats['writeFailed']).toBeGreaterThan(0);
    expect(sum(arrived.counts) + stats['writeFailed']!).toBe(total(plan));
    expect(stats['recordsWritten']).toBe(arrived.lines);
    expect(stats['recordsDropped']).toBe(stats['writeFailed']);
    // The retries held the ring: the app took at least their length.
    expect(result.totalMs).toBeGreaterThanOrEqual(2000);
    expect(result.events).toEqual([
      expect.objectContaining({ event: 'error', code: 'ERR_RINGLOG_WRITE', cause: 'EIO' }),
      expect.objectContaining({ event: 'recover', recordsLost: stats['writeFailed'] }),
    ]);
    expect(stderr.trimEnd().split('\n')).toHaveLength(2);
    expect(stderr).toContain(`; ${stats['writeFailed']} records were lost`);
  });
});

describe('a write that hangs (a FIFO nobody reads, child process)', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('close() resolves after closeTimeoutMs, counts what was not written, and says so', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const app = fileURLToPath(new URL('../../dist/test/fixtures/hang-app.js', import.meta.url));
    const run = spawnSync(process.execPath, [app, dir], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    const { stats, events, closeMs } = JSON.parse(run.stdout) as { stats: Record<string, number>; events: string[]; closeMs: number };
    expect(closeMs).toBeGreaterThanOrEqual(450);
    expect(closeMs).toBeLessThan(3000);
    expect(events).toEqual(['ERR_RINGLOG_CLOSE_TIMEOUT']);
    expect(stats['writeFailed']).toBeGreaterThan(0);
    expect(stats['recordsWritten']! + stats['writeFailed']!).toBe(HANG_RECORDS);
    expect(run.stderr).toMatch(/^ringlog: close\(\) gave up after 500 ms: the consumer did not finish writing; \d+ records were not written\n$/);
  });
});

describe('a FIFO as the log file (child process)', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('without a reader createLogBackend() fails at once, naming the path; with one, it gets every line', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const app = fileURLToPath(new URL('../../dist/test/fixtures/fifo-app.js', import.meta.url));
    const run = spawnSync(process.execPath, [app, dir], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const { refused, stats, lines } = JSON.parse(run.stdout) as { refused: string; stats: Record<string, number>; lines: number };
    expect(refused).toContain(`${join(dir, 'app.log')} is a FIFO with no reader`);
    expect(lines).toBe(FIFO_RECORDS);
    expect(stats['recordsWritten']).toBe(FIFO_RECORDS);
  });
});

describe('the file deleted, moved or made unreachable under us (real threads)', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  async function backendIn(dir: string) {
    const file = join(dir, 'app.log');
    const backend = await createLogBackend({ bufferSize: '64KiB', file });
    const errors: BackendError[] = [];
    const recoveries: RecoverInfo[] = [];
    backend.on('error', (error) => errors.push(error));
    backend.on('recover', (info) => recoveries.push(info));
    return { file, backend, log: backend.logger('app'), errors, recoveries };
  }

  it('deleted: within about a second the consumer opens the path again, and later records land there', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { file, backend, log, errors } = await backendIn(dir);
    log.info({ n: 1 }, 'before');
    await backend.flush();
    unlinkSync(file);
    await sleep(1100);
    log.info({ n: 2 }, 'after');
    const stats = await backend.close();
    expect(readRecords(dir, 'app.log').map((r) => r['n'])).toEqual([2]);
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ recordsWritten: 2, recordsDropped: 0 });
  });

  it('moved away as logrotate does (rename, no copytruncate): old records stay in the moved file, new ones go to the path', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { file, backend, log, errors } = await backendIn(dir);
    for (let n = 0; n < 3; n++) log.info({ n }, 'before the move');
    await backend.flush();
    renameSync(file, `${file}.1`);
    await sleep(1100);
    for (let n = 3; n < 6; n++) log.info({ n }, 'after the move');
    await backend.close();
    const moved = readFileSync(`${file}.1`, 'utf8').trimEnd().split('\n').map((line) => (JSON.parse(line) as { n: number }).n);
    expect(moved).toEqual([0, 1, 2]);
    const live = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => (JSON.parse(line) as { n: number }).n);
    expect(live).toEqual([3, 4, 5]);
    expect(errors).toEqual([]);
  });

  it('its directory replaced by a file: one error event (open), records counted, and a recover event once it is a directory again', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const logDir = join(dir, 'logs');
    const file = join(logDir, 'app.log');
    const backend = await createLogBackend({ bufferSize: '64KiB', file });
    const errors: BackendError[] = [];
    const recoveries: RecoverInfo[] = [];
    backend.on('error', (error) => errors.push(error));
    backend.on('recover', (info) => recoveries.push(info));
    const log = backend.logger('app');
    log.info({ n: 0 }, 'first');
    await backend.flush();
    rmSync(logDir, { recursive: true });
    writeFileSync(logDir, 'in the way');
    await sleep(1100);
    // The first batch after the check fails and is retried for ~2.3 s, then dropped.
    for (let n = 1; n <= 5; n++) log.info({ n }, 'while unreachable');
    await backend.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_RINGLOG_WRITE', operation: 'open', target: file });
    expect(['ENOTDIR', 'EEXIST']).toContain((errors[0]!.cause as { code: string }).code);
    expect(backend.stats().writeFailed).toBe(5);
    rmSync(logDir);
    log.info({ n: 6 }, 'reachable again');
    const stats = await backend.close();
    expect(readRecords(logDir, 'app.log').map((r) => r['n'])).toEqual([6]);
    expect(recoveries).toEqual([expect.objectContaining({ operation: 'write', target: file, recordsLost: 5 })]);
    expect(stats).toMatchObject({ writeFailed: 5, recordsWritten: 2, recordsDropped: 5 });
    expect(errors).toHaveLength(1);
  });

  it('without an error listener nothing is thrown at the app: stats still count the loss', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const logDir = join(dir, 'logs');
    const backend = await createLogBackend({ bufferSize: '64KiB', file: join(logDir, 'app.log'), closeTimeoutMs: 5000 });
    const log = backend.logger('app');
    log.info('first');
    await backend.flush();
    rmSync(logDir, { recursive: true });
    writeFileSync(logDir, 'in the way');
    await sleep(1100);
    log.info('lost');
    const stats = await backend.close();
    expect(stats.writeFailed).toBe(1);
    expect(existsSync(join(logDir, 'app.log'))).toBe(false);
  });
});
