/**
 * Drain: how fast the consumer alone turns records into lines in a file. A ring large enough
 * for the case's records (256 MiB in the full run) is filled first, through the real producer
 * path (connect(handle) and logger calls); then ringlog's real consumer side (the router and
 * sinks of the resolved options, the Consumer, lib/internals.ts) drains it with drainBatch()
 * until it is empty, on this one thread, into a real file in a temporary directory: on tmpfs
 * (/dev/shm) where there is one, since 100 MB of lines a case written at several hundred MB/s
 * otherwise meet the disk's writeback throttling, which then decides the figure (35 ns a line
 * for the write when it does not, 150-280 when it does, on the machine the targets were set
 * on); the write system calls are paid either way. Only the
 * drain is timed: reading the ring, rendering, the file writes, giving the space back. No
 * producer runs meanwhile. A case whose records do not fit the ring at once (large records)
 * is filled and drained in turns, and only the drains are summed.
 *
 * Before the timed records, an untimed warm-up of WARMUP_RECORDS goes the same way through
 * the same consumer, so that what is timed is the compiled render path of a consumer that has
 * been running, not V8's first calls.
 *
 * Each (case, round) runs in its own process, cases alternating within each round. Afterwards
 * the file must hold exactly one line per record (warm-up included), and nothing may have been
 * dropped or failed to render.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Logger } from '../../src/index.js';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config } from '../lib/config.js';
import { fixed, int, rounds, table } from '../lib/format.js';
import { openDrainRig } from '../lib/internals.js';
import { progress, progressDone } from '../lib/progress.js';
import { median } from '../lib/stats.js';
import { fileSinkOptions, MESSAGE, TEXT_TEMPLATE, type LineFormat } from '../variants/variant.js';

/** Where the drained files go: tmpfs when the machine has it (see the top of this file). */
const DRAIN_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

export const DRAIN_CASES = ['json', 'text', 'printf', 'error', 'nested', 'child-per-request'] as const;
export type DrainCase = (typeof DRAIN_CASES)[number];

/** Lines/s each target case must reach (bench/lib/targets.ts reads them from here). */
export const DRAIN_TARGETS: Partial<Record<DrainCase, number>> = { json: 5_000_000, text: 3_000_000 };

interface CaseSpec {
  /** The call, as the table shows it. */
  readonly call: string;
  readonly lines: LineFormat;
  /** Given the logger `child({ worker: 0 })`, the function that logs record `i`. */
  readonly logger: (log: Logger) => (i: number) => void;
}

const CASES: Readonly<Record<DrainCase, CaseSpec>> = {
  json: {
    call: `child({ worker }).info({ i }, '${MESSAGE}'), JSON (the throughput record)`,
    lines: 'json',
    logger: (log) => (i) => log.info({ i }, MESSAGE),
  },
  text: {
    call: `the same record, text '${TEXT_TEMPLATE}'`,
    lines: 'text',
    logger: (log) => (i) => log.info({ i }, MESSAGE),
  },
  printf: {
    call: `info('job %s took %d ms', 'abc', i), JSON`,
    lines: 'json',
    logger: (log) => (i) => log.info('job %s took %d ms', 'abc', i),
  },
  error: {
    call: `error({ err }, 'failed'), one real Error made 8 calls deep (its stack: V8's 10 frames), JSON`,
    lines: 'json',
    logger: (log) => {
      const err = errorFrom(8);
      return () => log.error({ err }, 'failed');
    },
  },
  nested: {
    call: `info({ 10 fields, 3 of them nested }, 'request done'), JSON`,
    lines: 'json',
    logger: (log) => (i) =>
      log.info(
        {
          i,
          requestId: 'r-8f14e45f',
          method: 'GET',
          path: '/api/v1/jobs',
          status: 200,
          ms: 12.5,
          ok: true,
          user: { id: 42, name: 'ada', roles: ['admin', 'ops'] },
          query: { page: 2, limit: 50 },
          tags: ['batch', 'nightly'],
        },
        'request done',
      ),
  },
  'child-per-request': {
    call: `a new child({ req }) every 4 records, .info({ i }, '${MESSAGE}'), JSON`,
    lines: 'json',
    logger: (log) => {
      let request = log;
      return (i) => {
        if (i % 4 === 0) request = log.child({ req: i / 4 });
        request.info({ i }, MESSAGE);
      };
    },
  },
};

/** An Error made `depth` calls down, as an app's usually is: its stack has as many frames as V8 keeps (10). */
function errorFrom(depth: number): Error {
  return depth === 0 ? new Error('connect ECONNREFUSED 127.0.0.1:5432') : errorFrom(depth - 1);
}

const WARMUP_RECORDS = 10_000;
const MiB = 1024 * 1024;
/** Ring bytes per record when sizing the ring: the JSON record takes 80, so its records fit at once. */
const RING_BYTES_PER_RECORD = 256;
const RING_MIN_BYTES = 8 * MiB;
const RING_MAX_BYTES = 256 * MiB;
/** Filling stops this far from full: more than any case's record takes, padding at the wrap included. */
const FILL_MARGIN_BYTES = MiB;

interface Spec extends ChildSpec {
  readonly case: DrainCase;
  readonly records: number;
  readonly ringBytes: number;
}

export interface Measurement {
  readonly case: DrainCase;
  readonly round: number;
  readonly records: number;
  /** Time in drainBatch() for the timed records, summed over the turns. */
  readonly drainMs: number;
  readonly linesPerSec: number;
  readonly nsPerLine: number;
  /** Bytes written per timed line, newline included. */
  readonly bytesPerLine: number;
  /** Fill-then-drain turns the timed records took (1 when they fit the ring at once). */
  readonly turns: number;
  /** The file's first line (a warm-up record), for the reader of the JSON results. */
  readonly sampleLine: string;
}

export interface CaseSummary {
  readonly call: string;
  readonly linesPerSec: number;
  readonly nsPerLine: number;
  readonly bytesPerLine: number;
  readonly target: number | undefined;
}

export interface Result {
  readonly records: number;
  readonly ringBytes: number;
  readonly warmupRecords: number;
  readonly measurements: readonly Measurement[];
  readonly summary: Readonly<Record<DrainCase, CaseSummary>>;
}

export function ringBytesFor(records: number): number {
  let bytes = RING_MIN_BYTES;
  while (bytes < RING_MAX_BYTES && bytes < records * RING_BYTES_PER_RECORD) bytes *= 2;
  return bytes;
}

export async function run(config: Config): Promise<Result> {
  const records = config.drainRecords;
  const ringBytes = ringBytesFor(records);
  console.log(
    `\n== drain: the consumer alone, on one thread, drains a ring filled before it started (${ringBytes / MiB} MiB),` +
      ` into a file in ${DRAIN_DIR}; ${int(records)} records per case after ${int(WARMUP_RECORDS)} untimed; ${rounds(config.drainRepeats)}, cases alternating`,
  );
  const measurements: Measurement[] = [];
  for (let round = 1; round <= config.drainRepeats; round++) {
    for (const name of DRAIN_CASES) {
      progress(`drain round ${round}/${config.drainRepeats}: ${name}`);
      const spec: Omit<Spec, 'dir'> = { scenario: 'drain', case: name, records, ringBytes };
      // Generous: filling and draining large records on a busy machine, never a hang.
      const timeoutMs = 60_000 + records * 0.05;
      const m = await withTempDir((dir) => inChild<Omit<Measurement, 'round'>>({ ...spec, dir } as Spec, timeoutMs), DRAIN_DIR);
      measurements.push({ ...m, round });
    }
  }
  progressDone();
  const summary = Object.fromEntries(
    DRAIN_CASES.map((name): [DrainCase, CaseSummary] => {
      const runs = measurements.filter((m) => m.case === name);
      return [
        name,
        {
          call: CASES[name].call,
          linesPerSec: median(runs.map((m) => m.linesPerSec)),
          nsPerLine: median(runs.map((m) => m.nsPerLine)),
          bytesPerLine: median(runs.map((m) => m.bytesPerLine)),
          target: DRAIN_TARGETS[name],
        },
      ];
    }),
  ) as Record<DrainCase, CaseSummary>;
  console.log(
    table(
      ['case', 'lines/s', 'ns/line', 'bytes/line', 'target lines/s'],
      DRAIN_CASES.map((name) => {
        const s = summary[name];
        return [name, int(s.linesPerSec), fixed(s.nsPerLine, 0), fixed(s.bytesPerLine, 0), s.target === undefined ? '' : `>= ${int(s.target)}`];
      }),
    ),
  );
  const width = Math.max(...DRAIN_CASES.map((name) => name.length));
  for (const name of DRAIN_CASES) console.log(`  ${name.padEnd(width)}  ${CASES[name].call}`);
  console.log(
    `(median of ${rounds(config.drainRepeats)}; lines/s and ns/line: time in drainBatch(), rendering and writing included)`,
  );
  return { records, ringBytes, warmupRecords: WARMUP_RECORDS, measurements, summary };
}

/** In the measuring process: one case, one round. */
export async function measure(spec: Spec): Promise<Omit<Measurement, 'round'>> {
  const path = join(spec.dir, 'drain.log');
  const { lines, logger } = CASES[spec.case];
  // 'drop': a record that did not fit would be counted, not wait for a consumer that is not running.
  const rig = await openDrainRig({ ...fileSinkOptions(path, lines), bufferSize: spec.ringBytes, lanes: 1, onFull: 'drop' });
  const log = logger(connect(rig.handle).child({ worker: 0 }));
  const fillLimit = rig.capacity - FILL_MARGIN_BYTES;

  let logged = 0;
  const fill = (until: number): void => {
    while (logged < until && rig.used() < fillLimit) log(logged++);
  };
  while (logged < WARMUP_RECORDS) {
    fill(WARMUP_RECORDS);
    rig.drain();
  }
  const before = rig.counts();

  const total = WARMUP_RECORDS + spec.records;
  let ns = 0n;
  let turns = 0;
  while (logged < total) {
    fill(total);
    const t0 = process.hrtime.bigint();
    rig.drain();
    ns += process.hrtime.bigint() - t0;
    turns++;
  }
  const timed = rig.counts();
  const after = rig.close();

  const problems: string[] = [];
  if (after.droppedFull !== 0) problems.push(`${after.droppedFull} records dropped on a full ring`);
  if (after.oversized !== 0) problems.push(`${after.oversized} records oversized`);
  if (after.recordsFailed !== 0 || after.formatFailed !== 0) problems.push(`${after.recordsFailed + after.formatFailed} records failed to render`);
  if (after.writeFailed !== 0) problems.push(`${after.writeFailed} lines failed to write`);
  if (after.linesWritten !== total) problems.push(`${after.linesWritten} lines written, ${total} records logged`);
  const { lines: fileLines, first } = countLines(path);
  if (fileLines !== total) problems.push(`${fileLines} lines in the file, ${total} records logged`);
  if (problems.length > 0) throw new Error(`drain ${spec.case}: ${problems.join('; ')}`);

  const drainMs = Number(ns) / 1e6;
  return {
    case: spec.case,
    records: spec.records,
    drainMs,
    linesPerSec: spec.records / (drainMs / 1000),
    nsPerLine: Number(ns) / spec.records,
    bytesPerLine: (timed.bytesWritten - before.bytesWritten) / spec.records,
    turns,
    sampleLine: first,
  };
}

/** Newlines in the file, and its first line. */
function countLines(path: string): { lines: number; first: string } {
  const buffer = Buffer.allocUnsafe(4 * MiB);
  const fd = openSync(path, 'r');
  let lines = 0;
  let first = '';
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const chunk = buffer.subarray(0, n);
      if (lines === 0) {
        const end = chunk.indexOf(10);
        first = chunk.toString('utf8', 0, end === -1 ? n : end);
      }
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return { lines, first };
}
