/**
 * Demo: ringlog under its main job. A pool of CPU-bound worker threads, one per core, logs every
 * job into one shared ring; the consumer thread writes logs/app.log and rotates it at 4 MiB.
 * Afterwards the demo reads every file back and checks that nothing was lost, duplicated,
 * reordered or torn: each (worker, job) record exactly once, each worker's jobs in increasing
 * order across the files, every line valid JSON, every file ending with '\n'.
 *
 *   npm start        (exit code 1 when the check fails)
 */
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createLogBackend, type BackendStats } from '../src/index.js';
import type { WorkerData } from './worker.js';

/** Jobs shared among the workers: ~5 s on 2 cores, ~40 MiB of lines, so about 10 files. */
const TOTAL_JOBS = 200_000;
const LOG_DIR = 'logs';
const LOG_FILE = 'app.log';
const MAX_SIZE = '4MiB';
/** Keeps every file of a run (up to 84 MiB): a rotation that deleted one would fail the check. */
const MAX_FILES = 20;
/** The main thread's own lines: 'starting' and 'done'. */
const MAIN_LINES = 2;
/** Problems listed one by one before the rest are only counted. */
const MAX_PROBLEMS_SHOWN = 10;

interface LogLine {
  level?: unknown;
  name?: unknown;
  worker?: unknown;
  job?: unknown;
}

mkdirSync(LOG_DIR, { recursive: true });
for (const { name } of logFiles()) rmSync(join(LOG_DIR, name));

const workers = availableParallelism();
const jobsOf = (id: number): number => Math.floor(TOTAL_JOBS / workers) + (id < TOTAL_JOBS % workers ? 1 : 0);

const started = performance.now();
const backend = await createLogBackend({
  bufferSize: '8MiB',
  file: { path: join(LOG_DIR, LOG_FILE), maxSize: MAX_SIZE, maxFiles: MAX_FILES },
  level: 'info',
});
const main = backend.logger('main');
main.info({ workers, jobs: TOTAL_JOBS }, 'pool of %d workers starting', workers);

const counts = await Promise.all(Array.from({ length: workers }, (_, id) => runWorker(id, jobsOf(id))));
const logged = counts.reduce((sum, n) => sum + n, 0) + MAIN_LINES;
main.info({ logged }, 'pool done in %d ms', Math.round(performance.now() - started));

await backend.flush();
const stats = await backend.close();
const elapsedS = (performance.now() - started) / 1000;

const problems = check(stats, logged);
const files = logFiles();
console.log(`ringlog demo: ${workers} workers, ${TOTAL_JOBS} jobs, ${LOG_DIR}/${LOG_FILE} rotated at ${MAX_SIZE}`);
console.log(`records   logged ${logged}, written ${stats.recordsWritten}, dropped ${stats.recordsDropped}`);
console.log(`bytes     ${(stats.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${files.length} files, ${stats.rotations} rotations`);
console.log(`elapsed   ${elapsedS.toFixed(2)} s, ${Math.round(stats.recordsWritten / elapsedS)} records/s`);
if (problems.length === 0) {
  console.log('check: OK');
} else {
  console.log(`check: FAILED, ${problems.length} problems`);
  for (const problem of problems.slice(0, MAX_PROBLEMS_SHOWN)) console.log(`  - ${problem}`);
  if (problems.length > MAX_PROBLEMS_SHOWN) console.log(`  ... and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
  process.exitCode = 1;
}

/** Runs one worker to its end; resolves with the number of records it says it logged. */
async function runWorker(id: number, jobs: number): Promise<number> {
  const workerData: WorkerData = { log: backend.handle, id, jobs };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
  let count: number | undefined;
  worker.on('message', (message: number) => {
    count = message;
  });
  // once() rejects if the worker emits 'error' (an uncaught exception).
  const [code] = (await once(worker, 'exit')) as [number];
  if (code !== 0 || count === undefined) throw new Error(`worker ${id} exited with code ${code} before reporting`);
  return count;
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

/** Reads every file back; returns the problems found, none when every record arrived intact. */
function check(stats: BackendStats, logged: number): string[] {
  const problems: string[] = [];
  const jobsSeen = Array.from({ length: workers }, (): number[] => []);
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
      if (line.name === 'main') mainLines++;
      if (line.name !== 'worker' || line.level !== 30) return;
      const seen = typeof line.worker === 'number' ? jobsSeen[line.worker] : undefined;
      if (seen === undefined || typeof line.job !== 'number') problems.push(`${name}:${i + 1} has no valid worker/job`);
      else seen.push(line.job);
    });
  }

  jobsSeen.forEach((seen, id) => {
    const jobs = jobsOf(id);
    const times = new Uint32Array(jobs);
    let outOfOrder = 0;
    seen.forEach((job, i) => {
      if (job >= 0 && job < jobs) times[job]!++;
      else problems.push(`worker ${id}: job ${job} was never run`);
      if (i > 0 && job <= seen[i - 1]!) outOfOrder++;
    });
    const missing = times.filter((n) => n === 0).length;
    const duplicated = times.filter((n) => n > 1).length;
    if (missing > 0) problems.push(`worker ${id}: ${missing} of ${jobs} job records missing (first: job ${times.indexOf(0)})`);
    if (duplicated > 0) problems.push(`worker ${id}: ${duplicated} job records written more than once`);
    if (outOfOrder > 0) problems.push(`worker ${id}: ${outOfOrder} job records out of order`);
  });

  if (mainLines !== MAIN_LINES) problems.push(`${mainLines} main-thread lines, expected ${MAIN_LINES}`);
  if (lines !== stats.recordsWritten) problems.push(`${lines} lines in the files, but ${stats.recordsWritten} records written`);
  if (stats.recordsWritten !== logged) problems.push(`${logged} records logged, but ${stats.recordsWritten} written`);
  if (stats.recordsDropped !== 0 || stats.recordsFailed !== 0) {
    problems.push(`${stats.recordsDropped} records dropped, ${stats.recordsFailed} failed`);
  }
  return problems;
}
