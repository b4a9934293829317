/** A floor producer: format the line, encode it into private memory, and nothing else. */
import { JsonLineLogger, PrivateBuffer } from '../lib/json-line.js';
import { runProducer } from '../lib/producer.js';
import { MESSAGE } from './variant.js';

await runProducer((id) => {
  const log = new JsonLineLogger().child({ worker: id });
  const buffer = new PrivateBuffer();
  return {
    log: (i) => buffer.write(log.info({ i }, MESSAGE)),
    end: () => {},
  };
});
