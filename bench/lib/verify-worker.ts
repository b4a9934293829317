/**
 * Checks one part of a log file for verify.ts: parses each line, counts each (worker, i), and
 * counts where a worker's records come out of order.
 *
 * A full run reads hundreds of millions of lines, so each line is first matched byte by byte
 * against the exact line the variants write (`fastLine`: no string, no JSON.parse); a line that
 * does not match is parsed properly (`parse`), which accepts any valid line of the record (keys
 * in another order, escapes in the host name) and calls anything else torn. The fast path only
 * ever accepts lines the slow one accepts too.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { LineFormat } from '../variants/variant.js';

export interface PartData {
  readonly path: string;
  /** Byte range [start, end) of the file; both at line starts (or the end). */
  readonly start: number;
  readonly end: number;
  readonly workers: number;
  readonly records: number;
  readonly message: string;
  readonly lines: LineFormat;
  /**
   * The processes of a file several of them wrote (JSON lines): each has `workers` workers, and
   * the record of (pid, worker, i) is counted at key pidIndex * workers + worker. A line with
   * another pid is not a record of the run.
   */
  readonly pids?: readonly number[];
}

export interface PartCounts {
  readonly lines: number;
  readonly torn: number;
  /** Copies of record (worker, i) at worker * records + i, up to 255 (worker: the key, with pids). */
  readonly seen: Uint8Array;
  /** Whole records whose i is below that of the worker's previous whole record in this part. */
  readonly outOfOrder: number;
  /** Per worker: i of its first and of its last whole record in this part, -1 if none. */
  readonly first: Int32Array;
  readonly last: Int32Array;
}

interface Fields {
  worker?: unknown;
  i?: unknown;
  /** JSON lines only. */
  pid?: unknown;
}

interface JsonLine extends Fields {
  level?: unknown;
  time?: unknown;
  hostname?: unknown;
  msg?: unknown;
}


/** A pino-shaped line of the run's record: `{"level":30,"time":…,"pid":…,"hostname":…,"worker":w,"i":i,"msg":…}`. */
function jsonParser(msg: string): (line: string) => Fields | undefined {
  return (line) => {
    const value = parseObject(line) as JsonLine | undefined;
    if (
      value === undefined ||
      value.level !== 30 ||
      typeof value.time !== 'number' ||
      typeof value.pid !== 'number' ||
      typeof value.hostname !== 'string' ||
      value.msg !== msg
    ) {
      return undefined;
    }
    return value;
  };
}

/**
 * A line of TEXT_TEMPLATE for the run's record, whole: `2026-12-02 02:22:57,123 root INFO
 * processed job {"worker":0,"i":5}` (asctime, the root logger's name, INFO padded to 8, the
 * message, and the bindings and fields as JSON with nothing else in them).
 */
function textParser(msg: string): (line: string) => Fields | undefined {
  const escaped = msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const shape = new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} root INFO {5}${escaped} (\\{.*\\})$`);
  return (line) => {
    const extras = shape.exec(line)?.[1];
    if (extras === undefined) return undefined;
    const value = parseObject(extras) as Fields | undefined;
    return value !== undefined && Object.keys(value).length === 2 ? value : undefined;
  };
}

/** The integers the fast path keeps. */
type Kept = 'worker' | 'i' | 'pid';

/**
 * One piece of a line for the fast path: literal bytes; a JSON integer (no sign, no leading
 * zero, at most 15 digits), kept when it is the worker, i or pid; exactly `count` digits; or the
 * inside of a JSON string with nothing escaped (its closing quote comes next).
 */
type Step =
  | { readonly kind: 'literal'; readonly bytes: Buffer }
  | { readonly kind: 'integer'; readonly keep?: Kept }
  | { readonly kind: 'digits'; readonly count: number }
  | { readonly kind: 'plain-string' };

const literal = (text: string): Step => ({ kind: 'literal', bytes: Buffer.from(text, 'utf8') });
const integer = (keep?: Kept): Step => (keep === undefined ? { kind: 'integer' } : { kind: 'integer', keep });
const digits = (count: number): Step => ({ kind: 'digits', count });

/** `{"level":30,"time":T,"pid":P,"hostname":"H","worker":W,"i":I,"msg":MESSAGE}`: ringlog's, pino's and json-line.ts's key order. */
function jsonSteps(msg: string): Step[] {
  return [
    literal('{"level":30,"time":'),
    integer(),
    literal(',"pid":'),
    integer('pid'),
    literal(',"hostname":"'),
    { kind: 'plain-string' },
    literal('","worker":'),
    integer('worker'),
    literal(',"i":'),
    integer('i'),
    literal(`,"msg":${JSON.stringify(msg)}}`),
  ];
}

/** `YYYY-MM-DD HH:MM:SS,mmm root INFO     MESSAGE {"worker":W,"i":I}`. */
function textSteps(msg: string): Step[] {
  return [
    digits(4),
    literal('-'),
    digits(2),
    literal('-'),
    digits(2),
    literal(' '),
    digits(2),
    literal(':'),
    digits(2),
    literal(':'),
    digits(2),
    literal(','),
    digits(3),
    literal(` root INFO     ${msg} {"worker":`),
    integer('worker'),
    literal(',"i":'),
    integer('i'),
    literal('}'),
  ];
}

/** What the last successful fast match kept (a text line has no pid: it stays -1). */
const matched = { worker: -1, i: -1, pid: -1 };

/** True when bytes [from, to) are exactly `steps`; the kept integers are then in `matched`. */
function matcher(steps: readonly Step[]): (bytes: Buffer, from: number, to: number) => boolean {
  return (bytes, from, to) => {
    let at = from;
    for (const step of steps) {
      switch (step.kind) {
        case 'literal': {
          const lit = step.bytes;
          if (to - at < lit.length) return false;
          for (let k = 0; k < lit.length; k++) if (bytes[at + k] !== lit[k]) return false;
          at += lit.length;
          break;
        }
        case 'integer': {
          const start = at;
          let value = 0;
          while (at < to && at - start < 16) {
            const c = bytes[at]!;
            if (c < 0x30 || c > 0x39) break;
            value = value * 10 + (c - 0x30);
            at++;
          }
          const length = at - start;
          if (length === 0 || length > 15 || (length > 1 && bytes[start] === 0x30)) return false;
          if (step.keep !== undefined) matched[step.keep] = value;
          break;
        }
        case 'digits': {
          if (to - at < step.count) return false;
          for (let k = 0; k < step.count; k++) {
            const c = bytes[at + k]!;
            if (c < 0x30 || c > 0x39) return false;
          }
          at += step.count;
          break;
        }
        case 'plain-string': {
          // Up to the closing quote; an escape, a control character or a byte that is not
          // ASCII (which would need UTF-8 checking) sends the line to the slow path.
          while (at < to) {
            const c = bytes[at]!;
            if (c === 0x22) break;
            if (c === 0x5c || c < 0x20 || c > 0x7e) return false;
            at++;
          }
          break;
        }
      }
    }
    return at === to;
  };
}

function parseObject(json: string): object | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function isIndex(value: unknown, length: number): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < length;
}

// Last: the module's functions and constants above are all initialized by now.
const { path, start, end, workers, records, message, lines: format, pids } = workerData as PartData;
const text = Buffer.allocUnsafe(end - start);
const fd = openSync(path, 'r');
for (let read = 0; read < text.length; ) read += readSync(fd, text, read, text.length - read, start + read);
closeSync(fd);

const parse = format === 'text' ? textParser(message) : jsonParser(message);
const fastLine = matcher(format === 'text' ? textSteps(message) : jsonSteps(message));
/** With pids: a pid's index among them. */
const pidIndex = pids === undefined ? undefined : new Map(pids.map((pid, k) => [pid, k]));
const keys = workers * (pids?.length ?? 1);
const seen = new Uint8Array(keys * records);
const first = new Int32Array(keys).fill(-1);
const last = new Int32Array(keys).fill(-1);
let lines = 0;
let torn = 0;
let outOfOrder = 0;
for (let from = 0; from < text.length; ) {
  let to = text.indexOf(10, from);
  // A last line without its newline is a torn write too.
  if (to === -1) to = text.length;
  lines++;
  let worker: unknown;
  let i: unknown;
  let pid: unknown;
  if (fastLine(text, from, to)) {
    worker = matched.worker;
    i = matched.i;
    pid = matched.pid;
  } else {
    const fields = parse(text.toString('utf8', from, to));
    worker = fields?.worker;
    i = fields?.i;
    pid = fields?.pid;
  }
  from = to + 1;
  if (!isIndex(worker, workers) || !isIndex(i, records)) {
    torn++;
    continue;
  }
  // The worker's key: (pid, worker) with pids, else the worker.
  let w = worker;
  if (pidIndex !== undefined) {
    const p = pidIndex.get(pid as number);
    if (p === undefined) {
      torn++;
      continue;
    }
    w = p * workers + worker;
  }
  const k = w * records + i;
  if (seen[k]! < 255) seen[k]!++;
  if (first[w]! < 0) first[w] = i;
  else if (i < last[w]!) outOfOrder++;
  last[w] = i;
}
const counts: PartCounts = { lines, torn, seen, outOfOrder, first, last };
parentPort!.postMessage(counts, [seen.buffer, first.buffer, last.buffer]);
