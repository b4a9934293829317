/**
 * Demo (npm start): ringlog under its main job. A piscina pool with piscina's defaults runs
 * CPU-bound jobs (worker.ts); the pool's threads log every job into one shared ring, and the
 * consumer thread writes logs/app.log, rotated at 4 MiB. While the pool works, a progress line
 * says how many records are in the file, at what rate, and how full the ring is; at the end, a
 * table of the run. Then every file is read back: each job's record exactly once, each thread's
 * records in the order it logged them, every line whole JSON, every file ending with '\n'.
 *
 *   npm start        (exit code 1 when the check fails)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { createLogBackend, type BackendStats, type LogBackend } from '../src/index.js';
import type { PoolData, Task, TaskResult } from './worker.js';

/** Jobs in all: ~5 s on 2 cores, ~40 MiB of lines, so about 10 files. */
const TOTAL_JOBS = 200_000;
/** Jobs per pool task: a task is a few milliseconds of work, as a request or a chunk would be. */
const JOBS_PER_TASK = 100;
const LOG_DIR = 'logs';
const LOG_FILE = 'app.log';
const MAX_SIZE = '4MiB';
/** Keeps every file of a run (up to 84 MiB): a rotation that deleted one would fail the check. */
const MAX_FILES = 20;
const BUFFER_SIZE = '8MiB';
/** The main thread's own lines: 'starting' and 'done'. */
const MAIN_LINES = 2;
const PROGRESS_EVERY_MS = 250;
/** Problems listed one by one before the rest are only counted. */
const MAX_PROBLEMS_SHOWN = 10;

interface LogLine {
  level?: unknown;
  name?: unknown;
  thread?: unknown;
  seq?: unknown;
  job?: unknown;
}

const number = (n: number): string => n.toLocaleString('en-US');

/**
 * The progress line, every PROGRESS_EVERY_MS: records in the file, their rate since the last
 * line, and the ring's fill. On a terminal it rewrites itself; elsewhere (a pipe, CI) it is
 * printed once a second.
 */
class Progress {
  peakPercent = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #tty = process.stdout.isTTY === true;
  #last = { at: performance.now(), written: 0 };
  #printedAt = 0;

  constructor(backend: LogBackend) {
    this.#timer = setInterval(() => this.#sample(backend), PROGRESS_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#tty) process.stdout.write('\r\x1b[K');
  }

  #sample(backend: LogBackend): void {
    const { recordsWritten, bufferUsed } = backend.stats();
    const now = performance.now();
    const rate = ((recordsWritten - this.#last.written) * 1000) / (now - this.#last.at);
    const percent = (100 * bufferUsed) / backend.bufferSize;
    this.peakPercent = Math.max(this.peakPercent, percent);
    this.#last = { at: now, written: recordsWritten };
    const line = `${number(recordsWritten)} records in the file, ${number(Math.round(rate))} records/s, ring ${percent.toFixed(1)}% full`;
    if (this.#tty) {
      process.stdout.write(`\r\x1b[K${line}`);
    } else if (now - this.#printedAt >= 1000) {
      console.log(line);
      this.#printedAt = now;
    }
  }
}

mkdirSync(LOG_DIR, { recursive: true });
for (const { name } of logFiles()) rmSync(join(LOG_DIR, name));

const started = performance.now();
const backend = await createLogBackend({
  bufferSize: BUFFER_SIZE,
  file: { path: join(LOG_DIR, LOG_FILE), maxSize: MAX_SIZE, maxFiles: MAX_FILES },
  level: 'info',
});
const poolData: PoolData = { log: backend.handle };
const pool = new Piscina<Task, TaskResult>({ filename: new URL('./worker.js', import.meta.url).href, workerData: poolData });
const main = backend.logger('main');
const tasks: Task[] = [];
for (let first = 0; first < TOTAL_JOBS; first += JOBS_PER_TASK) tasks.push({ first, count: Math.min(JOBS_PER_TASK, TOTAL_JOBS - first) });
main.info({ jobs: TOTAL_JOBS, tasks: tasks.length, maxThreads: pool.options.maxThreads }, 'pool starting');

const progress = new Progress(backend);
const results = await Promise.all(tasks.map((task) => pool.run(task)));
const logged = results.reduce((sum, result) => sum + result.logged, 0) + MAIN_LINES;
main.info({ logged }, 'pool done in %d ms', Math.round(performance.now() - started));
await pool.destroy();
await backend.flush();
progress.stop();
const stats = await backend.close();
const elapsedS = (performance.now() - started) / 1000;

const { problems, threads } = check(stats, logged);
const files = logFiles();
const table: [string, string][] = [
  ['pool', `piscina, its defaults: ${threads} threads ran ${number(tasks.length)} tasks of ${JOBS_PER_TASK} jobs (${number(TOTAL_JOBS)} jobs)`],
  ['records', `${number(logged)} logged, ${number(stats.recordsWritten)} written, ${number(stats.recordsDropped)} dropped`],
  ['files', `${LOG_DIR}/${LOG_FILE} and ${files.length - 1} rotated (at ${MAX_SIZE.replace('MiB', ' MiB')}), ${(stats.bytesWritten / 2 ** 20).toFixed(1)} MiB`],
  ['time', `${elapsedS.toFixed(2)} s, ${number(Math.round(stats.recordsWritten / elapsedS))} records/s`],
  ['ring', `${BUFFER_SIZE.replace('MiB', ' MiB')}, at most ${progress.peakPercent.toFixed(1)}% full while sampled`],
];
console.log('ringlog demo');
for (const [key, value] of table) console.log(`  ${key.padEnd(8)} ${value}`);
if (problems.length === 0) {
  console.log('check: OK');
} else {
  console.log(`check: FAILED, ${problems.length} problems`);
  for (const problem of problems.slice(0, MAX_PROBLEMS_SHOWN)) console.log(`  - ${problem}`);
  if (problems.length > MAX_PROBLEMS_SHOWN) console.log(`  ... and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
  process.exitCode = 1;
}

/** The live file and its rotated siblings, oldest first (app.log.N ... app.log.1, app.log). */
function logFiles(): { name: string; index: number }[] {
  const pattern = new RegExp(`^${LOG_FILE.replaceAll('.', '\\.')}(?:\\.(\\d+))?$`);
  return readdirSync(LOG_DIR)
    .flatMap((name) => {
      const match = pattern.exec(name);
      return match === null ? [] : [{ name, index: Number(match[1] ?? 0) }];
    })
    .sort((a, b) => b.index - a.index);
}

/** Reads every file back; returns the problems found (none when every record arrived intact) and the threads seen. */
function check(stats: BackendStats, logged: number): { problems: string[]; threads: number } {
  const problems: string[] = [];
  const jobs = new Uint32Array(TOTAL_JOBS);
  /** Per thread, the next seq it must have logged. */
  const nextSeq = new Map<number, number>();
  let lines = 0;
  let mainLines = 0;
  for (const { name } of logFiles()) {
    const text = readFileSync(join(LOG_DIR, name), 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) problems.push(`${name} does not end with '\\n'`);
    const rows = text.split('\n');
    rows.pop();
    rows.forEach((row, i) => {
      lines++;
      let line: LogLine;
      try {
        line = JSON.parse(row) as LogLine;
      } catch {
        problems.push(`${name}:${i + 1} is not JSON: ${row.slice(0, 80)}`);
        return;
      }
      if (line.name === 'main') {
        mainLines++;
        return;
      }
      const { thread, seq, job } = line;
      if (line.name !== 'worker' || typeof thread !== 'number' || typeof seq !== 'number' || typeof job !== 'number') {
        problems.push(`${name}:${i + 1} is not a record of the pool: ${row.slice(0, 80)}`);
        return;
      }
      const expected = nextSeq.get(thread) ?? 0;
      if (seq !== expected) problems.push(`thread ${thread}: record ${seq} where ${expected} was next (lost, repeated or out of order)`);
      nextSeq.set(thread, seq + 1);
      if (line.level === 30) {
        if (job >= 0 && job < TOTAL_JOBS) jobs[job]!++;
        else problems.push(`${name}:${i + 1}: job ${job} was never run`);
      }
    });
  }

  const missing = jobs.filter((n) => n === 0).length;
  const repeated = jobs.filter((n) => n > 1).length;
  if (missing > 0) problems.push(`${missing} of ${TOTAL_JOBS} job records missing (first: job ${jobs.indexOf(0)})`);
  if (repeated > 0) problems.push(`${repeated} job records written more than once`);
  if (mainLines !== MAIN_LINES) problems.push(`${mainLines} main-thread lines, expected ${MAIN_LINES}`);
  if (lines !== stats.recordsWritten) problems.push(`${lines} lines in the files, but ${stats.recordsWritten} records written`);
  if (stats.recordsWritten !== logged) problems.push(`${logged} records logged, but ${stats.recordsWritten} written`);
  if (stats.recordsDropped !== 0 || stats.recordsFailed !== 0) {
    problems.push(`${stats.recordsDropped} records dropped, ${stats.recordsFailed} failed`);
  }
  return { problems, threads: nextSeq.size };
}
