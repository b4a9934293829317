/**
 * pino as its users keep it, with ringlog carrying the lines: in every worker,
 * `pino(destination(handle))` (src/producer/destination.ts). pino builds the line in the worker
 * as in pino-transports; each write commits it into ringlog's ring, and ringlog's consumer thread
 * copies it to the file. One backend in the main thread, as the ringlog variant has.
 */
import { createLogBackend } from '../../src/index.js';
import { fileSinkOptions, type Variant } from './variant.js';

export const pinoDestination: Variant = {
  name: 'pino-destination',
  writesFile: true,
  async open(path) {
    const backend = await createLogBackend(fileSinkOptions(path, 'json'));
    return {
      workerUrl: new URL('./pino-destination-worker.js', import.meta.url),
      workerData: () => ({ data: backend.handle }),
      // close() drains the ring, writes, closes the file and resolves to the backend's stats.
      close: () => backend.close(),
    };
  },
};
