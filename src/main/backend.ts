/**
 * The backend ties the pieces together in the main thread: it allocates the shared buffer once,
 * starts the consumer thread, hands out the handle and loggers, and owns the lifecycle
 * (running -> closing -> closed, kept in the STATE slot so that every thread sees it).
 *
 * It is also where failures surface to the app, as events on the backend (an EventEmitter):
 * 'error' when writing fails (once per failure episode), when the consumer thread dies, or when
 * close() times out; 'recover' when writing works again. Without an 'error' listener nothing is
 * thrown: the one line on stderr is all. And it keeps a consumer running: a consumer thread that
 * dies abruptly is restarted, and when that does not help, the main thread drains what is left
 * and closes the backend (see "Consumer death" in docs/ring.md).
 */
import { EventEmitter, once } from 'node:events';
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { isConfigSource, resolveConfigFile } from '../config/config-file.js';
import { Compressor } from '../compress/compressor.js';
import { drainOnExit, shutDown } from '../consumer/consumer.js';
import { countFormatFailures, loadFormatterModules, type LoadedModules } from '../consumer/formats.js';
import { renderProcessKeys } from '../line/json-format.js';
import { namesKeys, type ResolvedTextFormat } from '../line/text-format.js';
import { openRouter, processContext } from '../consumer/open-router.js';
import { HEALTHY_AFTER_MS, type ConsumerCrash } from '../consumer/supervisor.js';
import type { ConsumerData } from '../consumer/thread.js';
import type { ErrorInfo, FailureEvent, Operation } from '../core/episode.js';
import { describeEvent, type SinkMonitor } from '../consumer/sink/write-failure.js';
import { checkName } from '../core/checks.js';
import { backendError, ErrorCode, type BackendErrorCode } from '../core/errors.js';
import { resolveOptions, type BackendOptions, type ResolvedOptions } from '../config/options.js';
import type { LogHandle } from '../producer/handle.js';
import { connect, type Logger } from '../producer/logger.js';
import { Producer } from '../producer/producer.js';
import { allocateShared, LaneKind, LAYOUT_VERSION, Slot, Stat, State, viewShared, type SharedViews } from '../ring/layout.js';
import { lanesOf, type Lane, type Lanes } from '../ring/lanes.js';
import { namesRoute } from '../core/routes.js';
import { drainOnSignals } from './signals.js';
import { allocateOutboxes, Forwarding } from './forwarding.js';
import { markClosing, OutboxCounter, viewOutbox } from '../forward/outbox.js';

/** How long the exiting main thread waits for the consumer thread to finish a batch. */
const EXIT_DRAIN_TIMEOUT_MS = 5000;
/** How long a drain on the main thread (exit, signal, fallback) retries a failing disk. */
const MAIN_DRAIN_RETRY_MS = 1000;
/**
 * Waits before restarting a consumer thread that died abruptly: 100 ms, 1 s, 5 s. After the third
 * restart in a row (a minute of health resets the count), the main thread drains and closes.
 */
const THREAD_RESTART_DELAYS_MS: readonly number[] = [100, 1000, 5000];

export interface BackendStats {
  /**
   * Lines handed to the OS, summed over the sinks: a record written to three sinks counts three
   * times (with one sink, a line is a record). ringlog's own notices included.
   */
  readonly recordsWritten: number;
  /** Bytes handed to the OS. */
  readonly bytesWritten: number;
  /** All records that were not written: the sum of the five below. */
  readonly recordsDropped: number;
  /** Dropped because the ring was full: with `onFull: 'drop'`, or when the consumer stopped showing signs of life. */
  readonly droppedFull: number;
  /** Log calls made after the backend closed. */
  readonly droppedClosed: number;
  /** Records larger than `maxRecordSize`, written as a short notice instead. */
  readonly oversized: number;
  /** Records skipped because their producer died between claiming and committing them. */
  readonly abandoned: number;
  /**
   * Records rendered but never written: the disk kept failing past the retries, or the consumer
   * died holding them. Counted per sink, as recordsWritten.
   */
  readonly writeFailed: number;
  /** Records that could not be rendered (a bug in ringlog if it is ever not 0). */
  readonly recordsFailed: number;
  /**
   * Records a custom formatter (`type: 'module'`) failed on: it threw, or returned no string.
   * They are written anyway, as JSON lines, and so also counted in recordsWritten.
   */
  readonly formatFailed: number;
  /** File rotations done. */
  readonly rotations: number;
  /** Forwarding process: lines the aggregator acknowledged (written to its files). */
  readonly forwarded: number;
  /** Forwarding process: lines put in the spill file while the aggregator was away (replayed later). */
  readonly spilled: number;
  /** Forwarding process: lines dropped because the spill file was full (also in recordsDropped). */
  readonly forwardDropped: number;
  /** Aggregator: lines received from forwarding processes. */
  readonly received: number;
  /** Aggregator: batches received twice (an acknowledgement was lost) and written once. */
  readonly duplicates: number;
  /**
   * Aggregator: batches replayed by a sender whose session this aggregator did not know, which
   * an earlier aggregator may have written before it died unacknowledged: possible duplicates.
   */
  readonly maybeDuplicated: number;
  /** Syslog sinks: messages handed to the collectors' sockets. */
  readonly syslogSent: number;
  /**
   * Syslog sinks: messages a broken connection may have taken with it (plain syslog has no
   * acknowledgement: an upper bound of what was lost), and those dropped at close with the
   * collector away. Not in recordsDropped, which counts only certain losses.
   */
  readonly syslogLost: number;
  /** Syslog sinks: messages over maxMessageSize, sent as a short notice instead. */
  readonly syslogOversized: number;
  /** OTLP sinks: log records the collectors took. */
  readonly otlpSent: number;
  /**
   * OTLP sinks: log records the collectors rejected (partial success), answered with a status
   * that is not retried (400 ...), or dropped at close with the collector away.
   */
  readonly otlpLost: number;
  /**
   * Bytes of the ring claimed and not yet drained, as of the call: a gauge, not a counter. Beside
   * `bufferSize` it says how full the ring runs (a ring often near full makes producers wait or,
   * with onFull 'drop', drop: a larger bufferSize absorbs longer bursts).
   */
  readonly bufferUsed: number;
}

/** What the backend's 'error' event carries. */
export interface BackendError extends Error {
  readonly code: BackendErrorCode;
  /** For ERR_RINGLOG_WRITE: what failed. */
  readonly operation?: Operation;
  /** For ERR_RINGLOG_WRITE: the file path, or 'stdout (fd 1)'; for ERR_RINGLOG_COMPRESS, the file that stays plain. */
  readonly target?: string;
  /** The underlying error, with its `code` (ENOSPC, EIO, EACCES ...) and `syscall`. */
  readonly cause?: unknown;
}

/** What the backend's 'recover' event carries: writing works again after a failure episode. */
export interface RecoverInfo {
  readonly operation: Operation;
  readonly target: string;
  /** Records given up on during the episode (also counted in stats().writeFailed). */
  readonly recordsLost: number;
  readonly durationMs: number;
}

export interface BackendEvents {
  error: [error: BackendError];
  recover: [info: RecoverInfo];
  /**
   * The backend stopped writing for good: after close(), or on its own once it gave up on a
   * consumer thread that kept failing (the main thread then wrote what was left in the ring).
   * Later log calls are counted in droppedClosed. Emitted once.
   */
  close: [];
}

export interface LogBackend extends EventEmitter<BackendEvents> {
  /** Pass to workers (workerData or postMessage); they call `connect(handle)`. */
  readonly handle: LogHandle;
  /** Ring capacity in bytes, as configured. */
  readonly bufferSize: number;
  /** A logger for this thread, writing into the same ring as the workers. */
  logger(name?: string): Logger;
  /** Resolves once every record committed before the call has been handed to the OS (or counted as lost). */
  flush(): Promise<void>;
  /** Drains, writes, closes files and stops the consumer thread. Idempotent; resolves within about `closeTimeoutMs`. */
  close(): Promise<BackendStats>;
  stats(): BackendStats;
}

/**
 * Starts a backend from options, or from the path (or file: URL) of a JSON file holding them.
 * Rejects with an option error (`code: 'ERR_RINGLOG_OPTION'`) for invalid options or a custom
 * formatter that does not load, and with the fs error's message when a file cannot be opened.
 */
export async function createLogBackend(options?: BackendOptions | string | URL): Promise<LogBackend> {
  const resolved = isConfigSource(options) ? await resolveConfigFile(options) : resolveOptions(options);
  // Custom formatters are loaded here too, for the drains the main thread does itself (exit,
  // signals), and first, so that one that does not load rejects with its own error as thrown.
  const modules = await loadFormatterModules(resolved.formats);
  const buffer = allocateShared(resolved.bufferBytes, resolved.lanes, laneKindFor(resolved));
  const outboxes = allocateOutboxes(resolved);
  let backend: Backend | undefined;
  const compressor = startCompressor(resolved, (error) => {
    if (backend !== undefined && backend.listenerCount('error') > 0) backend.emit('error', error);
  });
  let started: Started | undefined;
  let forwarding: Forwarding | undefined;
  try {
    started = await startConsumer(buffer, resolved, false, compressor, outboxes);
    forwarding = await Forwarding.start(resolved, buffer, outboxes, {
      sender: (event) => backend?.onForwardEvent(event),
      peer: (event) => backend?.onPeerEvent(event.message),
    });
    backend = new Backend(resolved, modules, buffer, started, compressor, outboxes, forwarding);
  } catch (error) {
    void compressor?.close(0);
    if (started !== undefined) {
      Atomics.store(viewShared(buffer).control, Slot.STATE, State.CLOSED);
      void started.worker.terminate();
    }
    throw error;
  }
  return backend;
}

/**
 * The thread that gzips rotated files (file.rotate.compress), owned here: every consumer thread
 * gets a port to it, and close() lets it finish after the last one. A failure leaves the file
 * plain (the next start posts it again) and is reported as ERR_RINGLOG_COMPRESS.
 */
function startCompressor(options: ResolvedOptions, report: (error: BackendError) => void): Compressor | undefined {
  // One thread, one level: the first file sink that compresses sets it for all of them.
  const level = options.sinks.map((sink) => sink.file?.rotate?.compressLevel).find((each) => each !== undefined);
  if (level === undefined) return undefined;
  return new Compressor({
    level,
    onError(path, error) {
      // Gone before its turn: retention deleted it, or it was compressed already.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      const message =
        path === undefined ? `ringlog: the compressor thread failed: ${error.message}` : `ringlog: could not compress ${path}: ${error.message}`;
      writeStderr(message);
      report(backendError(ErrorCode.COMPRESS, message, path === undefined ? { cause: error } : { target: path, cause: error }));
    },
  });
}

interface Started {
  readonly worker: Worker;
  /**
   * Routes the thread's messages after 'ready' to `handler`, including those that arrived before
   * it was set. (One listener for the worker's life: removing and re-adding 'message' listeners
   * would ref the worker again, and an idle consumer must not keep the process alive.)
   */
  listen(handler: (message: unknown) => void): void;
}

async function startConsumer(
  buffer: SharedArrayBuffer,
  options: ResolvedOptions,
  restart: boolean,
  compressor: Compressor | undefined,
  outboxes: readonly (SharedArrayBuffer | undefined)[],
): Promise<Started> {
  const compressorPort = compressor?.connect();
  const data: ConsumerData = { buffer, options, restart, compressorPort, outboxes };
  const worker = new Worker(new URL('../consumer/thread.js', import.meta.url), {
    workerData: data,
    transferList: compressorPort === undefined ? [] : [compressorPort],
    name: 'ringlog-consumer',
    // Flags such as --input-type (from `node --input-type=module -e ...`) apply to the main
    // entry only; inherited by a worker loading a file, they make its start fail.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
  });
  const early: unknown[] = [];
  let handler: ((message: unknown) => void) | undefined;
  let ready = false;
  worker.on('message', (message: unknown) => {
    if (!ready) ready = message === 'ready';
    else if (handler === undefined) early.push(message);
    else handler(message);
  });
  const [message] = (await once(worker, 'message')) as [unknown];
  if (message !== 'ready') throw new Error(`ringlog: the consumer thread did not start (${String(message)})`);
  // The consumer must not keep the process alive: at the end of the event loop, the exit
  // handler drains what is left.
  worker.unref();
  return {
    worker,
    listen(to) {
      handler = to;
      for (const queued of early.splice(0)) to(queued);
    },
  };
}

function writeStderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nowhere left to say it.
  }
}


/** An fs error rebuilt from its plain-data form (postMessage keeps an Error's message, not its code). */
function rebuildError(info: ErrorInfo): Error {
  const error = Object.assign(new Error(info.message), { code: info.code, syscall: info.syscall, path: info.path });
  if (info.stack !== undefined) error.stack = info.stack;
  return error;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** The handle of a backend of `options` over `buffer`: what its producers are told. */
export function handleFor(options: ResolvedOptions, buffer: SharedArrayBuffer): LogHandle {
  // Text lines only in line lanes: in record lanes the consumer renders them.
  const text = viewShared(buffer).lineLanes ? textLinesOf(options) : undefined;
  return Object.freeze({
    ringlog: LAYOUT_VERSION,
    buffer,
    level: options.level,
    onFull: options.onFull,
    maxRecordSize: options.maxRecordBytes,
    routes: options.routes,
    ...(writesJsonLines(options) ? { lines: renderProcessKeys(processContext()) } : {}),
    ...(text === undefined ? {} : { text: { format: text, context: processContext() } }),
    ...(options.redact === undefined ? {} : { redact: options.redact }),
  });
}

/**
 * What the lanes carry (ring/layout.ts LaneKind). Line lanes (ring/line-lane.ts) when a line is
 * all the sink wants of a record: producers write JSON lines (writesJsonLines) or text lines
 * (textLinesOf), into one sink that takes them as they are (a file, stdout or stderr: not a
 * forward sink, whose outbox entries hold lines apart); an aggregator's receiver appends what
 * other processes forward to them too. One sink, so that every line is written, or counted as
 * lost, once: with two, a consumer that dies between their writes would leave the second's copy
 * uncounted. Otherwise record lanes (ring/ring.ts).
 */
export function laneKindFor(options: ResolvedOptions): number {
  return (oneLineSink(options) && writesJsonLines(options)) || textLinesOf(options) !== undefined ? LaneKind.LINES : LaneKind.RECORDS;
}

/**
 * One sink that takes lines as they are (a file, stdout or stderr). An aggregator (`listen`)
 * qualifies: the lines other processes forward are written as they came in either kind of lane,
 * and its receiver appends them to a line lane as one run per batch (forward/receiver.ts).
 */
function oneLineSink(options: ResolvedOptions): boolean {
  const [sink, ...others] = options.sinks;
  return others.length === 0 && (sink?.kind === 'file' || sink?.kind === 'stdout' || sink?.kind === 'stderr');
}

/**
 * The text format producers render (handle.text) when line lanes carry text lines: the one
 * sink writes text (text-format.ts), names route nothing, and producers can write most calls'
 * lines from their values (producer/text-line.ts): the template names no keys and nothing is
 * redacted. Otherwise the consumer renders text from records, with its byte renderer
 * (text-bytes.ts), which producers do not load. A text line never starts with a tab, and only
 * its continuation lines (an error's stack) do: the sinks tell records apart so (fd-writer.ts,
 * countLines).
 */
function textLinesOf(options: ResolvedOptions): ResolvedTextFormat | undefined {
  if (!oneLineSink(options) || namesRoute(options.routes) || options.redact !== undefined) return undefined;
  const format = options.formats[options.sinks[0]!.format];
  return format?.type === 'text' && !namesKeys(format.text) ? format.text : undefined;
}

/**
 * Whether producers write the lines (handle.lines): every sink writes pino's JSON line, and
 * names route nothing, so one line serves every sink a record reaches.
 */
function writesJsonLines(options: ResolvedOptions): boolean {
  return options.sinks.every((sink) => options.formats[sink.format]?.type === 'json') && !namesRoute(options.routes);
}

class Backend extends EventEmitter<BackendEvents> implements LogBackend {
  readonly handle: LogHandle;
  readonly bufferSize: number;
  readonly #options: ResolvedOptions;
  readonly #modules: LoadedModules;
  readonly #buffer: SharedArrayBuffer;
  readonly #views: SharedViews;
  /** For stats().bufferUsed. */
  readonly #lanes: Lanes<Lane>;
  readonly #compressor: Compressor | undefined;
  readonly #outboxes: readonly (SharedArrayBuffer | undefined)[];
  readonly #forwarding: Forwarding | undefined;
  #worker: Worker | undefined;
  #closing: Promise<BackendStats> | undefined;
  /** Resolves once the backend is closed and no consumer thread runs any more. */
  readonly #done: Promise<void>;
  #resolveDone!: () => void;
  /** The consumer thread said it gives up (it crashed too often): do not restart it. */
  #gaveUp = false;
  #lastError: Error | undefined;
  #restarts = 0;
  #lastRestartAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #stopSignals: () => void;
  readonly #onExit = (): void => this.#drainHere('exit');
  /** For drains on this thread: failures go to stderr and to the 'error' event at once. */
  readonly #monitor: SinkMonitor = {
    report: (event) => {
      writeStderr(describeEvent(event));
      this.#onFailureEvent(event);
    },
    sleep: (ms) => void Atomics.wait(sleepCell, 0, 0, ms),
    writing: (lines) => Atomics.store(this.#views.control, Slot.IN_FLIGHT, lines),
  };

  constructor(
    options: ResolvedOptions,
    modules: LoadedModules,
    buffer: SharedArrayBuffer,
    started: Started,
    compressor: Compressor | undefined,
    outboxes: readonly (SharedArrayBuffer | undefined)[],
    forwarding: Forwarding | undefined,
  ) {
    super();
    this.#options = options;
    this.#outboxes = outboxes;
    this.#forwarding = forwarding;
    this.#modules = modules;
    this.#compressor = compressor;
    this.#buffer = buffer;
    this.#views = viewShared(buffer);
    this.#lanes = lanesOf(this.#views);
    this.bufferSize = options.bufferBytes;
    this.handle = handleFor(options, buffer);
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    void this.#done.then(() => this.emit('close'));
    this.#adopt(started);
    process.on('exit', this.#onExit);
    this.#stopSignals = drainOnSignals(() => this.#drainHere('signal'));
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
    const writeFailed = Number(Atomics.load(stats, Stat.WRITE_FAILED));
    const forwardDropped = Number(Atomics.load(stats, Stat.FORWARD_DROPPED));
    return {
      recordsWritten: Number(Atomics.load(stats, Stat.RECORDS_WRITTEN)),
      bytesWritten: Number(Atomics.load(stats, Stat.BYTES_WRITTEN)),
      recordsDropped: droppedFull + droppedClosed + oversized + abandoned + writeFailed + forwardDropped,
      droppedFull,
      droppedClosed,
      oversized,
      abandoned,
      writeFailed,
      recordsFailed: Number(Atomics.load(stats, Stat.RECORDS_FAILED)),
      formatFailed: Number(Atomics.load(stats, Stat.FORMAT_FAILED)),
      rotations: Number(Atomics.load(stats, Stat.ROTATIONS)),
      forwarded: Number(Atomics.load(stats, Stat.FORWARDED)),
      spilled: Number(Atomics.load(stats, Stat.SPILLED)),
      forwardDropped,
      received: Number(Atomics.load(stats, Stat.RECEIVED)),
      duplicates: Number(Atomics.load(stats, Stat.DUPLICATES)),
      maybeDuplicated: Number(Atomics.load(stats, Stat.MAYBE_DUPLICATED)),
      syslogSent: this.#sinkCount('syslog', OutboxCounter.SENT),
      syslogLost: this.#sinkCount('syslog', OutboxCounter.LOST),
      syslogOversized: this.#sinkCount('syslog', OutboxCounter.OVERSIZED),
      otlpSent: this.#sinkCount('otlp', OutboxCounter.SENT),
      otlpLost: this.#sinkCount('otlp', OutboxCounter.LOST),
      bufferUsed: this.#lanes.used(),
    };
  }

  /** A counter of the outboxes of the sinks of one kind, summed. */
  #sinkCount(kind: 'syslog' | 'otlp', counter: number): number {
    let sum = 0;
    this.#options.sinks.forEach((sink, index) => {
      const outbox = this.#outboxes[index];
      if (sink.kind === kind && outbox !== undefined) sum += Number(Atomics.load(viewOutbox(outbox).counters, counter));
    });
    return sum;
  }

  /** A sender thread's event: its stderr line is written here, then it is a sink event like a disk's. */
  onForwardEvent(event: FailureEvent): void {
    writeStderr(describeEvent(event));
    this.#onFailureEvent(event);
  }

  /** The receiver disconnected a peer that broke the protocol. */
  onPeerEvent(message: string): void {
    writeStderr(message);
    this.#emitError(backendError(ErrorCode.PEER, message));
  }

  async #close(): Promise<BackendStats> {
    const { control } = this.#views;
    const startedAt = Date.now();
    // An aggregator stops taking batches first: what it took goes into the ring, to be written.
    await this.#forwarding?.stopReceiving();
    Atomics.compareExchange(control, Slot.STATE, State.RUNNING, State.CLOSING);
    this.#lanes.wakeConsumer();
    // Keep the process alive until the consumer has written everything and closed the files.
    this.#worker?.ref();
    this.#restartTimer?.ref();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.#done.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#options.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.#abandonClose();
    // The forward sinks are closed: their senders spill what the aggregator has not taken.
    await this.#forwarding?.close();
    // No consumer posts any more: the compressor finishes what it has, in what is left of the time.
    await this.#compressor?.close(Math.max(0, this.#options.closeTimeoutMs - (Date.now() - startedAt)));
    process.off('exit', this.#onExit);
    this.#stopSignals();
    return this.stats();
  }

  /**
   * close() waited closeTimeoutMs for a consumer that did not finish (a write hung in the
   * kernel, say): stop waiting, count what it had not written, and let it go.
   */
  #abandonClose(): void {
    const { control, stats } = this.#views;
    const lanes = this.#lanes;
    const left = lanes.committedRecords() + Atomics.exchange(control, Slot.IN_FLIGHT, 0);
    shutDown(lanes, control);
    Atomics.add(stats, Stat.WRITE_FAILED, BigInt(left));
    const message = `ringlog: close() gave up after ${this.#options.closeTimeoutMs} ms: the consumer did not finish writing; ${left} records were not written`;
    writeStderr(message);
    this.#emitError(backendError(ErrorCode.CLOSE_TIMEOUT, message));
    const worker = this.#worker;
    if (worker !== undefined) {
      worker.unref();
      worker.terminate().catch(() => {});
    }
    clearTimeout(this.#restartTimer);
    this.#resolveDone();
  }

  #adopt({ worker, listen }: Started): void {
    this.#worker = worker;
    if (this.#closing !== undefined) worker.ref();
    // A worker's 'error' without a listener would be thrown in this thread: keep one.
    worker.on('error', (error) => {
      this.#lastError = error;
    });
    worker.once('exit', (code) => this.#onWorkerExit(worker, code));
    listen((message) => this.#onMessage(message));
  }

  #onMessage(message: unknown): void {
    const event = message as FailureEvent | ConsumerCrash;
    switch (event?.type) {
      case 'failed':
      case 'recovered':
        this.#onFailureEvent(event);
        return;
      case 'crashed':
        if (!event.restarting) this.#gaveUp = true;
        this.#emitError(
          backendError(ErrorCode.CONSUMER, `ringlog: the consumer thread failed: ${event.error.message}`, {
            cause: rebuildError(event.error),
          }),
        );
        return;
      default:
    }
  }

  #onFailureEvent(event: FailureEvent): void {
    if (event.type === 'recovered') {
      const { operation, target, recordsLost, durationMs } = event;
      this.emit('recover', { operation, target, recordsLost, durationMs });
      return;
    }
    this.#emitError(
      backendError(ErrorCode.WRITE, describeEvent(event), {
        operation: event.operation,
        target: event.target,
        cause: rebuildError(event.error),
      }),
    );
  }

  /** 'error' without a listener would throw into the app: then the stderr line is all. */
  #emitError(error: BackendError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** The consumer thread ended. Fine when the backend is closed; otherwise restart or take over. */
  #onWorkerExit(worker: Worker, code: number): void {
    if (this.#worker === worker) this.#worker = undefined;
    this.#consumerGone(`exit code ${code}`);
  }

  #consumerGone(exit: string): void {
    const { control, stats } = this.#views;
    if (Atomics.load(control, Slot.STATE) === State.CLOSED) {
      this.#resolveDone();
      return;
    }
    // The thread is gone: a lock it held is free, and a batch it had taken out of the ring and
    // not written is lost (a thread that crashed inside a catch has salvaged it already).
    Atomics.store(control, Slot.DRAIN_LOCK, 0);
    if (this.#lanes.unwritten()) {
      Atomics.add(stats, Stat.WRITE_FAILED, BigInt(Atomics.exchange(control, Slot.IN_FLIGHT, 0)));
      this.#lanes.markAllWritten();
    }
    if (Date.now() - this.#lastRestartAt >= HEALTHY_AFTER_MS) this.#restarts = 0;
    const delay = this.#gaveUp ? undefined : THREAD_RESTART_DELAYS_MS[this.#restarts];
    if (!this.#gaveUp) {
      const why = this.#lastError?.message ?? exit;
      const then =
        delay === undefined
          ? 'the main thread writes what is left in the ring and closes the backend'
          : `restarting it in ${delay} ms (restart ${this.#restarts + 1} of ${THREAD_RESTART_DELAYS_MS.length})`;
      const message = `ringlog: the consumer thread died (${why}); ${then}`;
      writeStderr(message);
      this.#emitError(
        backendError(ErrorCode.CONSUMER, message, this.#lastError === undefined ? {} : { cause: this.#lastError }),
      );
    }
    this.#lastError = undefined;
    if (delay === undefined) {
      this.#takeOver();
      return;
    }
    this.#restarts++;
    this.#lastRestartAt = Date.now();
    this.#restartTimer = setTimeout(() => void this.#restart(), delay);
    if (this.#closing === undefined) this.#restartTimer.unref();
  }

  async #restart(): Promise<void> {
    this.#restartTimer = undefined;
    const { control } = this.#views;
    if (Atomics.load(control, Slot.STATE) === State.CLOSED) return;
    let started: Started;
    try {
      started = await startConsumer(this.#buffer, this.#options, true, this.#compressor, this.#outboxes);
    } catch (error) {
      // It died starting: the same as dying later.
      this.#lastError = error instanceof Error ? error : new Error(String(error));
      this.#consumerGone('it did not start');
      return;
    }
    if (Atomics.load(control, Slot.STATE) === State.CLOSED) {
      void started.worker.terminate();
      return;
    }
    this.#adopt(started);
    this.#lanes.wakeConsumer();
  }

  /** No consumer thread will run again: the main thread writes what is left and closes. */
  #takeOver(): void {
    const { control } = this.#views;
    Atomics.compareExchange(control, Slot.STATE, State.RUNNING, State.CLOSING);
    this.#drainHere('take over');
    this.#resolveDone();
  }

  /**
   * Drains on this thread, synchronously: at process exit, on a signal, or taking over from a
   * consumer that cannot be kept running. Bounded: it waits for the consumer thread's batch at
   * most EXIT_DRAIN_TIMEOUT_MS and retries a failing disk at most MAIN_DRAIN_RETRY_MS.
   */
  #drainHere(why: 'exit' | 'signal' | 'take over'): void {
    const { control } = this.#views;
    if (Atomics.load(control, Slot.STATE) === State.CLOSED) return;
    Atomics.compareExchange(control, Slot.STATE, State.RUNNING, State.CLOSING);
    // No consumer thread: nobody else can hold the lock.
    if (this.#worker === undefined) Atomics.store(control, Slot.DRAIN_LOCK, 0);
    // The senders deliver what they have now, or spill it at once if the aggregator is away:
    // the process will not wait spill.afterMs.
    for (const outbox of this.#outboxes) if (outbox !== undefined) markClosing(viewOutbox(outbox).control);
    let drained: boolean;
    try {
      const open = () =>
        openRouter(this.#options, {
          monitor: this.#monitor,
          lazyOpen: true,
          modules: this.#modules,
          onFormatFailure: countFormatFailures(this.#views.stats, writeStderr),
          outboxes: this.#outboxes,
        });
      drained = drainOnExit(this.#views, open, EXIT_DRAIN_TIMEOUT_MS, MAIN_DRAIN_RETRY_MS);
    } catch (error) {
      // A bug; the app must still end, or go on, unharmed.
      shutDown(this.#lanes, control);
      writeStderr(`ringlog: draining the ring on the main thread (${why}) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return;
    }
    if (!drained) {
      writeStderr(
        `ringlog: records still in the ring at ${why} were not written: the consumer thread did not finish its write within ${EXIT_DRAIN_TIMEOUT_MS} ms`,
      );
    }
  }
}
