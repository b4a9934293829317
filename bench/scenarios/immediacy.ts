/**
 * Immediacy: a worker logs one record and then computes for 2 s without yielding, as a
 * CPU-bound pool task does. How long until that record is in the file? A design that needs the
 * worker's event loop (a batch waiting for a timer, a stream flushed on setImmediate) cannot
 * write it before the computation ends; a crash during the computation would lose it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config, VariantName } from '../lib/config.js';
import { fixed, table } from '../lib/format.js';
import { Pool } from '../lib/pool.js';
import { progress, progressDone } from '../lib/progress.js';
import { VARIANT_BY_NAME } from '../variants/index.js';

const VARIANTS = ['ringlog', 'queue-per-record', 'queue-batched', 'pino-transports'] as const satisfies readonly VariantName[];
const POLL_MS = 1;
/** How long to wait for the record after the computation ended before calling the run failed. */
const GIVE_UP_MS = 10_000;

interface Spec extends ChildSpec {
  readonly variant: VariantName;
  readonly spinMs: number;
}

export interface Measurement {
  readonly variant: VariantName;
  readonly spinMs: number;
  /** From the log call to the first poll that found the whole line in the file. */
  readonly arrivalMs: number;
  /** From the log call to the end of the computation, when the worker yielded. */
  readonly yieldedAfterMs: number;
  readonly beforeYield: boolean;
}

export async function run(config: Config): Promise<Measurement[]> {
  console.log(`\n== immediacy: one record, then ${config.immediacySpinMs} ms of computation without yielding (N=1; the file polled every ${POLL_MS} ms)`);
  const results: Measurement[] = [];
  for (const variant of VARIANTS.filter((v) => config.variants.includes(v))) {
    progress(`immediacy: ${variant}`);
    results.push(
      await withTempDir((dir) => inChild<Measurement>({ scenario: 'immediacy', dir, variant, spinMs: config.immediacySpinMs } as Spec, 60_000)),
    );
  }
  progressDone();
  console.log(table(['variant', 'record in the file after'], results.map((m) => [m.variant, describe(m)]), 2));
  return results;
}

export function describe(m: Measurement): string {
  return m.beforeYield
    ? `${fixed(m.arrivalMs, 1)} ms`
    : `not before the worker yielded: ${fixed(m.arrivalMs, 1)} ms (it computed for ${m.spinMs} ms)`;
}

/** In the measuring process. */
export async function measure(spec: Spec): Promise<Measurement> {
  const path = join(spec.dir, 'app.log');
  const sink = await VARIANT_BY_NAME[spec.variant].open(path, 1);
  const pool = await Pool.start(sink, 1, { kind: 'once', spinMs: spec.spinMs });
  pool.go();
  const { at: loggedAt } = await pool.first('logged');
  const arrivedAt = await arrival(path, spec.spinMs + GIVE_UP_MS);
  const { at: spunAt } = await pool.first('spun');
  await pool.all('done');
  await sink.close();
  await pool.exited();
  return {
    variant: spec.variant,
    spinMs: spec.spinMs,
    arrivalMs: arrivedAt - loggedAt,
    yieldedAfterMs: spunAt - loggedAt,
    beforeYield: arrivedAt < spunAt,
  };
}

/** Resolves with the moment (epoch ms, sub-ms precision) the file first holds the whole record. */
function arrival(path: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (statSync(path).size > 0 && readFileSync(path, 'utf8').endsWith('\n')) {
        clearInterval(timer);
        resolve(performance.timeOrigin + performance.now());
      } else if (performance.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`the record did not reach ${path} within ${timeoutMs} ms`));
      }
    }, POLL_MS);
  });
}
