/** A pino producer writing through ringlog: each call's line is in the ring when info() returns. */
import pino from 'pino';
import { destination, type LogHandle } from '../../src/index.js';
import { runProducer } from '../lib/producer.js';
import { MESSAGE } from './variant.js';

await runProducer<LogHandle>((id, handle) => {
  const log = pino(destination(handle)).child({ worker: id });
  return {
    log: (i) => log.info({ i }, MESSAGE),
    // Nothing to hand over: every line is in the ring already.
    end: () => {},
  };
});
