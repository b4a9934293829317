/** Runs stress producers (fixtures/stress-worker.ts) against a backend until they all exit. */
import { Worker } from 'node:worker_threads';
import type { LogBackend } from '../../dist/src/index.js';
import type { StressWorkerData } from '../fixtures/stress-worker.js';

const workerUrl = new URL('../../dist/test/fixtures/stress-worker.js', import.meta.url);

/** `workers` threads, numbered from 0, each logging `count` records. */
export function runStressWorkers(backend: LogBackend, workers: number, count: number): Promise<unknown[]> {
  return Promise.all(
    Array.from({ length: workers }, (_, worker) => {
      const workerData: StressWorkerData = { log: backend.handle, worker, count };
      const thread = new Worker(workerUrl, { workerData });
      return new Promise((resolve, reject) => {
        thread.on('error', reject);
        thread.on('exit', resolve);
      });
    }),
  );
}
