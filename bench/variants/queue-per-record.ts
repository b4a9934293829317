/**
 * QueueHandler + QueueListener with one postMessage per record: the worker formats the line
 * (the handler's prepare()) and posts it; the listener thread writes it through a buffered file
 * stream (queue-listener-thread.ts).
 */
import { openListener } from './queue-listener.js';
import type { Variant } from './variant.js';

export const queuePerRecord: Variant = {
  name: 'queue-per-record',
  writesFile: true,
  open: (path, workers) => openListener(path, workers, new URL('./queue-per-record-worker.js', import.meta.url)),
};
