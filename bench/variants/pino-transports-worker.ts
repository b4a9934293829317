/** A pino producer: its own pino.transport to the shared file, ended and closed before 'done'. */
import { once } from 'node:events';
import pino from 'pino';
import { runProducer } from '../lib/producer.js';
import { MESSAGE } from './variant.js';

await runProducer<string>(async (id, destination) => {
  const transport = pino.transport({ target: 'pino/file', options: { destination, append: true, mkdir: true } });
  await once(transport, 'ready');
  const log = pino(transport).child({ worker: id });
  return {
    log: (i) => log.info({ i }, MESSAGE),
    end: async () => {
      // thread-stream unrefs its thread, so waiting for 'close' alone would let this worker's
      // event loop run dry and the thread end with the await unfinished: a timer keeps it alive.
      const keepAlive = setInterval(() => {}, 1000);
      const closed = once(transport, 'close');
      transport.end();
      await closed;
      clearInterval(keepAlive);
    },
  };
});
