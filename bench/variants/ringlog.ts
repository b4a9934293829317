/**
 * ringlog as the README describes it: one backend in the main thread, its handle passed to every
 * worker, onFull 'block'. Two ring sizes: the default 8 MiB, and 64 MiB, what the README's
 * sizing rule gives for pools that log a few hundred thousand records in a burst (the ring then
 * holds the whole burst and producers never wait for the consumer). And the default ring with
 * the text formatter Python's logging users configure (variant.ts TEXT_TEMPLATE) instead of JSON:
 * the same record, rendered by the consumer as a text line. The file never rotates during a run
 * (maxSize far above what a run writes), so all lines are in one file.
 */
import { createLogBackend } from '../../src/index.js';
import { fileSinkOptions, type LineFormat, type Variant } from './variant.js';

function ringlogWith(name: 'ringlog' | 'ringlog-64mib' | 'ringlog-text', bufferSize: string | undefined, lines: LineFormat): Variant {
  return {
    name,
    writesFile: true,
    lines,
    async open(path) {
      const backend = await createLogBackend({ ...fileSinkOptions(path, lines), ...(bufferSize === undefined ? {} : { bufferSize }) });
      return {
        workerUrl: new URL('./ringlog-worker.js', import.meta.url),
        workerData: () => ({ data: backend.handle }),
        // close() drains the ring, writes, closes the file and resolves to the backend's stats.
        close: () => backend.close(),
      };
    },
  };
}

export const ringlog = ringlogWith('ringlog', undefined, 'json');
export const ringlog64 = ringlogWith('ringlog-64mib', '64MiB', 'json');
export const ringlogText = ringlogWith('ringlog-text', undefined, 'text');
