/**
 * Micro: the cost of one log call, ringlog beside pino on the same inputs, timed by tinybench in
 * a worker thread (where pool code logs). Both write to /dev/null, so neither waits for a disk.
 *
 * ringlog's ring (the default 8 MiB) is written through once first (lib/warm-ring.ts), and every
 * task phase logs a bounded number of records into an emptied ring, far fewer than it holds.
 * onFull is 'drop', so a ring that filled up anyway would show as dropped records instead of
 * slowing the calls silently; the run reports that count, which must be 0.
 *
 * "ringlog redact" is the same call on a second backend, alike but for `redact` (REDACT_PATHS,
 * the example of issue 13): the four calls match none of its paths, what most calls of a
 * redacting app are (the target: at most a few percent over plain ringlog), and the last call's
 * `password` is censored.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { createLogBackend } from '../../src/index.js';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config } from '../lib/config.js';
import { fixed, int, table, times } from '../lib/format.js';
import type { Library, MicroData, MicroTaskResult } from './micro-worker.js';

/** Calls per timed batch: enough that the two timer reads around a batch cost < 1 ns per call. */
const BATCH = 100;
const RING_BYTES = 8 * 1024 * 1024;
/** A wildcard among them: every top-level object value of a call is looked into. */
const REDACT_PATHS = ['password', 'req.headers.authorization', '*.token', 'users[*].ssn'];

interface Spec extends ChildSpec {
  readonly batches: number;
}

export interface Result {
  readonly batches: number;
  readonly batch: number;
  readonly tasks: readonly MicroTaskResult[];
  /** Records ringlog dropped because its ring was full (both backends): must be 0 for the numbers to be call costs. */
  readonly ringlogDroppedFull: number;
}

export async function run(config: Config): Promise<Result> {
  console.log(
    `\n== micro: one log call in a worker thread (tinybench: ${int(config.microBatches)} iterations per task, each ${BATCH} calls timed together)` +
      `\n   ringlog: 8 MiB ring, its consumer writing /dev/null; ringlog redact: the same with redact: ${JSON.stringify(REDACT_PATHS)}` +
      `\n   pino: pino(pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 })), sonic-boom writing asynchronously` +
      `\n   pino noop: pino({}, { write() {} }), pino's own formatting with nothing written`,
  );
  const result = await withTempDir((dir) => inChild<Result>({ scenario: 'micro', dir, batches: config.microBatches } as Spec, 120_000));
  const calls = [...new Set(result.tasks.map((t) => t.call))];
  const ns = (library: Library, call: string): number =>
    result.tasks.find((t) => t.library === library && t.call === call)?.meanNs ?? NaN;
  console.log(
    table(
      ['call', 'ringlog ns', 'redact ns', 'redact / ringlog', 'pino ns', 'pino / ringlog', 'pino noop ns', 'pino noop / ringlog'],
      calls.map((call) => {
        const r = ns('ringlog', call);
        const redact = ns('ringlog-redact', call);
        return [
          call,
          fixed(r, 1),
          fixed(redact, 1),
          times(redact / r),
          fixed(ns('pino', call), 1),
          times(ns('pino', call) / r),
          fixed(ns('pino-noop', call), 1),
          times(ns('pino-noop', call) / r),
        ];
      }),
    ),
  );
  console.log(`(mean ns per call over the task's ${BATCH}-call batches; x / ringlog > 1: ringlog's call is cheaper)`);
  if (result.ringlogDroppedFull > 0) {
    console.log(`WARNING: ringlog's ring filled during a task (${int(result.ringlogDroppedFull)} records dropped): its numbers are not pure call costs`);
  }
  return result;
}

/** In the measuring process. */
export async function measure(spec: Spec): Promise<Result> {
  const backend = await createLogBackend({ bufferSize: RING_BYTES, onFull: 'drop', file: '/dev/null' });
  const redacting = await createLogBackend({ bufferSize: RING_BYTES, onFull: 'drop', file: '/dev/null', redact: REDACT_PATHS });
  const data: MicroData = { handle: backend.handle, redactHandle: redacting.handle, ringBytes: RING_BYTES, batches: spec.batches, batch: BATCH };
  const worker = new Worker(new URL('./micro-worker.js', import.meta.url), { workerData: data });
  const [tasks] = (await once(worker, 'message')) as [MicroTaskResult[]];
  await once(worker, 'exit');
  const stats = await backend.close();
  const redactStats = await redacting.close();
  return { batches: spec.batches, batch: BATCH, tasks, ringlogDroppedFull: stats.droppedFull + redactStats.droppedFull };
}
