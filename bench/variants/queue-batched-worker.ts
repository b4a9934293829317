/**
 * A queue-batched producer: format the line here, collect 256 of them, post them as one string.
 * A batch that is not full waits in the worker until the end (or, in a real app, a timer that
 * only fires when the worker returns to its event loop).
 */
import type { MessagePort } from 'node:worker_threads';
import { JsonLineLogger } from '../lib/json-line.js';
import { runProducer } from '../lib/producer.js';
import { MESSAGE } from './variant.js';

const BATCH_LINES = 256;

await runProducer<MessagePort>((id, port) => {
  const log = new JsonLineLogger().child({ worker: id });
  let batch = '';
  let lines = 0;
  return {
    log: (i) => {
      batch += log.info({ i }, MESSAGE);
      if (++lines === BATCH_LINES) {
        port.postMessage(batch);
        batch = '';
        lines = 0;
      }
    },
    end: () => {
      if (lines > 0) port.postMessage(batch);
      port.postMessage(null);
    },
  };
});
