/**
 * pino as its docs suggest for files: in every worker, pino with one
 * `pino.transport({ target: 'pino/file' })`, which runs its own thread (thread-stream) writing
 * the file with sonic-boom; all workers' transports append to the same file.
 */
import type { Variant } from './variant.js';

export const pinoTransports: Variant = {
  name: 'pino-transports',
  writesFile: true,
  async open(path) {
    return {
      workerUrl: new URL('./pino-transports-worker.js', import.meta.url),
      workerData: () => ({ data: path }),
      // Each worker closes its own transport before it reports done.
      close: async () => undefined,
    };
  },
};
