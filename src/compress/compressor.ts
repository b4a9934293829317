/**
 * Gzip of rotated files off the hot path. The consumer thread blocks in Atomics.wait and never
 * runs its event loop, so async zlib cannot run there, and gzipping a 50 MiB file synchronously
 * would stall the drain for a second. The work goes to a small thread of its own that has an
 * event loop (compressor-thread.ts); the consumer only posts a message, which costs microseconds
 * and reaches the other thread without the sender ever yielding.
 *
 * Who owns what:
 * - `Compressor` lives in the thread that creates it (the main thread, next to the backend). It
 *   owns the compressor thread, receives every outcome (`onCompressed`, `onError`), and closes it.
 * - `CompressorClient` lives in any other thread (the consumer thread). It wraps a MessagePort
 *   from `compressor.connect()` and can only `submit()`: post and return, never block, never
 *   throw for I/O. Outcomes go to the owner, not to the client.
 *
 * Wiring it into the backend (for the lead; nothing here is wired yet):
 *
 *   // main thread, createLogBackend(), when file.compress is on:
 *   const compressor = new Compressor({ level, onError: (path, error) => report(path, error) });
 *   const compressorPort = compressor.connect();
 *   new Worker(consumerUrl, { workerData: { buffer, options, compressorPort }, transferList: [compressorPort] });
 *
 *   // consumer thread (thread.ts): hand a client to the file sink
 *   const client = new CompressorClient(workerData.compressorPort);
 *   // file sink, after each rotation's rename and retention:  client.submit(rotatedPath)
 *
 *   // startup (main thread): files a crash or an exit left uncompressed
 *   for (const file of listRotatedFiles(path, pattern, fs)) if (!file.compressed) compressor.submit(file.paths[0]);
 *
 *   // backend.close(): first the consumer (it submits its last rotation before it exits),
 *   // then `await compressor.close(timeoutMs)`: every path submitted by then, from any thread,
 *   // is finished before the thread ends (close drains the client ports synchronously first).
 *
 *   // process exit without close(): the compressor thread is unref'd and dies with the
 *   // process; a file being compressed stays plain (the .gz.tmp is discarded) and the startup
 *   // pass above compresses it next time. `compressFileSync` exists for a caller that prefers
 *   // to compress in the 'exit' handler anyway, at the cost of a slower exit.
 *
 * The compressor thread does not keep the process alive (like the consumer thread): a program
 * whose work is done does not wait for a gzip. `close()` keeps it alive until it has finished.
 */
import { isAbsolute } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { compressorClosedError } from '../core/errors.js';
import { GZIP_LEVEL_DEFAULT, GZIP_LEVEL_MAX, GZIP_LEVEL_MIN } from '../core/limits.js';
import type { CompressResult } from './compress-file.js';

export { compressFileSync } from './compress-file.js';
export type { CompressResult } from './compress-file.js';

/** Messages to the compressor thread: from the owner on its parentPort, from clients on theirs. */
export type ToCompressor =
  | { readonly type: 'compress'; readonly path: string }
  | { readonly type: 'connect'; readonly port: MessagePort }
  | { readonly type: 'close' };

/** An error as it crosses threads (structured clone keeps message and stack, not `code`). */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
}

/** Messages from the compressor thread to the owner. */
export type FromCompressor =
  | ({ readonly type: 'done' } & CompressResult)
  | { readonly type: 'failed'; readonly path: string; readonly error: ErrorData };

export interface CompressorThreadData {
  readonly level: number;
}

export interface CompressorOptions {
  /** gzip level, 1 (fastest) to 9 (smallest). Default 6, gzip's own. */
  readonly level?: number;
  /** Called in the owner's thread after a file became `gzPath` and the original was removed. */
  readonly onCompressed?: (result: CompressResult) => void;
  /**
   * Called in the owner's thread when a file could not be compressed: the original stays as it
   * was (unless it vanished), and no .gz or .gz.tmp is left. `path` is undefined when the
   * compressor thread itself died. Default: one line on stderr.
   */
  readonly onError?: (path: string | undefined, error: Error) => void;
}

export interface CompressorStats {
  /** Files compressed, and their bytes before and after. */
  readonly compressed: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Files that could not be compressed (each reported to onError). */
  readonly failed: number;
}

export interface CompressorCloseResult extends CompressorStats {
  /** The work submitted did not finish within the timeout; the thread was terminated. */
  readonly timedOut: boolean;
}

type State = 'running' | 'closing' | 'closed';

export class Compressor {
  readonly #worker: Worker;
  readonly #onCompressed: (result: CompressResult) => void;
  readonly #onError: (path: string | undefined, error: Error) => void;
  readonly #exited: Promise<unknown>;
  #state: State = 'running';
  #closing: Promise<CompressorCloseResult> | undefined;
  #stats = { compressed: 0, bytesIn: 0, bytesOut: 0, failed: 0 };

  constructor(options: CompressorOptions = {}) {
    const level = options.level ?? GZIP_LEVEL_DEFAULT;
    if (!Number.isInteger(level) || level < GZIP_LEVEL_MIN || level > GZIP_LEVEL_MAX) {
      throw new RangeError(`ringlog: level must be an integer from ${GZIP_LEVEL_MIN} to ${GZIP_LEVEL_MAX}; received ${String(level)}`);
    }
    this.#onCompressed = options.onCompressed ?? (() => {});
    this.#onError = options.onError ?? reportOnStderr;
    const data: CompressorThreadData = { level };
    this.#worker = new Worker(new URL('./compressor-thread.js', import.meta.url), {
      workerData: data,
      name: 'ringlog-compressor',
      // As in backend.ts: flags for the main entry only (--input-type) make a worker fail.
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
    });
    this.#worker.on('message', (message: FromCompressor) => this.#received(message));
    // Not events.once(): it rejects on 'error', and a rejection nobody awaits would crash the app.
    this.#exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.on('error', (error) => this.#report(undefined, error));
    void this.#exited.then(() => {
      this.#state = 'closed';
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    this.#worker.unref();
  }

  get stats(): CompressorStats {
    return { ...this.#stats };
  }

  /** Queues `path` (absolute) for compression and returns at once. */
  submit(path: string): void {
    checkPath(path);
    if (this.#state !== 'running') {
      this.#report(path, compressorClosedError(`${path} was not compressed: the compressor is closed`));
      return;
    }
    this.#worker.postMessage({ type: 'compress', path } satisfies ToCompressor);
  }

  /**
   * A port for a CompressorClient in another thread. Transfer it (workerData + transferList, or
   * postMessage's transfer list); paths submitted through it count for close() like the owner's.
   */
  connect(): MessagePort {
    if (this.#state !== 'running') throw compressorClosedError('connect() on a closed compressor');
    const { port1, port2 } = new MessageChannel();
    this.#worker.postMessage({ type: 'connect', port: port1 } satisfies ToCompressor, [port1]);
    return port2;
  }

  /**
   * Finishes every path submitted before the call (from this thread or through any client
   * whose submit() happened before), then ends the thread. After `timeoutMs` the thread is
   * terminated: files not finished stay plain, and `timedOut` says so. Idempotent.
   */
  close(timeoutMs = 30_000): Promise<CompressorCloseResult> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`ringlog: timeoutMs must be a finite number >= 0; received ${String(timeoutMs)}`);
    }
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<CompressorCloseResult> {
    let timedOut = false;
    if (this.#state === 'running') {
      this.#state = 'closing';
      this.#worker.ref();
      this.#worker.postMessage({ type: 'close' } satisfies ToCompressor);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(resolve, timeoutMs, 'timeout');
      });
      if ((await Promise.race([this.#exited, timeout])) === 'timeout') {
        timedOut = true;
        await this.#worker.terminate();
      }
      clearTimeout(timer);
    }
    await this.#exited;
    return { ...this.#stats, timedOut };
  }

  #received(message: FromCompressor): void {
    if (message.type === 'done') {
      this.#stats.compressed++;
      this.#stats.bytesIn += message.bytesIn;
      this.#stats.bytesOut += message.bytesOut;
      const { path, gzPath, bytesIn, bytesOut } = message;
      try {
        this.#onCompressed({ path, gzPath, bytesIn, bytesOut });
      } catch (error) {
        this.#report(path, error as Error);
      }
    } else {
      this.#stats.failed++;
      this.#report(message.path, toError(message.error));
    }
  }

  #report(path: string | undefined, error: Error): void {
    try {
      this.#onError(path, error);
    } catch {
      // A throwing onError must not break the compressor; the error it was told of is lost.
    }
  }
}

/** The submitting side, for a thread that only has a port from `Compressor#connect()`. */
export class CompressorClient {
  readonly #port: MessagePort;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  /**
   * Queues `path` (absolute) and returns at once, from any thread, blocked or not. A path posted
   * after the compressor closed is dropped without notice: closing comes after the consumer.
   */
  submit(path: string): void {
    checkPath(path);
    this.#port.postMessage({ type: 'compress', path } satisfies ToCompressor);
  }

  /** Lets go of the port; paths submitted before are still compressed. */
  close(): void {
    this.#port.close();
  }
}

/** Wraps an error for postMessage. */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack };
  }
  return { name: 'Error', message: String(error), code: undefined, stack: undefined };
}

function toError(data: ErrorData): Error {
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) (error as NodeJS.ErrnoException).code = data.code;
  return error;
}

function checkPath(path: unknown): void {
  if (typeof path !== 'string' || !isAbsolute(path)) {
    throw new TypeError(`ringlog: the path to compress must be absolute; received ${JSON.stringify(path)}`);
  }
}

function reportOnStderr(path: string | undefined, error: Error): void {
  const what = path === undefined ? 'the compressor thread failed' : `could not compress ${path}`;
  process.stderr.write(`ringlog: ${what}: ${error.message}\n`);
}
