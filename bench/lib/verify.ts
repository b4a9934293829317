/**
 * Reads a throughput run's file back and counts what arrived: every line must parse (as the
 * pino-shaped JSON line, or the text variant's line) and carry the record's shape; every
 * (worker, i) must appear exactly once, and each worker's records in the order it logged them.
 * A file written by several processes (the processes scenario: each forwards its lines to one
 * aggregator) names them with `{ pids }`: a worker is then (pid, worker), and a line whose pid is
 * not one of them is not a record of the run.
 *
 * Parsing tens of millions of lines is a large part of a full run's time, so a big file is split
 * at line boundaries and its parts are checked in parallel threads (verify-worker.ts), one per
 * core; the main thread only merges their counts.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LineFormat } from '../variants/variant.js';
import type { PartCounts, PartData } from './verify-worker.js';

export interface Integrity {
  /** Records logged: workers × records per worker (× processes, with `pids`). */
  readonly expected: number;
  readonly lines: number;
  /** Distinct (worker, i) records found whole; with `pids`, distinct (pid, worker, i). */
  readonly intact: number;
  /** Records logged that are not in the file. */
  readonly lost: number;
  /** Whole records found more than once (each extra copy counts one). */
  readonly duplicate: number;
  /** Lines that do not parse as a record of the run: torn or interleaved writes. */
  readonly torn: number;
  /**
   * Whole records that come after a later record of the same worker (i below that of the
   * worker's previous record in the file): its records out of the order it logged them in.
   */
  readonly outOfOrder: number;
}

/** Below this, one thread reads the whole file: starting more costs more than it saves. */
const PART_MIN_BYTES = 8 * 1024 * 1024;
const VERIFY_WORKER_URL = new URL('./verify-worker.js', import.meta.url);

export interface VerifyOptions {
  /**
   * The processes whose lines the file holds (JSON lines only), each with `workers` workers
   * numbered from 0: records are then counted per (pid, worker, i).
   */
  readonly pids?: readonly number[];
}

export async function verifyFile(
  path: string,
  workers: number,
  records: number,
  message: string,
  lines: LineFormat = 'json',
  { pids }: VerifyOptions = {},
): Promise<Integrity> {
  if (pids !== undefined && lines !== 'json') throw new Error('verifyFile: pids needs JSON lines, which carry the pid');
  const size = statSync(path).size;
  const parts = Math.max(1, Math.min(availableParallelism(), Math.floor(size / PART_MIN_BYTES)));
  const bounds = lineBoundaries(path, size, parts);
  const counts = await Promise.all(
    bounds
      .slice(1)
      .map((end, k) => checkPart({ path, start: bounds[k]!, end, workers, records, message, lines, ...(pids === undefined ? {} : { pids }) })),
  );
  // From here on a worker is a (pid, worker) pair with `pids`: index pidIndex * workers + worker.
  const keys = workers * (pids?.length ?? 1);
  // A record seen once in each of two parts is one intact record and one duplicate.
  const seen = counts[0]!.seen;
  for (const part of counts.slice(1)) {
    for (let k = 0; k < seen.length; k++) seen[k] = Math.min(255, seen[k]! + part.seen[k]!);
  }
  let intact = 0;
  let copies = 0;
  for (const n of seen) {
    if (n > 0) intact++;
    copies += n;
  }
  // Order across parts: each part's first record of a worker against the last one before it.
  let outOfOrder = 0;
  const last = new Int32Array(keys).fill(-1);
  for (const part of counts) {
    outOfOrder += part.outOfOrder;
    for (let w = 0; w < keys; w++) {
      if (part.first[w]! < 0) continue;
      if (part.first[w]! < last[w]!) outOfOrder++;
      last[w] = part.last[w]!;
    }
  }
  const expected = keys * records;
  return {
    expected,
    lines: counts.reduce((sum, part) => sum + part.lines, 0),
    intact,
    lost: expected - intact,
    duplicate: copies - intact,
    torn: counts.reduce((sum, part) => sum + part.torn, 0),
    outOfOrder,
  };
}

/** `parts + 1` offsets: 0, each split moved to just after a newline, and `size`. */
function lineBoundaries(path: string, size: number, parts: number): number[] {
  const bounds = [0];
  const fd = openSync(path, 'r');
  const probe = Buffer.allocUnsafe(64 * 1024);
  try {
    for (let k = 1; k < parts; k++) {
      let at = Math.max(bounds[bounds.length - 1]!, Math.floor((size * k) / parts));
      for (;;) {
        const n = readSync(fd, probe, 0, probe.length, at);
        if (n === 0) {
          at = size;
          break;
        }
        const newline = probe.subarray(0, n).indexOf(10);
        if (newline !== -1) {
          at += newline + 1;
          break;
        }
        at += n;
      }
      bounds.push(at);
    }
  } finally {
    closeSync(fd);
  }
  bounds.push(size);
  return bounds;
}

async function checkPart(data: PartData): Promise<PartCounts> {
  const worker = new Worker(VERIFY_WORKER_URL, { workerData: data });
  const [counts] = (await once(worker, 'message')) as [PartCounts];
  return counts;
}

/** The integrity of several runs together, as the tables report it (without the line count). */
export function sumIntegrity(runs: readonly Integrity[]): Omit<Integrity, 'lines'> {
  const sum = (key: Exclude<keyof Integrity, 'lines'>): number => runs.reduce((total, integrity) => total + integrity[key], 0);
  return {
    expected: sum('expected'),
    intact: sum('intact'),
    lost: sum('lost'),
    duplicate: sum('duplicate'),
    torn: sum('torn'),
    outOfOrder: sum('outOfOrder'),
  };
}
