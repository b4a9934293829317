/** A ringlog producer: each call encodes the record into the shared ring; the consumer thread writes it. */
import { connect, type LogHandle } from '../../src/index.js';
import { runProducer } from '../lib/producer.js';
import { MESSAGE } from './variant.js';

await runProducer<LogHandle>((id, handle) => {
  const log = connect(handle).child({ worker: id });
  return {
    log: (i) => log.info({ i }, MESSAGE),
    // Nothing to hand over: a record is in the ring when info() returns.
    end: () => {},
  };
});
