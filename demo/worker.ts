/**
 * One CPU-bound worker of the demo pool (see pool.ts): it hashes, logs every job through the
 * ring it was handed in `workerData.log`, and posts back how many records it logged.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { connect, type LogHandle } from '../src/index.js';

export interface WorkerData {
  readonly log: LogHandle;
  readonly id: number;
  /** Jobs to run, numbered 0 .. jobs-1 and logged in that order. */
  readonly jobs: number;
}

/** SHA-256 rounds over BLOCK_BYTES per job: about 45 µs of CPU (a round is ~3.2 µs on an AMD EPYC core). */
const ROUNDS = 14;
const BLOCK_BYTES = 4096;
const WARN_EVERY = 1000;
const DEBUG_EVERY = 100;

const { log: handle, id, jobs } = workerData as WorkerData;
const log = connect(handle, { name: 'worker' }).child({ worker: id });
const block = Buffer.alloc(BLOCK_BYTES, id);

/** The job's "result": a hash chain seeded with the job number. */
function work(job: number): string {
  let digest = Buffer.alloc(32);
  digest.writeUInt32LE(job);
  for (let round = 0; round < ROUNDS; round++) {
    digest = createHash('sha256').update(block).update(digest).digest();
  }
  return digest.toString('hex');
}

let logged = 0;
for (let job = 0; job < jobs; job++) {
  // Below the backend's level ('info'): the call returns before encoding anything, and the
  // guard spares building the fields too. Counted only when it would be written.
  if (job % DEBUG_EVERY === 0 && log.isLevelEnabled('debug')) {
    log.debug({ job, rounds: ROUNDS }, 'job %d starting', job);
    logged++;
  }
  const start = performance.now();
  const digest = work(job);
  const micros = Math.round((performance.now() - start) * 1000);
  log.info({ job, digest }, 'job %d done in %s µs', job, micros);
  logged++;
  if ((job + 1) % WARN_EVERY === 0) {
    log.warn({ job }, '%d jobs done', job + 1);
    logged++;
  }
}
parentPort?.postMessage(logged);
