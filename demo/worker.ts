/**
 * The task function of the demo's piscina pool (see pool.ts): CPU-bound jobs, each hashed and
 * logged through the ring whose handle the pool gave every thread in its `workerData`. The
 * logger is made once per thread, when piscina loads this module, as a pool worker would.
 */
import { createHash } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { connect, type LogHandle } from '../src/index.js';

export interface PoolData {
  readonly log: LogHandle;
}

/** A task: the jobs first .. first + count - 1. */
export interface Task {
  readonly first: number;
  readonly count: number;
}

/** What a task reports back: the records it logged. */
export interface TaskResult {
  readonly logged: number;
}

/** SHA-256 rounds over BLOCK_BYTES per job: about 45 µs of CPU (a round is ~3.2 µs on an AMD EPYC core). */
const ROUNDS = 14;
const BLOCK_BYTES = 4096;
const WARN_EVERY = 1000;
const DEBUG_EVERY = 100;

const { log: handle } = Piscina.workerData as PoolData;
// `thread` and `seq` let the demo check each thread's records arrive in the order it logged them.
const log = connect(handle, { name: 'worker' }).child({ thread: threadId });
const block = Buffer.alloc(BLOCK_BYTES, threadId);
let seq = 0;

/** The job's "result": a hash chain seeded with the job number. */
function work(job: number): string {
  let digest = Buffer.alloc(32);
  digest.writeUInt32LE(job);
  for (let round = 0; round < ROUNDS; round++) {
    digest = createHash('sha256').update(block).update(digest).digest();
  }
  return digest.toString('hex');
}

export default function run({ first, count }: Task): TaskResult {
  let logged = 0;
  for (let job = first; job < first + count; job++) {
    // Below the backend's level ('info'): the call returns before encoding anything, and the
    // guard spares building the fields too. Counted only when it would be written.
    if (job % DEBUG_EVERY === 0 && log.isLevelEnabled('debug')) {
      log.debug({ job, seq: seq++, rounds: ROUNDS }, 'job %d starting', job);
      logged++;
    }
    const start = performance.now();
    const digest = work(job);
    const micros = Math.round((performance.now() - start) * 1000);
    log.info({ job, seq: seq++, digest }, 'job %d done in %s µs', job, micros);
    logged++;
    if ((job + 1) % WARN_EVERY === 0) {
      log.warn({ job, seq: seq++ }, '%d jobs done', job + 1);
      logged++;
    }
  }
  return { logged };
}
