/**
 * Throughput: N workers each log M records of the same shape into one file, per variant.
 * Measured end to end, from the start barrier until every record is in the file and the file
 * is closed; each worker also times its own log calls, and the process's CPU time over the same
 * span (all its threads: producers, consumer or listener, main) gives the CPU cost of a record.
 * The variants alternate within each round
 * (A B C D E, A B C D E, ...) so that a noisy moment on a shared machine hits all of them, and
 * each ratio compares two runs of the same round.
 */
import { join } from 'node:path';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config, VariantName } from '../lib/config.js';
import { fixed, int, mib, rounds, table, times } from '../lib/format.js';
import { sampleRss, type Memory } from '../lib/memory.js';
import { Pool } from '../lib/pool.js';
import { progress, progressDone } from '../lib/progress.js';
import { median, medianRatio } from '../lib/stats.js';
import { sumIntegrity, verifyFile, type Integrity } from '../lib/verify.js';
import { VARIANT_BY_NAME } from '../variants/index.js';
import { MESSAGE } from '../variants/variant.js';

/** Records between two returns to the event loop (see lib/producer.ts). */
const YIELD_EVERY = 1000;
const RSS_SAMPLE_MS = 50;

interface Spec extends ChildSpec {
  readonly variant: VariantName;
  readonly workers: number;
  readonly records: number;
}

export interface Measurement extends Memory {
  readonly variant: VariantName;
  readonly round: number;
  readonly elapsedMs: number;
  /** workers × records / elapsed, end to end. */
  readonly recordsPerSec: number;
  /** Mean over workers of each worker's time in log calls / its records. */
  readonly callNs: number;
  /**
   * CPU time of the measuring process (user + system, every thread) from the start barrier to
   * the end of close(), per record, in ns.
   */
  readonly cpuNsPerRecord: number;
  readonly callNsByWorker: readonly number[];
  /** What the variant's close() returned (ringlog: its stats). */
  readonly sinkStats: unknown;
  /** Undefined for the floor, which writes no file. */
  readonly integrity: Integrity | undefined;
}

export interface VariantSummary {
  readonly recordsPerSec: number;
  /** ringlog's records/s over this variant's, median of per-round ratios. */
  readonly ringlogSpeedup: number;
  /** This variant's records/s over ringlog's, median of per-round ratios (the inverse view, for ringlog-text). */
  readonly overRinglog: number;
  readonly callNs: number;
  /** This variant's ns/call over the floor's, median of per-round ratios. */
  readonly callNsOverFloor: number;
  readonly cpuNsPerRecord: number;
  /** This variant's CPU per record over the floor's, median of per-round ratios. */
  readonly cpuOverFloor: number;
  readonly maxRssBytes: number;
  readonly peakSampledRssBytes: number;
  /** Sums over the rounds. */
  readonly integrity: Omit<Integrity, 'lines'> | undefined;
}

export interface WorkersResult {
  readonly workers: number;
  readonly records: number;
  readonly measurements: readonly Measurement[];
  readonly summary: Partial<Record<VariantName, VariantSummary>>;
}

export async function run(config: Config): Promise<WorkersResult[]> {
  console.log(
    `\n== throughput: N workers x ${int(config.recordsPerWorker)} records each, one line per record (JSON; ringlog-text: text), one file`,
  );
  console.log(LEGEND);
  const results: WorkersResult[] = [];
  for (const workers of config.workerCounts) {
    const measurements: Measurement[] = [];
    for (let round = 1; round <= config.repeats; round++) {
      for (const variant of config.variants) {
        progress(`throughput N=${workers} round ${round}/${config.repeats}: ${variant}`);
        measurements.push(await measureOnce(variant, workers, config.recordsPerWorker, round));
      }
    }
    progressDone();
    const result = { workers, records: config.recordsPerWorker, measurements, summary: summarize(config, measurements) };
    print(config, result);
    results.push(result);
  }
  return results;
}

/** One run of `variant` in a measuring process of its own, its file read back (also the processes scenario's one-process row). */
export async function measureOnce(variant: VariantName, workers: number, records: number, round: number): Promise<Measurement> {
  return withTempDir(async (dir) => {
    const spec: Spec = { scenario: 'throughput', dir, variant, workers, records };
    // Generous: a slow variant on a busy 2-core machine, never a hang.
    const timeoutMs = 60_000 + workers * records * 0.05;
    const child = await inChild<Omit<Measurement, 'round' | 'integrity'>>(spec, timeoutMs);
    const { writesFile, lines = 'json' } = VARIANT_BY_NAME[variant];
    const integrity = writesFile ? await verifyFile(logPath(dir), workers, records, MESSAGE, lines) : undefined;
    return { ...child, round, integrity };
  });
}

/** In the measuring process: one run of one variant. */
export async function measure(spec: Spec): Promise<Omit<Measurement, 'round' | 'integrity'>> {
  const { variant, workers, records } = spec;
  const rss = sampleRss(RSS_SAMPLE_MS);
  const sink = await VARIANT_BY_NAME[variant].open(logPath(spec.dir), workers);
  const pool = await Pool.start(sink, workers, { kind: 'count', records, yieldEvery: YIELD_EVERY });
  // The workers wait at the barrier in Atomics.wait, spending nothing until go().
  const cpuStart = process.cpuUsage();
  const start = pool.go();
  const done = await pool.all('done');
  const sinkStats = await sink.close();
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const memory = rss.stop();
  await pool.exited();
  const callNsByWorker = done.map((d) => d.callNs);
  return {
    variant,
    elapsedMs,
    recordsPerSec: (workers * records) / (elapsedMs / 1000),
    callNs: callNsByWorker.reduce((a, b) => a + b, 0) / workers,
    callNsByWorker,
    cpuNsPerRecord: ((cpu.user + cpu.system) * 1000) / (workers * records),
    ...memory,
    sinkStats,
  };
}

function logPath(dir: string): string {
  return join(dir, 'app.log');
}

function summarize(config: Config, all: readonly Measurement[]): Partial<Record<VariantName, VariantSummary>> {
  const of = (variant: VariantName): Measurement[] => all.filter((m) => m.variant === variant);
  const ringlog = of('ringlog');
  const floor = of('floor');
  const summary: Partial<Record<VariantName, VariantSummary>> = {};
  for (const variant of config.variants) {
    const runs = of(variant);
    const checked = runs.flatMap((m) => (m.integrity === undefined ? [] : [m.integrity]));
    const overFloor = (key: 'callNs' | 'cpuNsPerRecord'): number =>
      floor.length === 0
        ? NaN
        : medianRatio(
            runs.map((m) => m[key]),
            floor.map((m) => m[key]),
          );
    summary[variant] = {
      recordsPerSec: median(runs.map((m) => m.recordsPerSec)),
      ringlogSpeedup: medianRatio(
        ringlog.map((m) => m.recordsPerSec),
        runs.map((m) => m.recordsPerSec),
      ),
      overRinglog: medianRatio(
        runs.map((m) => m.recordsPerSec),
        ringlog.map((m) => m.recordsPerSec),
      ),
      callNs: median(runs.map((m) => m.callNs)),
      callNsOverFloor: overFloor('callNs'),
      cpuNsPerRecord: median(runs.map((m) => m.cpuNsPerRecord)),
      cpuOverFloor: overFloor('cpuNsPerRecord'),
      maxRssBytes: median(runs.map((m) => m.maxRssBytes)),
      peakSampledRssBytes: median(runs.map((m) => m.peakSampledRssBytes)),
      integrity: checked.length === 0 ? undefined : sumIntegrity(checked),
    };
  }
  return summary;
}

const LEGEND = `records/s         end to end: all records / (start barrier -> every record in the file, file closed)
ringlog x faster  ringlog's records/s / the variant's (median of the per-round ratios; > 1: ringlog is faster)
ns/call           time inside the log calls, per call, timed by each worker (mean over workers)
vs floor          the variant's ns/call / the floor's (median of the per-round ratios)
cpu ns/rec        CPU time of the measuring process, every thread (process.cpuUsage(), user + system), barrier -> closed, / records
cpu vs floor      the variant's cpu ns/rec / the floor's (median of the per-round ratios; < 1: cheaper than formatting in the worker)
maxRSS, RSS       the measuring process (all its threads): getrusage high-water mark, largest 50 ms sample; MiB
intact/logged     distinct (worker, i) records parsed whole from the file, over all rounds; lost, dup, torn likewise
order             records found after a later record of their worker (each worker's records must be in the order it logged them)`;

function print(config: Config, result: WorkersResult): void {
  console.log(`\nN=${result.workers}, M=${int(result.records)}: median of ${rounds(config.repeats)}`);
  const rows = config.variants.map((variant) => {
    const s = result.summary[variant]!;
    const integrity = s.integrity;
    return [
      variant,
      int(s.recordsPerSec),
      times(s.ringlogSpeedup),
      fixed(s.callNs, 0),
      times(s.callNsOverFloor),
      fixed(s.cpuNsPerRecord, 0),
      times(s.cpuOverFloor),
      mib(s.maxRssBytes),
      mib(s.peakSampledRssBytes),
      integrity === undefined ? 'no file' : `${int(integrity.intact)}/${int(integrity.expected)}`,
      integrity === undefined ? '' : int(integrity.lost),
      integrity === undefined ? '' : int(integrity.duplicate),
      integrity === undefined ? '' : int(integrity.torn),
      integrity === undefined ? '' : int(integrity.outOfOrder),
    ];
  });
  console.log(
    table(
      [
        'variant',
        'records/s',
        'ringlog x faster',
        'ns/call',
        'vs floor',
        'cpu ns/rec',
        'cpu vs floor',
        'maxRSS',
        'RSS',
        'intact/logged',
        'lost',
        'dup',
        'torn',
        'order',
      ],
      rows,
    ),
  );
  const text = result.summary['ringlog-text'];
  if (text !== undefined) {
    console.log(`ringlog-text records/s / ringlog's (JSON): ${times(text.overRinglog)} (median of the per-round ratios)`);
  }
}
