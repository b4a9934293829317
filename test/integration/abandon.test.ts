/**
 * A worker terminated in the middle of a record leaves a claim nobody will commit. The consumer
 * must skip it (after its unblock timeout), count it, and let everyone else's records through.
 * Both kinds of lanes: line lanes (the default file's JSON lines), where the claim is the lane's
 * lock, and record lanes (a second file at another level makes the backend keep records).
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend, type BackendOptions, type LogBackend } from '../../dist/src/index.js';
import type { StressWorkerData } from '../fixtures/stress-worker.js';
import { readRecords, tempDir } from '../support/log-files.js';

const fixture = (name: string): URL => new URL(`../../dist/test/fixtures/${name}.js`, import.meta.url);

/**
 * Records from a surviving worker: 5,000 of up to 6 KB, ~15 MB, fill the 64 KiB ring behind a
 * dead claim hundreds of times over (20,000 added ~6 s to the suite and proved no more).
 */
const SURVIVOR_RECORDS = 5_000;

/**
 * SURVIVOR_RECORDS from a surviving worker: it fills the ring behind the dead claim and waits,
 * until the consumer skips the claim. Every record arrives; the claim is counted.
 */
async function survivorFlowsPastOneDeadClaim(backend: LogBackend, dir: string): Promise<void> {
  const survivorData: StressWorkerData = { log: backend.handle, worker: 0, count: SURVIVOR_RECORDS };
  const survivor = new Worker(fixture('stress-worker'), { workerData: survivorData });
  await once(survivor, 'exit');
  const stats = await backend.close();
  const seqs = readRecords(dir, 'app.log').map((r) => r['seq']);
  expect(seqs).toEqual(Array.from({ length: SURVIVOR_RECORDS }, (_, i) => i));
  expect(stats).toMatchObject({ abandoned: 1, recordsWritten: SURVIVOR_RECORDS, recordsDropped: 1 });
}

/** Options of a backend writing `dir`/app.log in lanes of `kind`, besides `rest`. */
function logTo(kind: string, dir: string, rest: BackendOptions): BackendOptions {
  const file = { type: 'file', path: join(dir, 'app.log') } as const;
  // A second sink at another level: the consumer must route by level, so records stay records.
  const sinks = kind === 'records' ? [file, { type: 'file', path: join(dir, 'errors.log'), level: 'error' } as const] : [file];
  return { ...rest, sinks };
}

describe.each([['lines'], ['records']])('a producer terminated mid-record (%s lanes)', (kind) => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each([
    ['its header says "being written"', true],
    ['its header was never written', false],
  ])('a dead claim where %s is skipped once the ring stalls, and counted', async (_case, headerWritten) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend(logTo(kind, dir, { bufferSize: '64KiB' }));
    const dead = new Worker(fixture('dead-claim-worker'), { workerData: { log: backend.handle, headerWritten } });
    await once(dead, 'message');
    await dead.terminate();
    await survivorFlowsPastOneDeadClaim(backend, dir);
  }, 60_000);

  it('in lanes: a dead claim holds up no other lane, and close() skips and counts it', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    // Two lanes of 64 KiB: the dead worker takes the first, the survivor the second.
    const backend = await createLogBackend(logTo(kind, dir, { bufferSize: '128KiB', lanes: 2 }));
    const dead = new Worker(fixture('dead-claim-worker'), { workerData: { log: backend.handle, headerWritten: true } });
    await once(dead, 'message');
    await dead.terminate();
    const started = Date.now();
    const survivorData: StressWorkerData = { log: backend.handle, worker: 0, count: SURVIVOR_RECORDS };
    await once(new Worker(fixture('stress-worker'), { workerData: survivorData }), 'exit');
    await backend.flush();
    // Its records went through while the other lane stayed stuck (no unblock wait per lap).
    expect(readRecords(dir, 'app.log')).toHaveLength(SURVIVOR_RECORDS);
    const stats = await backend.close();
    expect(stats).toMatchObject({ abandoned: 1, recordsWritten: SURVIVOR_RECORDS, recordsDropped: 1 });
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('a worker that dies by an uncaught exception holding a claim: skipped and counted, the others flow, close() resolves', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend(logTo(kind, dir, { bufferSize: '64KiB' }));
    const dead = new Worker(fixture('dead-claim-worker'), { workerData: { log: backend.handle, headerWritten: true, die: 'throw' } });
    const [error] = (await once(dead, 'error')) as [Error];
    expect(error.message).toBe('dies holding a claim');
    await survivorFlowsPastOneDeadClaim(backend, dir);
  }, 60_000);

  it('a worker terminated while logging in a loop holds up no one', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend(logTo(kind, dir, { bufferSize: '64KiB' }));
    let abandoned = 0;
    for (let round = 0; round < 3; round++) {
      const victim = new Worker(fixture('loop-worker'), { workerData: { log: backend.handle } });
      await once(victim, 'message');
      await victim.terminate();
      abandoned = backend.stats().abandoned;
    }
    const survivorData: StressWorkerData = { log: backend.handle, worker: 0, count: SURVIVOR_RECORDS };
    const survivor = new Worker(fixture('stress-worker'), { workerData: survivorData });
    await once(survivor, 'exit');
    const stats = await backend.close();

    const records = readRecords(dir, 'app.log');
    const survivors = records.filter((r) => r['name'] === 'stress').map((r) => r['seq']);
    expect(survivors).toEqual(Array.from({ length: SURVIVOR_RECORDS }, (_, i) => i));
    // Each victim's records are a gap-free run from 0: only its last, unfinished one is missing.
    const victims = records.filter((r) => r['name'] === 'victim').map((r) => r['seq'] as number);
    const runs = victims.filter((seq) => seq === 0).length;
    expect(runs).toBe(3);
    for (let i = 1; i < victims.length; i++) {
      if (victims[i] !== 0) expect(victims[i]).toBe(victims[i - 1]! + 1);
    }
    expect(stats.abandoned).toBeGreaterThanOrEqual(abandoned);
    expect(stats.abandoned).toBeLessThanOrEqual(3);
    expect(stats.recordsWritten).toBe(records.length);
    console.log(`abandoned claims skipped: ${stats.abandoned} of 3 terminations`);
  }, 60_000);
});
