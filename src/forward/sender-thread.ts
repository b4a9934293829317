/**
 * Entry of the sender thread of a forward sink: one per forward sink, started by the backend.
 * Unlike the consumer, it lives in its event loop (sockets, timers, waitAsync on the outbox),
 * so it never blocks; the drainer that fills its outbox may, and that is the back-pressure.
 * It says 'ready', then posts the sender's 'failed' / 'recovered' events (the backend writes
 * their stderr line: a socket's trouble does not block the app as a full ring does); 'stop'
 * from the backend spills what is left and ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { viewShared } from '../ring/layout.js';
import { viewOutbox } from './outbox.js';
import { Sender, type ResolvedForward } from './sender.js';

export interface SenderData {
  readonly outbox: SharedArrayBuffer;
  /** The process's ring, for its counters. */
  readonly ring: SharedArrayBuffer;
  readonly forward: ResolvedForward;
}

const { outbox, ring, forward } = workerData as SenderData;

const senders = Sender.start(
  {
    forward,
    stats: viewShared(ring).stats,
    report: (event) => parentPort?.postMessage(event),
  },
  viewOutbox(outbox),
);

parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  for (const sender of senders) sender.stop();
  parentPort?.postMessage('stopped');
  parentPort?.close();
});
parentPort?.postMessage('ready');
