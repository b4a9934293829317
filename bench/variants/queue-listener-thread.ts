/**
 * The listener thread of the queue variants (see queue-listener.ts). A message from a producer
 * is text to append (one line or a batch of lines) or null (that producer is done). The stream
 * is not paused when the disk is slow, because a MessagePort cannot be: what the disk does not
 * take waits in the stream's buffer, as it waits in the unbounded queue.Queue of Python's
 * QueueListener.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ListenerData } from './queue-listener.js';

const { path, producers } = workerData as ListenerData;
const file = createWriteStream(path, { flags: 'a' });
await once(file, 'open');
parentPort!.postMessage('open');

let ended = 0;
parentPort!.on('message', (port: MessagePort) => {
  port.on('message', (text: string | null) => {
    if (text !== null) {
      file.write(text);
      return;
    }
    port.close();
    if (++ended === producers) {
      // Nothing more will come: let the thread end once the file is closed.
      parentPort!.unref();
      file.end();
    }
  });
});
file.once('close', () => parentPort!.postMessage('closed'));
