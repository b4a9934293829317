/** Checks one part of a log file for verify.ts: parses each line, counts each (worker, i). */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface PartData {
  readonly path: string;
  /** Byte range [start, end) of the file; both at line starts (or the end). */
  readonly start: number;
  readonly end: number;
  readonly workers: number;
  readonly records: number;
  readonly message: string;
}

export interface PartCounts {
  readonly lines: number;
  readonly torn: number;
  /** Copies of record (worker, i) at worker * records + i, up to 255. */
  readonly seen: Uint8Array;
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

const { path, start, end, workers, records, message } = workerData as PartData;
const text = Buffer.allocUnsafe(end - start);
const fd = openSync(path, 'r');
for (let read = 0; read < text.length; ) read += readSync(fd, text, read, text.length - read, start + read);
closeSync(fd);

const seen = new Uint8Array(workers * records);
let lines = 0;
let torn = 0;
for (let from = 0; from < text.length; ) {
  let to = text.indexOf(10, from);
  // A last line without its newline is a torn write too.
  if (to === -1) to = text.length;
  lines++;
  const line = parse(text.toString('utf8', from, to));
  from = to + 1;
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
  const k = worker * records + i;
  if (seen[k]! < 255) seen[k]!++;
}
const counts: PartCounts = { lines, torn, seen };
parentPort!.postMessage(counts, [seen.buffer]);

function parse(json: string): Line | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? (value as Line) : undefined;
  } catch {
    return undefined;
  }
}

function isIndex(value: unknown, length: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < length;
}
