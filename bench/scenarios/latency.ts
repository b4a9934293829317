/**
 * Latency: how long one ringlog info() call takes while the ring has room (N=1), as a
 * distribution, beside the floor measured the same way. Calls are timed in batches of 8 with
 * process.hrtime.bigint() (one call alone is too close to the timer's own cost); each batch gives
 * one sample, its time / 8.
 *
 * The ring is the default 8 MiB, written through once before timing (lib/warm-ring.ts), and
 * emptied by an untimed flush every 8,000 calls, so no call waits for space; onFull is 'drop', so
 * a call that found the ring full would show in the drop count instead of hiding in the numbers.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createLogBackend } from '../../src/index.js';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config } from '../lib/config.js';
import { fixed, int, table } from '../lib/format.js';
import { percentile } from '../lib/stats.js';
import type { LatencyData, LatencySamples } from './latency-worker.js';

const BATCH = 8;
const RING_BYTES = 8 * 1024 * 1024;
const FLUSH_EVERY = 8000;
/** Histogram bucket upper bounds, in ns per call. */
const BUCKETS = [250, 500, 1000, 2000, 5000, 10_000, 100_000, Infinity];

interface Spec extends ChildSpec {
  readonly calls: number;
}

export interface Distribution {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  /** Samples per bucket of BUCKETS (each bucket: up to, not including, its bound). */
  readonly histogram: readonly number[];
}

export interface Result {
  readonly calls: number;
  readonly batch: number;
  readonly ringlog: Distribution;
  readonly floor: Distribution;
  /** Median per-call share of the two timer reads around a batch (included in the numbers above). */
  readonly timerNs: number;
  readonly ringlogDroppedFull: number;
}

export async function run(config: Config): Promise<Result> {
  console.log(
    `\n== latency: one info() call, N=1, the ring never full (8 MiB, flushed every ${int(FLUSH_EVERY)} calls);` +
      ` ${int(config.latencyCalls)} calls timed in batches of ${BATCH}; ns per call`,
  );
  const result = await withTempDir((dir) => inChild<Result>({ scenario: 'latency', dir, calls: config.latencyCalls } as Spec, 120_000));
  const row = (name: string, d: Distribution): string[] => [name, ...[d.p50, d.p90, d.p99, d.p999, d.max, d.mean].map((v) => fixed(v, 0))];
  console.log(table(['', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'], [row('ringlog', result.ringlog), row('floor', result.floor)]));
  const labels = BUCKETS.map((bound, k) => `${k === 0 ? '<' : ''}${bound === Infinity ? `>=${label(BUCKETS[k - 1]!)}` : label(bound)}`);
  const histogram = (name: string, d: Distribution): string[] => [name, ...d.histogram.map((n) => int(n))];
  console.log(`batches by ns per call (each column: up to that bound)`);
  console.log(table(['', ...labels], [histogram('ringlog', result.ringlog), histogram('floor', result.floor)]));
  console.log(`(the timer reads add ~${fixed(result.timerNs, 0)} ns per call to every sample)`);
  if (result.ringlogDroppedFull > 0) {
    console.log(`WARNING: the ring filled (${int(result.ringlogDroppedFull)} records dropped): the numbers are not the non-full path`);
  }
  return result;
}

function label(ns: number): string {
  return ns >= 1000 ? `${ns / 1000}us` : `${ns}ns`;
}

/** In the measuring process. */
export async function measure(spec: Spec): Promise<Result> {
  const backend = await createLogBackend({ bufferSize: RING_BYTES, onFull: 'drop', file: join(spec.dir, 'app.log') });
  const data: LatencyData = { handle: backend.handle, ringBytes: RING_BYTES, calls: spec.calls, batch: BATCH, flushEvery: FLUSH_EVERY };
  const worker = new Worker(new URL('./latency-worker.js', import.meta.url), { workerData: data });
  const [samples] = (await once(worker, 'message')) as [LatencySamples];
  await once(worker, 'exit');
  const stats = await backend.close();
  return {
    calls: spec.calls,
    batch: BATCH,
    ringlog: distribution(samples.ringlog),
    floor: distribution(samples.floor),
    timerNs: distribution(samples.timer).p50,
    ringlogDroppedFull: stats.droppedFull,
  };
}

function distribution(samples: Float64Array): Distribution {
  const sorted = Float64Array.from(samples).sort();
  const histogram = BUCKETS.map(() => 0);
  for (const v of sorted) histogram[BUCKETS.findIndex((bound) => v < bound)]!++;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    histogram,
  };
}
