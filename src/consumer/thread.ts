/**
 * Entry of the consumer thread, kept thin: open the sink, say ready, run the drain loop.
 * The loop blocks this thread (it sleeps in Atomics.wait, never in the event loop), which is
 * what a dedicated consumer is for; the main thread learns of the end through the 'exit' event.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { viewShared } from '../shared/layout.js';
import type { ResolvedOptions } from '../options.js';
import { Consumer, defaultFormat, openSink } from './consumer.js';

export interface ConsumerData {
  readonly buffer: SharedArrayBuffer;
  readonly options: ResolvedOptions;
}

const { buffer, options } = workerData as ConsumerData;
const consumer = new Consumer(viewShared(buffer), openSink(options), defaultFormat());
parentPort?.postMessage('ready');
consumer.run();
