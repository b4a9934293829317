/** Worker threads logging through test/fixtures/routing-worker.ts, for the routing and syslog tests. */
import { Worker } from 'node:worker_threads';
import type { LogBackend } from '../../dist/src/index.js';
import type { RoutingCall, RoutingWorkerData } from '../fixtures/routing-worker.js';

/** Runs `workers` threads of routing-worker.ts, each logging `count` times each call. */
export async function runRoutingWorkers(backend: LogBackend, calls: readonly RoutingCall[], count: number, workers: number): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, (_, worker) => {
      const workerData: RoutingWorkerData = { log: backend.handle, worker, calls, count };
      const thread = new Worker(new URL('../../dist/test/fixtures/routing-worker.js', import.meta.url), { workerData });
      return new Promise<void>((resolve, reject) => {
        thread.once('error', reject);
        thread.once('exit', () => resolve());
      });
    }),
  );
}
