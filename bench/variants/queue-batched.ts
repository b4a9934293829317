/**
 * QueueHandler + QueueListener with batching in the worker: 256 formatted lines per postMessage,
 * the rest at the end. Same listener thread as queue-per-record (queue-listener-thread.ts).
 */
import { openListener } from './queue-listener.js';
import type { Variant } from './variant.js';

export const queueBatched: Variant = {
  name: 'queue-batched',
  writesFile: true,
  open: (path, workers) => openListener(path, workers, new URL('./queue-batched-worker.js', import.meta.url)),
};
