/**
 * ringlog as the README recommends it: default options (an 8 MiB ring, onFull 'block'), one
 * backend in the main thread, its handle passed to every worker. The file never rotates during a
 * run (maxSize far above what a run writes), so all lines are in one file.
 */
import { createLogBackend } from '../../src/index.js';
import type { Variant } from './variant.js';

export const ringlog: Variant = {
  name: 'ringlog',
  writesFile: true,
  async open(path) {
    const backend = await createLogBackend({ file: { path, maxSize: '64GiB' } });
    return {
      workerUrl: new URL('./ringlog-worker.js', import.meta.url),
      workerData: () => ({ data: backend.handle }),
      // close() drains the ring, writes, closes the file and resolves to the backend's stats.
      close: () => backend.close(),
    };
  },
};
