/**
 * The backend's side of its network sinks: the outboxes of its forward, syslog and OTLP sinks and
 * their sender threads (one each),
 * and, for `listen`, the receiver thread. Both kinds of thread are unref'd (they must not keep
 * the process alive) and report through `events`; a sender thread that dies is restarted, for
 * without it the outbox never empties and the consumer would wait on it forever.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { allocateOutbox } from '../forward/outbox.js';
import type { PeerEvent } from '../forward/receiver.js';
import type { ReceiverData } from '../forward/receiver-thread.js';
import type { FailureEvent } from '../core/episode.js';
import type { SenderData } from '../forward/sender-thread.js';
import type { ResolvedOptions } from '../config/options.js';
import { listenError } from '../core/errors.js';

/** How long close() waits for a thread's 'stopped'. */
const STOP_TIMEOUT_MS = 3000;
const SENDER_RESTART_DELAY_MS = 1000;

export interface ForwardingEvents {
  sender(event: FailureEvent): void;
  peer(event: PeerEvent): void;
}

/** Per sink index, an outbox for each network sink. */
export function allocateOutboxes(options: ResolvedOptions): (SharedArrayBuffer | undefined)[] {
  return options.sinks.map((sink) => {
    const bytes = sink.forward?.outboxBytes ?? sink.syslog?.outboxBytes ?? sink.otlp?.outboxBytes;
    return bytes === undefined ? undefined : allocateOutbox(bytes);
  });
}

export class Forwarding {
  readonly #senders: (Worker | undefined)[] = [];
  #receiver: Worker | undefined;
  #closing = false;
  readonly #events: ForwardingEvents;

  private constructor(events: ForwardingEvents) {
    this.#events = events;
  }

  /** Starts the sender threads of `outboxes` and, with `options.listen`, the receiver; rejects when it cannot listen. */
  static async start(
    options: ResolvedOptions,
    ring: SharedArrayBuffer,
    outboxes: readonly (SharedArrayBuffer | undefined)[],
    events: ForwardingEvents,
  ): Promise<Forwarding | undefined> {
    if (options.listen === undefined && outboxes.every((outbox) => outbox === undefined)) return undefined;
    const forwarding = new Forwarding(events);
    try {
      await Promise.all(
        options.sinks.map(async (sink, index) => {
          const outbox = outboxes[index];
          if (outbox === undefined) return;
          await forwarding.#startSender(index, { outbox, ring, forward: sink.forward, syslog: sink.syslog, otlp: sink.otlp });
        }),
      );
      if (options.listen !== undefined) {
        const data: ReceiverData = { ring, maxRecordBytes: options.maxRecordBytes, listen: options.listen };
        const worker = spawn('../forward/receiver-thread.js', data, 'ringlog-receiver');
        const [message] = (await once(worker, 'message')) as [unknown];
        if (message !== 'ready') {
          void worker.terminate();
          // The thread's message is a listenError already; made again here, for a stack of this thread.
          const said = (message as { message?: string }).message ?? String(message);
          throw listenError(options.listen, said.replace(`ringlog: cannot listen on ${options.listen}: `, ''));
        }
        worker.unref();
        worker.on('message', (event: PeerEvent) => {
          if (event?.type === 'peer') events.peer(event);
        });
        forwarding.#receiver = worker;
      }
    } catch (error) {
      await forwarding.close();
      throw error;
    }
    return forwarding;
  }

  async #startSender(index: number, data: SenderData): Promise<void> {
    const worker = spawn('../forward/sender-thread.js', data, 'ringlog-sender');
    const [message] = (await once(worker, 'message')) as [unknown];
    if (message !== 'ready') throw new Error(`ringlog: the sender thread did not start (${String(message)})`);
    worker.unref();
    worker.on('message', (event: FailureEvent) => {
      if (event?.type === 'failed' || event?.type === 'recovered') this.#events.sender(event);
    });
    worker.on('error', () => {});
    worker.once('exit', () => {
      if (this.#senders[index] !== worker) return;
      this.#senders[index] = undefined;
      if (this.#closing) return;
      const timer = setTimeout(() => void this.#startSender(index, data).catch(() => {}), SENDER_RESTART_DELAY_MS);
      timer.unref();
    });
    this.#senders[index] = worker;
  }

  /** The aggregator stops taking batches (what it took is written first); call before the ring closes. */
  async stopReceiving(): Promise<void> {
    const receiver = this.#receiver;
    this.#receiver = undefined;
    if (receiver !== undefined) await stop(receiver);
  }

  /** After the consumer closed its network sinks: the senders deliver, spill or drop what is left and end. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.stopReceiving();
    await Promise.all(this.#senders.map((worker) => (worker === undefined ? undefined : stop(worker))));
    this.#senders.length = 0;
  }
}

function spawn(entry: string, data: SenderData | ReceiverData, name: string): Worker {
  return new Worker(new URL(entry, import.meta.url), {
    workerData: data,
    name,
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
  });
}

/** Asks a thread to stop and waits for it, at most STOP_TIMEOUT_MS; then it is terminated. */
async function stop(worker: Worker): Promise<void> {
  worker.ref();
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (message: unknown) => {
      if (message === 'stopped') resolve();
    });
    worker.once('exit', () => resolve());
  });
  worker.postMessage('stop');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  await worker.terminate().catch(() => {});
}
