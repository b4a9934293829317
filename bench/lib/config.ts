/**
 * What one `npm run bench` does: the full run by default, `--quick` for CI and development, and
 * flags that narrow either one down. Every number a run depends on lives here, so the JSON
 * results can record the exact configuration next to the measurements.
 */

export const SCENARIOS = ['throughput', 'processes', 'drain', 'immediacy', 'overload', 'micro', 'latency', 'startup'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const VARIANTS = ['ringlog', 'ringlog-64mib', 'ringlog-text', 'queue-per-record', 'queue-batched', 'pino-transports', 'pino-destination', 'floor'] as const;
export type VariantName = (typeof VARIANTS)[number];

export interface Config {
  readonly quick: boolean;
  readonly scenarios: readonly ScenarioName[];
  readonly variants: readonly VariantName[];
  /** Worker counts of the throughput runs. */
  readonly workerCounts: readonly number[];
  /** Records each worker logs in a throughput run, and each producer of the processes scenario. */
  readonly recordsPerWorker: number;
  /** Throughput runs per (N, variant), and processes runs per arrangement; the variants (arrangements) alternate within each round. */
  readonly repeats: number;
  /** Records per case of the drain scenario (the ring is filled, then drained, as often as it takes). */
  readonly drainRecords: number;
  /** Drain runs per case; the cases alternate within each round. */
  readonly drainRepeats: number;
  /** How long the immediacy worker computes after its one record. */
  readonly immediacySpinMs: number;
  readonly overloadMs: number;
  readonly overloadWorkers: number;
  /** The slow disk's read rate in the overload scenario. */
  readonly overloadDiskBytesPerSec: number;
  /** An overload run whose process passes this RSS is stopped. */
  readonly overloadRssLimitBytes: number;
  /** How long the producers' backlog may take to drain once the disk is fast again. */
  readonly overloadDrainMs: number;
  /** tinybench iterations per micro task, each a batch of 100 calls; a count, not a time, so a task never outgrows the ring. */
  readonly microBatches: number;
  /** Calls measured by the latency scenario (after its warm-up). */
  readonly latencyCalls: number;
  /** Workers started per library by the startup scenario (each one sample; the median is reported). */
  readonly startupSamples: number;
  /** Where the JSON results go; default bench/results/<timestamp>.json. */
  readonly jsonPath: string | undefined;
}

const MiB = 1024 * 1024;

/**
 * M = 1,000,000 records per worker, so that the runs reach steady state: at 200,000, V8's warm-up
 * and the queues' unbounded buffers decided the comparison (issue 9). Five rounds of the
 * throughput, processes and drain runs: on this shared 2-core machine a round can run up to
 * 1.5x slower than the one before it for reasons outside the run (two full runs of the same code
 * read the floor's call at 433 and 605 ns), and with three rounds two such rounds decided a
 * median; with five it takes three. N = 1, 4, 8 (the targets are at 1 and 4; 8 oversubscribes
 * the cores); `--n=1,4` leaves out N = 8, about 8 minutes instead of 12.
 */
const FULL: Config = {
  quick: false,
  scenarios: SCENARIOS,
  variants: VARIANTS,
  workerCounts: [1, 4, 8],
  recordsPerWorker: 1_000_000,
  repeats: 5,
  drainRecords: 1_000_000,
  drainRepeats: 5,
  immediacySpinMs: 2000,
  overloadMs: 10_000,
  overloadWorkers: 2,
  overloadDiskBytesPerSec: 4 * MiB,
  overloadRssLimitBytes: 2048 * MiB,
  overloadDrainMs: 2000,
  microBatches: 500,
  latencyCalls: 320_000,
  startupSamples: 10,
  jsonPath: undefined,
};

/**
 * Every variant and scenario still runs, so CI exercises all of it; only the sizes shrink (the
 * drain cases run once each), to fit about 40 s on a 2-core machine with the TypeScript build.
 */
const QUICK: Config = {
  ...FULL,
  quick: true,
  workerCounts: [1, 4],
  recordsPerWorker: 10_000,
  // One round: the quick run checks that every variant and scenario runs and writes every
  // record; its figures are indicative only, and a second round doubled its share of npm test.
  repeats: 1,
  drainRecords: 20_000,
  drainRepeats: 1,
  immediacySpinMs: 250,
  overloadMs: 300,
  overloadDrainMs: 300,
  microBatches: 100,
  latencyCalls: 20_000,
  startupSamples: 3,
};

const USAGE = `usage: npm run bench [-- options]
  --quick                 small and fast (CI): N=1,4, M=10,000, 1 round, short scenarios
  --only=a,b              scenarios: ${SCENARIOS.join(', ')}
  --variants=a,b          throughput variants: ${VARIANTS.join(', ')} (ringlog is always kept: ratios need it)
  --n=1,4                 worker counts of the throughput runs
  --m=1000000             records per worker (throughput, processes)
  --repeats=5             runs per (N, variant), per processes arrangement, and per drain case (full run: 5)
  --drain-m=1000000       records per drain case
  --overload-ms=10000     how long producers outrun the slow disk
  --json=path             where to write the JSON results
  --help`;

export function parseArgs(argv: readonly string[]): Config {
  let config: Config = argv.includes('--quick') ? QUICK : FULL;
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2) as [string, string?];
    switch (flag) {
      case '--quick':
        break;
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      case '--only':
        config = { ...config, scenarios: list(value, SCENARIOS, flag) };
        break;
      case '--variants': {
        const chosen = list(value, VARIANTS, flag);
        config = { ...config, variants: VARIANTS.filter((v) => v === 'ringlog' || chosen.includes(v)) };
        break;
      }
      case '--n':
        config = { ...config, workerCounts: value.split(',').map((n) => positiveInt(n, flag)) };
        break;
      case '--m':
        config = { ...config, recordsPerWorker: positiveInt(value, flag) };
        break;
      case '--repeats':
        config = { ...config, repeats: positiveInt(value, flag), drainRepeats: positiveInt(value, flag) };
        break;
      case '--drain-m':
        config = { ...config, drainRecords: positiveInt(value, flag) };
        break;
      case '--overload-ms':
        config = { ...config, overloadMs: positiveInt(value, flag) };
        break;
      case '--json':
        config = { ...config, jsonPath: value };
        break;
      default:
        usageError(`unknown argument ${arg}`);
    }
  }
  return config;
}

function list<T extends string>(value: string, known: readonly T[], flag: string): T[] {
  const names = value.split(',').filter((name) => name !== '');
  for (const name of names) {
    if (!(known as readonly string[]).includes(name)) usageError(`${flag}: unknown name ${name}`);
  }
  return names as T[];
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1) usageError(`${flag} needs a positive integer; received ${value}`);
  return n;
}

function usageError(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}
