/**
 * Worker threads logging every kind of call a line writer meets, for the tests that follow
 * lines the whole way (json-line.ts, text-line.ts): per thread, `count` calls of a
 * `child({ worker })` logger, by `i % 100`:
 *   7: warn({ i, err: Error('e' + i) }, 'an error')   8: info('printf %d', i)
 *   9: info({ m: Map { 'i' => i } }, 'refused')       10: error(Error('only ' + i))
 *   otherwise: info({ i, s: 'é"\n' + i }, 'processed job')
 */
import { Worker } from 'node:worker_threads';
import type { LogHandle } from '../../dist/src/index.js';

const CODE = `
  const { workerData } = require('node:worker_threads');
  import(workerData.url).then(({ connect }) => {
    const log = connect(workerData.handle).child({ worker: workerData.id });
    for (let i = 0; i < workerData.count; i++) {
      if (i % 100 === 7) log.warn({ i, err: new Error('e' + i) }, 'an error');
      else if (i % 100 === 8) log.info('printf %d', i);
      else if (i % 100 === 9) log.info({ m: new Map([['i', i]]) }, 'refused');
      else if (i % 100 === 10) log.error(new Error('only ' + i));
      else log.info({ i, s: 'é"\\n' + i }, 'processed job');
    }
  });`;

/** Runs `threads` threads of the calls above, `count` each, and resolves when all have exited. */
export async function logMixedCalls(handle: LogHandle, threads: number, count: number): Promise<void> {
  const url = new URL('../../dist/src/index.js', import.meta.url).href;
  await Promise.all(
    Array.from({ length: threads }, (_, id) => {
      const worker = new Worker(CODE, { eval: true, workerData: { url, handle, id, count } });
      return new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', () => resolve());
      });
    }),
  );
}
