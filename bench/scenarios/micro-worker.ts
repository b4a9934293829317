/**
 * The micro benchmark's thread (see micro.ts): tinybench times one log call of ringlog and of
 * pino on the same inputs. Each tinybench iteration is a batch of calls timed with
 * process.hrtime.bigint(), divided by the batch size: one call is too short for the timer.
 */
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { Bench, type FnReturnedObject } from 'tinybench';
import { connect, type LogHandle } from '../../src/index.js';
import { warmRing } from '../lib/warm-ring.js';

export interface MicroData {
  readonly handle: LogHandle;
  /** A second backend, alike but for its `redact` paths (micro.ts REDACT_PATHS). */
  readonly redactHandle: LogHandle;
  readonly ringBytes: number;
  /** tinybench iterations per task (and a quarter of that to warm up). */
  readonly batches: number;
  /** Calls per iteration, timed together. */
  readonly batch: number;
}

/**
 * pino twice: to sonic-boom on /dev/null (what an app would use), and to a write() that does
 * nothing, which leaves pino's own formatting: sonic-boom 4's write() takes Buffer.byteLength of
 * its whole pending chunk (up to 16 KiB) on every call, which costs more than pino itself.
 */
export type Library = 'ringlog' | 'ringlog-redact' | 'pino' | 'pino-noop';

export interface MicroTaskResult {
  readonly library: Library;
  readonly call: string;
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  /** Batches measured. */
  readonly samples: number;
}

const { handle, redactHandle, ringBytes, batches, batch: BATCH } = workerData as MicroData;
const ringlog = connect(handle);
const redacted = connect(redactHandle);
// pino's fastest in-process destination: sonic-boom, asynchronous, writes once 4 KiB are buffered.
const destination = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
const log = pino(destination);
await once(destination, 'ready');
const bare = pino({}, { write: () => {} });

// One literal per task, so that every call site below sees one logger and one call shape.
const STRING = "info('string')";
const PRINTF = "info('with %s and %d', 'args', 42)";
const OBJECT = "info({ a: 1, b: 'two', c: true }, 'with an object')";
const FILTERED = "debug('filtered out') at level info";
/** A call whose `password` the redacting logger censors (the others match none of its paths). */
const SECRET = "info({ a: 1, password: 'hunter2', c: true }, 'with a secret')";
const CALLS: readonly [Library, string, () => void][] = [
  ['ringlog', STRING, () => { for (let k = 0; k < BATCH; k++) ringlog.info('string'); }],
  ['ringlog-redact', STRING, () => { for (let k = 0; k < BATCH; k++) redacted.info('string'); }],
  ['pino', STRING, () => { for (let k = 0; k < BATCH; k++) log.info('string'); }],
  ['pino-noop', STRING, () => { for (let k = 0; k < BATCH; k++) bare.info('string'); }],
  ['ringlog', PRINTF, () => { for (let k = 0; k < BATCH; k++) ringlog.info('with %s and %d', 'args', 42); }],
  ['ringlog-redact', PRINTF, () => { for (let k = 0; k < BATCH; k++) redacted.info('with %s and %d', 'args', 42); }],
  ['pino', PRINTF, () => { for (let k = 0; k < BATCH; k++) log.info('with %s and %d', 'args', 42); }],
  ['pino-noop', PRINTF, () => { for (let k = 0; k < BATCH; k++) bare.info('with %s and %d', 'args', 42); }],
  ['ringlog', OBJECT, () => { for (let k = 0; k < BATCH; k++) ringlog.info({ a: 1, b: 'two', c: true }, 'with an object'); }],
  ['ringlog-redact', OBJECT, () => { for (let k = 0; k < BATCH; k++) redacted.info({ a: 1, b: 'two', c: true }, 'with an object'); }],
  ['pino', OBJECT, () => { for (let k = 0; k < BATCH; k++) log.info({ a: 1, b: 'two', c: true }, 'with an object'); }],
  ['pino-noop', OBJECT, () => { for (let k = 0; k < BATCH; k++) bare.info({ a: 1, b: 'two', c: true }, 'with an object'); }],
  ['ringlog', FILTERED, () => { for (let k = 0; k < BATCH; k++) ringlog.debug('filtered out'); }],
  ['ringlog-redact', FILTERED, () => { for (let k = 0; k < BATCH; k++) redacted.debug('filtered out'); }],
  ['pino', FILTERED, () => { for (let k = 0; k < BATCH; k++) log.debug('filtered out'); }],
  ['pino-noop', FILTERED, () => { for (let k = 0; k < BATCH; k++) bare.debug('filtered out'); }],
  ['ringlog', SECRET, () => { for (let k = 0; k < BATCH; k++) ringlog.info({ a: 1, password: 'hunter2', c: true }, 'with a secret'); }],
  ['ringlog-redact', SECRET, () => { for (let k = 0; k < BATCH; k++) redacted.info({ a: 1, password: 'hunter2', c: true }, 'with a secret'); }],
];

function timed(batch: () => void): () => FnReturnedObject {
  return () => {
    const t0 = process.hrtime.bigint();
    batch();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { overriddenDuration: ms / BATCH, overriddenIterationCost: ms };
  };
}

/**
 * Between tasks (and after each warm-up) everything logged so far is written out: the next task
 * starts with an empty ring and an empty sonic-boom buffer, so it measures calls, not backpressure.
 */
async function drain(): Promise<void> {
  await ringlog.flush();
  await redacted.flush();
  await new Promise<void>((resolve, reject) =>
    destination.flush((error) => {
      // flush() ends with an fsync, which /dev/null refuses (EINVAL) after the lines are written.
      if (error !== undefined && error !== null && (error as NodeJS.ErrnoException).code !== 'EINVAL') reject(error);
      else resolve();
    }),
  );
}

await warmRing(ringlog, ringBytes);
await warmRing(redacted, ringBytes);
// Iterations, not time: a phase logs at most batches x BATCH records, whatever the speed, which
// the ring holds with room to spare (each phase starts empty, see drain()).
const bench = new Bench({ time: 0, iterations: batches, warmupTime: 0, warmupIterations: Math.ceil(batches / 4), throws: true });
for (const [library, call, batch] of CALLS) {
  bench.add(`${library} ${call}`, timed(batch), { async: false, beforeAll: drain, afterAll: drain });
}
await bench.run();

const results: MicroTaskResult[] = bench.tasks.map((task, k) => {
  const [library, call] = CALLS[k]!;
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`micro: ${task.name} ended ${result.state}`);
  const { mean, p50, p99, samplesCount } = result.latency;
  return { library, call, meanNs: mean * 1e6, p50Ns: p50 * 1e6, p99Ns: p99 * 1e6, samples: samplesCount };
});
destination.flushSync();
parentPort!.postMessage(results);
