/**
 * Entry of the aggregator's receiver thread (`listen`): accepts forwarding processes on the
 * socket and hands their batches to the Receiver, which puts them into this process's ring.
 * Its own thread, so that neither the app's main thread (a cluster primary, a server) nor the
 * blocking consumer carries the sockets. Says 'ready' once listening, or why it cannot listen;
 * posts a 'peer' event for each peer it disconnects; 'stop' ends it once what it took is written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { viewShared } from '../ring/layout.js';
import { listenSocket } from './listen-socket.js';
import { Receiver } from './receiver.js';

export interface ReceiverData {
  readonly ring: SharedArrayBuffer;
  readonly maxRecordBytes: number;
  /** The socket path, absolute. */
  readonly listen: string;
}

/** How long 'stop' waits for taken batches to be written before closing the connections. */
const STOP_SETTLE_MS = 2000;

const { ring, maxRecordBytes, listen } = workerData as ReceiverData;
const receiver = new Receiver(viewShared(ring), maxRecordBytes, (event) => parentPort?.postMessage(event));

try {
  const server = await listenSocket(listen, (socket) => receiver.accept(socket));
  parentPort?.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    receiver.stop();
    server.close();
    void Promise.race([receiver.settled(), new Promise((resolve) => setTimeout(resolve, STOP_SETTLE_MS))]).then(() => {
      receiver.disconnectAll();
      parentPort?.postMessage('stopped');
      parentPort?.close();
    });
  });
  parentPort?.postMessage('ready');
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  parentPort?.postMessage({ type: 'listen-failed', message: e.message, code: e.code });
}
