/**
 * Entry of a sender thread: one per network sink (forward, syslog), started by the backend.
 * Unlike the consumer, it lives in its event loop (sockets, timers, waitAsync on the outbox),
 * so it never blocks; the drainer that fills its outbox may, and that is the back-pressure.
 * It says 'ready', then posts the sender's 'failed' / 'recovered' events (the backend writes
 * their stderr line: a socket's trouble does not block the app as a full ring does); 'stop'
 * from the backend delivers, spills or drops what is left (as the sink's kind says) and ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { viewShared } from '../ring/layout.js';
import { viewOutbox } from './outbox.js';
import type { FailureEvent } from '../core/episode.js';
import { Sender, type ResolvedForward } from './sender.js';
import { StreamSender, type ResolvedSyslogTarget } from './stream-sender.js';
import { HttpSender, type ResolvedOtlpTarget } from './http-sender.js';

/** One of `forward` (to an aggregator), `syslog` and `otlp` (to a collector). */
export interface SenderData {
  readonly outbox: SharedArrayBuffer;
  /** The process's ring, for its counters. */
  readonly ring: SharedArrayBuffer;
  readonly forward?: ResolvedForward | undefined;
  readonly syslog?: ResolvedSyslogTarget | undefined;
  readonly otlp?: ResolvedOtlpTarget | undefined;
}

const { outbox, ring, forward, syslog, otlp } = workerData as SenderData;
const report = (event: FailureEvent): void => parentPort?.postMessage(event);

let stop: () => Promise<void>;
if (syslog !== undefined || otlp !== undefined) {
  const sender = syslog !== undefined ? new StreamSender(syslog, viewOutbox(outbox), report) : new HttpSender(otlp!, viewOutbox(outbox), report);
  sender.start();
  stop = () => sender.stop();
} else {
  const senders = Sender.start({ forward: forward!, stats: viewShared(ring).stats, report }, viewOutbox(outbox));
  stop = async () => {
    for (const sender of senders) sender.stop();
  };
}

parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  void stop().then(() => {
    parentPort?.postMessage('stopped');
    parentPort?.close();
  });
});
parentPort?.postMessage('ready');
