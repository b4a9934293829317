/**
 * The worker side of every variant. A variant's worker file only says how it logs one record
 * and how it hands the rest over at the end; this module runs the workload around it, the same
 * for all, so that the loop being timed is identical and only the logging differs.
 *
 * Workers report to the main thread (see pool.ts): 'ready' once set up, then they wait at the
 * start barrier, so that thread start-up, module loading and transport start-up are not measured.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface VariantProducer {
  /** Logs record `i`: `info({ i }, 'processed job')` through a child logger bound to `{ worker: id }`. */
  log(i: number): void;
  /** After the last record: hand over what the worker still holds, and wait if the variant must. */
  end(): void | Promise<void>;
}

export type Workload =
  /** Throughput: `records` calls, returning to the event loop every `yieldEvery` of them. */
  | { readonly kind: 'count'; readonly records: number; readonly yieldEvery: number }
  /** Immediacy: one record, then `spinMs` of computation without yielding. */
  | { readonly kind: 'once'; readonly spinMs: number }
  /** Overload: as fast as possible until the main thread sets `stop[0]`. */
  | { readonly kind: 'until-stopped'; readonly stop: Int32Array; readonly yieldEvery: number };

export interface ProducerData<V = unknown> {
  readonly id: number;
  /** The start barrier: 0 until the main thread lets every worker go at once. */
  readonly go: Int32Array;
  readonly workload: Workload;
  readonly variant: V;
}

/** Times are `performance.timeOrigin + performance.now()`: milliseconds comparable across threads. */
export type ProducerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'logged'; readonly at: number }
  | { readonly type: 'spun'; readonly at: number }
  | { readonly type: 'stopped'; readonly logged: number }
  | { readonly type: 'done'; readonly logged: number; readonly callNs: number };

export async function runProducer<V>(setup: (id: number, variant: V) => VariantProducer | Promise<VariantProducer>): Promise<void> {
  const { id, go, workload, variant } = workerData as ProducerData<V>;
  const producer = await setup(id, variant);
  post({ type: 'ready' });
  Atomics.wait(go, 0, 0);

  switch (workload.kind) {
    case 'count':
      return count(producer, workload.records, workload.yieldEvery);
    case 'once':
      return once(producer, workload.spinMs);
    case 'until-stopped':
      return untilStopped(producer, workload.stop, workload.yieldEvery);
  }
}

/**
 * A pool worker returns to its event loop between jobs, and designs that write asynchronously
 * (pino's transport stream, a file stream) only make progress then: so the loop yields every
 * `yieldEvery` records, for every variant alike. Only the log calls are timed, not the yields.
 */
async function count(producer: VariantProducer, records: number, yieldEvery: number): Promise<void> {
  let ns = 0n;
  for (let start = 0; start < records; start += yieldEvery) {
    const end = Math.min(start + yieldEvery, records);
    const t0 = process.hrtime.bigint();
    for (let i = start; i < end; i++) producer.log(i);
    ns += process.hrtime.bigint() - t0;
    if (end < records) await yieldToEventLoop();
  }
  await producer.end();
  post({ type: 'done', logged: records, callNs: Number(ns) / records });
}

async function once(producer: VariantProducer, spinMs: number): Promise<void> {
  const at = now();
  const t0 = process.hrtime.bigint();
  producer.log(0);
  const callNs = Number(process.hrtime.bigint() - t0);
  post({ type: 'logged', at });
  // Computing: no await, no callback, no event loop until this returns.
  const until = performance.now() + spinMs;
  while (performance.now() < until);
  post({ type: 'spun', at: now() });
  await producer.end();
  post({ type: 'done', logged: 1, callNs });
}

async function untilStopped(producer: VariantProducer, stop: Int32Array, yieldEvery: number): Promise<void> {
  let logged = 0;
  let ns = 0n;
  while (Atomics.load(stop, 0) === 0) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < yieldEvery; k++) producer.log(logged++);
    ns += process.hrtime.bigint() - t0;
    await yieldToEventLoop();
  }
  post({ type: 'stopped', logged });
  await producer.end();
  post({ type: 'done', logged, callNs: Number(ns) / logged });
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function post(message: ProducerMessage): void {
  parentPort!.postMessage(message);
}
