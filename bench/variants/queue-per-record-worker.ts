/** A queue-per-record producer: format the line here, post it to the listener thread. */
import type { MessagePort } from 'node:worker_threads';
import { JsonLineLogger } from '../lib/json-line.js';
import { runProducer } from '../lib/producer.js';
import { MESSAGE } from './variant.js';

await runProducer<MessagePort>((id, port) => {
  const log = new JsonLineLogger().child({ worker: id });
  return {
    log: (i) => port.postMessage(log.info({ i }, MESSAGE)),
    // Messages arrive in order, so the listener sees this after every line.
    end: () => port.postMessage(null),
  };
});
