/**
 * Reads a throughput run's file back and counts what arrived: every line must parse as JSON and
 * carry the record's shape; every (worker, i) must appear exactly once.
 */
import { readFileSync } from 'node:fs';

export interface Integrity {
  /** Records logged: workers × records per worker. */
  readonly expected: number;
  readonly lines: number;
  /** Distinct (worker, i) records found whole. */
  readonly intact: number;
  /** Records logged that are not in the file. */
  readonly lost: number;
  /** Whole records found more than once (each extra copy counts one). */
  readonly duplicate: number;
  /** Lines that are not JSON or not a record of the run: torn or interleaved writes. */
  readonly torn: number;
}

interface Line {
  level?: unknown;
  time?: unknown;
  pid?: unknown;
  hostname?: unknown;
  worker?: unknown;
  i?: unknown;
  msg?: unknown;
}

export function verifyFile(path: string, workers: number, records: number, message: string): Integrity {
  const text = readFileSync(path);
  const seen = Array.from({ length: workers }, () => new Uint8Array(records));
  let lines = 0;
  let intact = 0;
  let duplicate = 0;
  let torn = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(10, start);
    // A last line without its newline is a torn write too.
    if (end === -1) end = text.length;
    lines++;
    const line = parse(text.toString('utf8', start, end));
    start = end + 1;
    const worker = line?.worker;
    const i = line?.i;
    if (
      line === undefined ||
      line.level !== 30 ||
      typeof line.time !== 'number' ||
      typeof line.pid !== 'number' ||
      typeof line.hostname !== 'string' ||
      line.msg !== message ||
      !isIndex(worker, workers) ||
      !isIndex(i, records)
    ) {
      torn++;
      continue;
    }
    const mark = seen[worker]!;
    if (mark[i] === 0) {
      mark[i] = 1;
      intact++;
    } else {
      duplicate++;
    }
  }
  const expected = workers * records;
  return { expected, lines, intact, lost: expected - intact, duplicate, torn };
}

function parse(text: string): Line | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Line) : undefined;
  } catch {
    return undefined;
  }
}

function isIndex(value: unknown, length: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < length;
}
