/**
 * One forwarding process of the processes scenario (processes.ts forks four of them from the
 * aggregator's measuring process): a ringlog backend whose one sink forwards to the aggregator's
 * socket (`{ forward: address }`, default ring and outbox), and one worker thread that logs M
 * records through it, the ringlog variant's worker (variants/ringlog-worker.ts) and the shared
 * loop (lib/producer.ts), as in the throughput scenario.
 *
 * Talks to its parent over IPC: 'ready' once the worker waits at its start barrier; on 'go' it
 * releases the worker, waits for it, closes the backend (which waits for the aggregator's
 * acknowledgements) and reports its own process.cpuUsage() over that span, then exits. It also
 * exits when its parent goes away (a failed or abandoned run).
 */
import { createLogBackend } from '../../src/index.js';
import { maxRssBytes } from '../lib/memory.js';
import { Pool } from '../lib/pool.js';
import type { ForwarderArgs, ForwarderMessage } from './processes.js';

const YIELD_EVERY = 1000;

const { address, records } = JSON.parse(process.argv[2] ?? '') as ForwarderArgs;
const send = (message: ForwarderMessage, then: () => void = () => {}): void => {
  process.send!(message, then);
};
process.on('disconnect', () => process.exit(2));

try {
  const backend = await createLogBackend({ forward: address });
  const errors: string[] = [];
  backend.on('error', (error) => errors.push(error.message));
  const pool = await Pool.start(
    {
      workerUrl: new URL('../variants/ringlog-worker.js', import.meta.url),
      workerData: () => ({ data: backend.handle }),
      close: () => backend.close(),
    },
    1,
    { kind: 'count', records, yieldEvery: YIELD_EVERY },
  );
  process.once('message', (message: unknown) => {
    if (message !== 'go') return;
    void (async () => {
      try {
        // The worker waits in Atomics.wait, spending nothing until go().
        const cpuStart = process.cpuUsage();
        const start = pool.go();
        const [done] = await pool.all('done');
        const stats = await backend.close();
        const elapsedMs = performance.now() - start;
        const cpu = process.cpuUsage(cpuStart);
        await pool.exited();
        send(
          { type: 'closed', elapsedMs, cpuNs: (cpu.user + cpu.system) * 1000, systemCpuNs: cpu.system * 1000, callNs: done!.callNs, maxRssBytes: maxRssBytes(), stats, errors },
          () => process.exit(0),
        );
      } catch (error) {
        fail(error);
      }
    })();
  });
  send({ type: 'ready' });
} catch (error) {
  fail(error);
}

function fail(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: 'failed', error: `forwarding process ${process.pid}: ${text}` }, () => process.exit(1));
}
