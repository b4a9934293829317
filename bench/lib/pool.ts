/**
 * The main-thread side of a measurement: starts N producer workers of one variant, holds them
 * at the start barrier until every one is ready, lets them go at once, and collects their
 * reports. See producer.ts for the worker side.
 */
import { Worker, type Transferable } from 'node:worker_threads';
import type { ProducerData, ProducerMessage, Workload } from './producer.js';

/** What a variant sets up in the main thread before its workers start (see variants/). */
export interface Sink {
  /** The variant's worker module (it calls runProducer). */
  readonly workerUrl: URL;
  /** `workerData.variant` for worker `id`, and what must be transferred with it (MessagePorts). */
  workerData(id: number): { data: unknown; transfer?: Transferable[] };
  /**
   * Called once every worker has reported 'done'. Resolves when every record is in the file and
   * the file is closed; resolves to the variant's own statistics, if it has any.
   */
  close(): Promise<unknown>;
}

type MessageOf<T extends ProducerMessage['type']> = Extract<ProducerMessage, { type: T }>;

export class Pool {
  readonly #workers: Worker[];
  readonly #go = new Int32Array(new SharedArrayBuffer(4));
  readonly #received = new Map<string, ProducerMessage[]>();
  readonly #waiters = new Set<() => void>();
  readonly #exits: Promise<void>[];
  #failure: Error | undefined;

  private constructor(sink: Sink, workers: number, workload: Workload) {
    this.#workers = Array.from({ length: workers }, (_, id) => {
      const { data, transfer = [] } = sink.workerData(id);
      const workerData: ProducerData = { id, go: this.#go, workload, variant: data };
      const worker = new Worker(sink.workerUrl, { workerData, transferList: transfer });
      worker.on('message', (message: ProducerMessage) => {
        const list = this.#received.get(message.type) ?? [];
        list.push(message);
        this.#received.set(message.type, list);
        this.#wake();
      });
      worker.on('error', (error) => this.#fail(new Error(`worker ${id} failed: ${error.stack ?? String(error)}`)));
      return worker;
    });
    this.#exits = this.#workers.map(
      (worker, id) =>
        new Promise<void>((resolve) =>
          worker.once('exit', (code) => {
            if (code !== 0) this.#fail(new Error(`worker ${id} exited with code ${code}`));
            resolve();
          }),
        ),
    );
  }

  /** Starts the workers and resolves once all of them wait at the barrier. */
  static async start(sink: Sink, workers: number, workload: Workload): Promise<Pool> {
    const pool = new Pool(sink, workers, workload);
    await pool.all('ready');
    return pool;
  }

  /** Releases every worker at once; returns the moment, in performance.now() milliseconds. */
  go(): number {
    const at = performance.now();
    Atomics.store(this.#go, 0, 1);
    Atomics.notify(this.#go, 0);
    return at;
  }

  /** Resolves with one message of `type` from every worker (rejects if a worker fails first). */
  all<T extends ProducerMessage['type']>(type: T): Promise<MessageOf<T>[]> {
    return this.#until(() => {
      const list = this.#received.get(type) ?? [];
      return list.length >= this.#workers.length ? (list as MessageOf<T>[]) : undefined;
    });
  }

  /** Resolves with the first message of `type` from any worker. */
  first<T extends ProducerMessage['type']>(type: T): Promise<MessageOf<T>> {
    return this.#until(() => this.#received.get(type)?.[0] as MessageOf<T> | undefined);
  }

  /** Resolves once every worker thread has ended. */
  async exited(): Promise<void> {
    await Promise.all(this.#exits);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Stops every worker now (a run that is abandoned). */
  async terminate(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #until<R>(ready: () => R | undefined): Promise<R> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.#failure !== undefined) {
          this.#waiters.delete(check);
          reject(this.#failure);
          return;
        }
        const result = ready();
        if (result === undefined) return;
        this.#waiters.delete(check);
        resolve(result);
      };
      this.#waiters.add(check);
      check();
    });
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake();
  }
}
