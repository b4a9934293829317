/**
 * Overload: producers log as fast as they can for 10 s into a "disk" that takes 4 MB/s. The disk
 * is a FIFO (mkfifo) whose reader, a separate process (lib/slow-disk.ts), reads at that rate, so
 * every variant writes through the same slow path with its own file-writing code unchanged.
 *
 * What a design does with the backlog is what this shows: ringlog's producers wait when the ring
 * is full, so memory stays at the ring's size; a queue keeps accepting records, so memory grows
 * with the backlog. A run whose process passes the RSS limit is stopped there.
 *
 * After the window the disk becomes fast and the variant gets a few seconds to drain its backlog.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config, VariantName } from '../lib/config.js';
import { fixed, int, mib, table } from '../lib/format.js';
import { sampleRss } from '../lib/memory.js';
import { Pool } from '../lib/pool.js';
import { progress, progressDone } from '../lib/progress.js';
import type { DiskMessage } from '../lib/slow-disk.js';
import { VARIANT_BY_NAME } from '../variants/index.js';
import type { Sink } from '../lib/pool.js';

const VARIANTS = ['ringlog', 'queue-per-record', 'queue-batched', 'pino-transports'] as const satisfies readonly VariantName[];
const RSS_SAMPLE_MS = 100;
/** Records between two returns to the event loop, as in the throughput runs. */
const YIELD_EVERY = 1000;
const SLOW_DISK_URL = new URL('../lib/slow-disk.js', import.meta.url);

interface Spec extends ChildSpec {
  readonly variant: VariantName;
  readonly workers: number;
  readonly durationMs: number;
  readonly diskBytesPerSec: number;
  readonly rssLimitBytes: number;
  readonly drainMs: number;
}

export interface Measurement {
  readonly variant: VariantName;
  /** How long the producers logged: the configured window, or less when the RSS limit stopped them. */
  readonly loggingMs: number;
  readonly rssLimitExceeded: boolean;
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  /** RSS when the producers were stopped. */
  readonly finalRssBytes: number;
  readonly maxRssBytes: number;
  /** Every 100 ms: [ms since the start, RSS bytes]. */
  readonly rssSamples: readonly (readonly [number, number])[];
  readonly recordsLogged: number;
  /** Lines the disk had taken when the producers were stopped. */
  readonly recordsThroughDisk: number;
  /** Undefined when the backlog did not drain within the time allowed. */
  readonly drainMs: number | undefined;
  /** Lines the disk took in all, once drained. */
  readonly recordsWritten: number | undefined;
}

export async function run(config: Config): Promise<Measurement[]> {
  const rate = config.overloadDiskBytesPerSec / 2 ** 20;
  console.log(
    `\n== overload: ${config.overloadWorkers} workers log as fast as they can for ${config.overloadMs / 1000} s into a FIFO read at ${rate} MiB/s` +
      ` (RSS sampled every ${RSS_SAMPLE_MS} ms; a run is stopped above ${mib(config.overloadRssLimitBytes)} MiB;` +
      ` then the disk turns fast and the backlog gets ${config.overloadDrainMs / 1000} s to drain)`,
  );
  const results: Measurement[] = [];
  for (const variant of VARIANTS.filter((v) => config.variants.includes(v))) {
    progress(`overload: ${variant}`);
    const spec: Omit<Spec, 'dir'> = {
      scenario: 'overload',
      variant,
      workers: config.overloadWorkers,
      durationMs: config.overloadMs,
      diskBytesPerSec: config.overloadDiskBytesPerSec,
      rssLimitBytes: config.overloadRssLimitBytes,
      drainMs: config.overloadDrainMs,
    };
    results.push(await withTempDir((dir) => inChild<Measurement>({ ...spec, dir } as Spec, config.overloadMs + config.overloadDrainMs + 60_000)));
  }
  progressDone();
  console.log(
    table(
      ['variant', 'peak RSS MiB', 'RSS at stop', 'logged', 'through disk', 'backlog', 'what happens'],
      results.map((m) => [
        m.variant,
        m.rssLimitExceeded ? `> ${gib(config.overloadRssLimitBytes)}` : mib(m.peakRssBytes),
        mib(m.finalRssBytes),
        int(m.recordsLogged),
        int(m.recordsThroughDisk),
        int(m.recordsLogged - m.recordsThroughDisk),
        outcome(m, config),
      ]),
    ),
  );
  console.log('(backlog: records logged but not yet through the disk when the window ended, held in memory; ringlog holds at most its 8 MiB ring)');
  return results;
}

function outcome(m: Measurement, config: Config): string {
  if (m.rssLimitExceeded) {
    return `passed ${gib(config.overloadRssLimitBytes)} after ${fixed(m.loggingMs / 1000, 1)} s: stopped there, backlog abandoned`;
  }
  const growth = (m.finalRssBytes - m.baselineRssBytes) / 2 ** 20 / (m.loggingMs / 1000);
  const drain = m.drainMs === undefined ? `backlog not drained within ${config.overloadDrainMs / 1000} s` : `drained in ${int(m.drainMs)} ms`;
  return `RSS ${growth >= 0 ? '+' : ''}${fixed(growth, 1)} MiB/s over the window; ${drain}`;
}

function gib(bytes: number): string {
  return `${fixed(bytes / 2 ** 30, 1)} GiB`;
}

/** In the measuring process. */
export async function measure(spec: Spec): Promise<Measurement> {
  const fifo = join(spec.dir, 'disk.fifo');
  execFileSync('mkfifo', [fifo]);
  const disk = fork(SLOW_DISK_URL, [fifo, String(spec.diskBytesPerSec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    return await overload(spec, fifo, disk);
  } finally {
    disk.kill();
  }
}

/**
 * Opens the variant's sink on the FIFO. The reader process counts as a reader only once its
 * open(2) has begun, and ringlog refuses a FIFO without a reader (ENXIO) instead of waiting in a
 * thread nothing can interrupt: until the reader is there, try again.
 */
async function openOnFifo(spec: Spec, fifo: string): Promise<Sink> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await VARIANT_BY_NAME[spec.variant].open(fifo, spec.workers);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || attempt === 200) throw error;
      await sleep(10);
    }
  }
}

async function overload(spec: Spec, fifo: string, disk: ChildProcess): Promise<Measurement> {
  const sink = await openOnFifo(spec, fifo);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const pool = await Pool.start(sink, spec.workers, { kind: 'until-stopped', stop, yieldEvery: YIELD_EVERY });
  const baselineRssBytes = process.memoryUsage.rss();
  const rssSamples: [number, number][] = [];
  let rssLimitExceeded = false;
  let endWindow = (): void => {};
  const window = new Promise<void>((resolve) => (endWindow = resolve));

  const start = pool.go();
  const rss = sampleRss(RSS_SAMPLE_MS, (bytes, at) => {
    rssSamples.push([Math.round(at - start), bytes]);
    if (bytes > spec.rssLimitBytes) {
      rssLimitExceeded = true;
      endWindow();
    }
  });
  const timer = setTimeout(endWindow, spec.durationMs);
  await window;
  clearTimeout(timer);
  Atomics.store(stop, 0, 1);
  const loggingMs = performance.now() - start;
  const finalRssBytes = process.memoryUsage.rss();
  const memory = rss.stop();
  const throughDisk = await ask(disk, 'count');
  const recordsLogged = (await pool.all('stopped')).reduce((sum, m) => sum + m.logged, 0);

  let drainMs: number | undefined;
  let recordsWritten: number | undefined;
  // A process past the limit is not asked to drain gigabytes: it exits with its threads still busy.
  if (!rssLimitExceeded) {
    disk.send('fast');
    const drainStart = performance.now();
    const eof = waitFor(disk, 'eof');
    const drained = (async () => {
      await pool.all('done');
      await sink.close();
      return (await eof).lines;
    })();
    const lines = await Promise.race([drained, sleep(spec.drainMs).then(() => undefined)]);
    if (lines !== undefined) {
      drainMs = performance.now() - drainStart;
      recordsWritten = lines;
    }
  }
  return {
    variant: spec.variant,
    loggingMs,
    rssLimitExceeded,
    baselineRssBytes,
    peakRssBytes: memory.peakSampledRssBytes,
    finalRssBytes,
    maxRssBytes: memory.maxRssBytes,
    rssSamples,
    recordsLogged,
    recordsThroughDisk: throughDisk.lines,
    drainMs,
    recordsWritten,
  };
}

async function ask(disk: ChildProcess, question: 'count'): Promise<DiskMessage> {
  const answer = waitFor(disk, question);
  disk.send(question);
  return answer;
}

function waitFor(disk: ChildProcess, type: DiskMessage['type']): Promise<DiskMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: DiskMessage): void => {
      if (message.type !== type) return;
      disk.off('message', onMessage);
      resolve(message);
    };
    disk.on('message', onMessage);
    once(disk, 'exit').then(() => reject(new Error(`the slow disk exited before its '${type}' reply`)), reject);
  });
}
