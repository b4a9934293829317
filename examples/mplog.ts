/**
 * The Python logging cookbook's "Logging to a single file from multiple processes", in its
 * QueueListener + dictConfig form, with ringlog: worker threads in place of processes, the
 * shared ring in place of the queue, the consumer thread in place of the listener.
 *
 *   npm run build && node dist/examples/mplog.js [dir]      (dir: default 'logs')
 *
 * Ten workers log 100 records each, at random levels, from random loggers of two subsystems
 * (`foo` and `spam`). One configuration sends them to four places, as the cookbook's does:
 *
 *   the console         INFO and above, in a short text format
 *   mplog.log           everything
 *   mplog-foo.log       everything from the `foo` subsystem (foo, foo.bar, foo.bar.baz)
 *   mplog-errors.log    ERROR and above
 *
 * The files are written afresh at each run (Python's mode 'w'). Each worker also counts what
 * it logged, by logger and level; the counts go to mplog-counts.json, so that you (and
 * test/examples.test.ts) can check every file against them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { connect, createLogBackend, type BackendOptions, type LevelName, type LogHandle } from '../src/index.js';

const WORKERS = 10;
const RECORDS_PER_WORKER = 100;
const LOGGERS = ['foo', 'foo.bar', 'foo.bar.baz', 'spam', 'spam.ham', 'spam.ham.eggs'] as const;
/** Python's DEBUG, INFO, WARNING, ERROR, CRITICAL. */
const LEVELS: readonly LevelName[] = ['debug', 'info', 'warn', 'error', 'fatal'];
const FILES = ['mplog.log', 'mplog-foo.log', 'mplog-errors.log'];

/** Records logged, by logger name and then level name. */
export type Counts = Record<string, Partial<Record<LevelName, number>>>;

interface WorkerInput {
  readonly log: LogHandle;
}

/** The cookbook's `config_listener`, as ringlog options. */
function config(dir: string): BackendOptions {
  return {
    level: 'debug',
    formatters: {
      detailed: { type: 'text', style: '%', template: '%(asctime)s %(name)-15s %(levelname)-8s %(threadName)-10s %(message)s' },
      simple: { type: 'text', style: '%', template: '%(name)-15s %(levelname)-8s %(threadName)-10s %(message)s' },
    },
    sinks: [
      { name: 'console', type: 'stdout', level: 'info', formatter: 'simple' },
      { name: 'file', type: 'file', path: join(dir, 'mplog.log'), formatter: 'detailed' },
      { name: 'foofile', type: 'file', path: join(dir, 'mplog-foo.log'), formatter: 'detailed', loggers: ['foo'] },
      { name: 'errors', type: 'file', path: join(dir, 'mplog-errors.log'), formatter: 'detailed', level: 'error' },
    ],
  };
}

/** The cookbook's worker_process: 100 records, each at a random level from a random logger. */
function workerProcess({ log: handle }: WorkerInput): Counts {
  const loggers = new Map(LOGGERS.map((name) => [name, connect(handle, { name })]));
  const counts: Counts = {};
  for (let i = 0; i < RECORDS_PER_WORKER; i++) {
    const level = LEVELS[Math.floor(Math.random() * LEVELS.length)]!;
    const name = LOGGERS[Math.floor(Math.random() * LOGGERS.length)]!;
    loggers.get(name)![level]('Message no. %d', i);
    const byLevel = (counts[name] ??= {});
    byLevel[level] = (byLevel[level] ?? 0) + 1;
  }
  return counts;
}

async function main(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const file of FILES) rmSync(join(dir, file), { force: true });
  const backend = await createLogBackend(config(dir));

  const counts: Counts = {};
  await Promise.all(
    Array.from({ length: WORKERS }, () => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { log: backend.handle } satisfies WorkerInput });
      return new Promise<void>((resolve, reject) => {
        worker.once('message', (logged: Counts) => {
          for (const [name, byLevel] of Object.entries(logged)) {
            for (const [level, n] of Object.entries(byLevel) as [LevelName, number][]) {
              const total = (counts[name] ??= {});
              total[level] = (total[level] ?? 0) + n;
            }
          }
        });
        worker.once('error', reject);
        worker.once('exit', () => resolve());
      });
    }),
  );
  const stats = await backend.close();
  writeFileSync(join(dir, 'mplog-counts.json'), `${JSON.stringify(counts, null, 2)}\n`);
  console.log(
    `mplog: ${WORKERS} workers logged ${WORKERS * RECORDS_PER_WORKER} records, written as ${stats.recordsWritten} lines to the console and ${join(dir, 'mplog*.log')}; counts in ${join(dir, 'mplog-counts.json')}`,
  );
}

if (isMainThread) await main(process.argv[2] ?? 'logs');
else parentPort!.postMessage(workerProcess(workerData as WorkerInput));
