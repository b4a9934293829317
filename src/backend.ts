/**
 * The backend ties the pieces together in the main thread: it allocates the shared buffer once,
 * starts the consumer thread, hands out the handle and loggers, and owns the lifecycle
 * (running -> closing -> closed, kept in the STATE slot so that every thread sees it).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { drainOnExit, shutDown } from './consumer/consumer.js';
import type { ConsumerData } from './consumer/thread.js';
import { checkName, resolveOptions, type BackendOptions, type ResolvedOptions } from './options.js';
import type { LogHandle } from './producer/handle.js';
import { connect, type Logger } from './producer/logger.js';
import { Producer } from './producer/producer.js';
import { allocateShared, Slot, Stat, State, viewShared, type SharedViews } from './shared/layout.js';
import { Ring } from './shared/ring.js';

/** How long the exiting main thread waits for the consumer thread to finish a batch. */
const EXIT_DRAIN_TIMEOUT_MS = 5000;

export interface BackendStats {
  /** Records handed to the OS. */
  readonly recordsWritten: number;
  /** Bytes handed to the OS. */
  readonly bytesWritten: number;
  /** All records that were not written: the sum of the four below. */
  readonly recordsDropped: number;
  /** Dropped because the ring was full and `onFull` is 'drop'. */
  readonly droppedFull: number;
  /** Log calls made after the backend closed. */
  readonly droppedClosed: number;
  /** Records larger than `maxRecordSize`, written as a short notice instead. */
  readonly oversized: number;
  /** Records skipped because their producer died between claiming and committing them. */
  readonly abandoned: number;
  /** Records that could not be rendered (a bug in ringlog if it is ever not 0). */
  readonly recordsFailed: number;
  /** File rotations done. */
  readonly rotations: number;
}

export interface LogBackend {
  /** Pass to workers (workerData or postMessage); they call `connect(handle)`. */
  readonly handle: LogHandle;
  /** Ring capacity in bytes, as configured. */
  readonly bufferSize: number;
  /** A logger for this thread, writing into the same ring as the workers. */
  logger(name?: string): Logger;
  /** Resolves once every record committed before the call has been handed to the OS. */
  flush(): Promise<void>;
  /** Drains, writes, closes files and stops the consumer thread. Idempotent. */
  close(): Promise<BackendStats>;
  stats(): BackendStats;
}

export async function createLogBackend(options?: BackendOptions): Promise<LogBackend> {
  const resolved = resolveOptions(options);
  const buffer = allocateShared(resolved.bufferBytes);
  const data: ConsumerData = { buffer, options: resolved };
  const worker = new Worker(new URL('./consumer/thread.js', import.meta.url), {
    workerData: data,
    name: 'ringlog-consumer',
    // Flags such as --input-type (from `node --input-type=module -e ...`) apply to the main
    // entry only; inherited by a worker loading a file, they make its start fail.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
  });
  const [message] = (await once(worker, 'message')) as [unknown];
  if (message !== 'ready') throw new Error(`ringlog: the consumer thread did not start (${String(message)})`);
  // The consumer must not keep the process alive: at the end of the event loop, the exit
  // handler drains what is left.
  worker.unref();
  return new Backend(resolved, buffer, worker);
}

class Backend implements LogBackend {
  readonly handle: LogHandle;
  readonly bufferSize: number;
  readonly #options: ResolvedOptions;
  readonly #views: SharedViews;
  readonly #worker: Worker;
  readonly #exited: Promise<unknown>;
  #closing: Promise<BackendStats> | undefined;
  readonly #onExit = (): void => this.#drainOnExit();

  constructor(options: ResolvedOptions, buffer: SharedArrayBuffer, worker: Worker) {
    this.#options = options;
    this.#views = viewShared(buffer);
    this.bufferSize = options.bufferBytes;
    this.handle = Object.freeze({
      ringlog: 1,
      buffer,
      level: options.level,
      onFull: options.onFull,
      maxRecordSize: options.maxRecordBytes,
    });
    this.#worker = worker;
    // Not events.once(): it rejects on 'error', and a rejection nobody awaits would crash the app.
    this.#exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('error', (error) => this.#consumerFailed(error));
    process.on('exit', this.#onExit);
  }

  logger(name?: string): Logger {
    if (name !== undefined) checkName(name, 'backend.logger(name): name');
    return connect(this.handle, name === undefined ? {} : { name });
  }

  flush(): Promise<void> {
    return Producer.for(this.handle).flush();
  }

  close(): Promise<BackendStats> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  stats(): BackendStats {
    const { control, stats } = this.#views;
    const droppedFull = Atomics.load(control, Slot.DROPPED_FULL) >>> 0;
    const droppedClosed = Atomics.load(control, Slot.DROPPED_CLOSED) >>> 0;
    const oversized = Atomics.load(control, Slot.OVERSIZED) >>> 0;
    const abandoned = Atomics.load(control, Slot.ABANDONED) >>> 0;
    return {
      recordsWritten: Number(Atomics.load(stats, Stat.RECORDS_WRITTEN)),
      bytesWritten: Number(Atomics.load(stats, Stat.BYTES_WRITTEN)),
      recordsDropped: droppedFull + droppedClosed + oversized + abandoned,
      droppedFull,
      droppedClosed,
      oversized,
      abandoned,
      recordsFailed: Number(Atomics.load(stats, Stat.RECORDS_FAILED)),
      rotations: Number(Atomics.load(stats, Stat.ROTATIONS)),
    };
  }

  async #close(): Promise<BackendStats> {
    const { control } = this.#views;
    Atomics.compareExchange(control, Slot.STATE, State.RUNNING, State.CLOSING);
    new Ring(this.#views).wakeConsumer();
    // Keep the process alive until the consumer has written everything and closed the files.
    this.#worker.ref();
    await this.#exited;
    process.off('exit', this.#onExit);
    return this.stats();
  }

  #drainOnExit(): void {
    const { control } = this.#views;
    if (Atomics.load(control, Slot.STATE) === State.CLOSED) return;
    Atomics.compareExchange(control, Slot.STATE, State.RUNNING, State.CLOSING);
    if (!drainOnExit(this.#views, this.#options, EXIT_DRAIN_TIMEOUT_MS)) {
      process.stderr.write(
        `ringlog: records still in the ring at exit were not written: the consumer thread did not finish its write within ${EXIT_DRAIN_TIMEOUT_MS} ms\n`,
      );
    }
  }

  /**
   * The consumer thread died. It shuts the backend down itself on a failed write; this covers
   * deaths it cannot catch (its own out-of-memory, say), and tells the user.
   */
  #consumerFailed(error: Error): void {
    shutDown(new Ring(this.#views), this.#views.control);
    process.stderr.write(`ringlog: the consumer thread failed; further records are dropped: ${error.stack ?? error.message}\n`);
  }
}
