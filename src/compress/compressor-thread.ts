/**
 * Entry of the compressor thread, kept thin: it wires the owner's port and the clients' ports
 * to a CompressQueue and reports every outcome to the owner. compressor.ts describes the
 * protocol and who owns what.
 *
 * Closing drains first: the owner's 'close' can overtake paths that clients posted earlier on
 * their own ports (messages are ordered per port, not across ports), so every client port is
 * emptied synchronously before the queue's last file is awaited.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { compressFile } from './compress-file.js';
import { CompressQueue, type CompressOutcome } from './compress-queue.js';
import { toErrorData, type CompressorThreadData, type FromCompressor, type ToCompressor } from './compressor.js';

const owner = parentPort as MessagePort;
const { level } = workerData as CompressorThreadData;
const clients = new Set<MessagePort>();

const queue = new CompressQueue(
  (path) => compressFile(path, { level }),
  (outcome: CompressOutcome) => {
    const message: FromCompressor =
      outcome.type === 'done' ? outcome : { type: 'failed', path: outcome.path, error: toErrorData(outcome.error) };
    owner.postMessage(message);
  },
);

function onClientMessage(message: ToCompressor): void {
  if (message.type === 'compress') queue.push(message.path);
}

owner.on('message', (message: ToCompressor) => {
  switch (message.type) {
    case 'compress':
      queue.push(message.path);
      break;
    case 'connect': {
      const port = message.port;
      clients.add(port);
      port.on('message', onClientMessage);
      port.on('close', () => clients.delete(port));
      break;
    }
    case 'close':
      void close();
      break;
  }
});

async function close(): Promise<void> {
  for (const port of clients) {
    for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
      onClientMessage(next.message as ToCompressor);
    }
    port.close();
  }
  await queue.idle();
  // Nothing else holds the event loop: the thread ends, and the owner sees 'exit' after the
  // outcomes posted above.
  owner.close();
}
