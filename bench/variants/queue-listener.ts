/**
 * Node's version of Python's QueueHandler + QueueListener, shared by both queue variants: one
 * listener thread owns the file and writes what producers send it through a buffered file
 * stream. The main thread gives each producer a MessagePort whose other end goes to the
 * listener; the variants differ only in what a producer sends per postMessage.
 */
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Sink } from '../lib/pool.js';

export interface ListenerData {
  readonly path: string;
  readonly producers: number;
}

export async function openListener(path: string, producers: number, workerUrl: URL): Promise<Sink> {
  const data: ListenerData = { path, producers };
  const listener = new Worker(new URL('./queue-listener-thread.js', import.meta.url), { workerData: data });
  const failed = new Promise<never>((_, reject) => listener.once('error', reject));
  // Guards every await below; a failure after the run is reported by the awaits themselves.
  failed.catch(() => {});
  await Promise.race([once(listener, 'message'), failed]); // 'open': the file is open
  const closed = Promise.race([once(listener, 'message'), failed]); // 'closed', after every producer's end
  return {
    workerUrl,
    workerData: () => {
      const { port1, port2 } = new MessageChannel();
      listener.postMessage(port1, [port1]);
      return { data: port2, transfer: [port2] };
    },
    close: async () => {
      await closed;
      return undefined;
    },
  };
}
