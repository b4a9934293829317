/**
 * Opens the configured sinks and puts them behind a Router with their formats: what a drainer
 * (the consumer thread, or the main thread at exit) writes through.
 */
import { hostname } from 'node:os';
import type { RouteTable } from '../core/routes.js';
import type { ResolvedRotate } from './sink/file-sink.js';
import type { ResolvedFormat } from './formats.js';
import { createFileSink, type CompressorPort, type FsPort } from './sink/file-sink.js';
import { createLineFormats, type FormatFailure, type LoadedModules } from './formats.js';
import type { JsonFormatContext } from '../line/json-format.js';
import { Router } from './router.js';
import type { Sink } from './sink/sink.js';
import { createStdoutSink } from './sink/stdout-sink.js';
import type { SinkMonitor } from './sink/write-failure.js';
import { createForwardSink } from './sink/forward-sink.js';
import type { ResolvedForward } from '../forward/sender.js';
import type { ResolvedSyslogTarget } from '../forward/stream-sender.js';
import type { ResolvedOtlpTarget } from '../forward/http-sender.js';
import { OutboxCounter, viewOutbox } from '../forward/outbox.js';

/**
 * What the consumer side is built from, in the consumer thread and in the main thread's exit
 * drain: config/options.ts resolves the user's options into it (its ResolvedOptions extends
 * this), and it crosses to the consumer thread as plain data.
 */
export interface ConsumerOptions {
  /** The formatters the sinks use, each once. */
  readonly formats: readonly ResolvedFormat[];
  /** At least one. */
  readonly sinks: readonly ResolvedSink[];
  /** Which sinks a logger's records reach (core/routes.ts). */
  readonly routes: RouteTable;
  /** close()'s budget; the consumer gives a stuck write half of it. */
  readonly closeTimeoutMs: number;
}

export interface ResolvedFileOptions {
  /** Absolute path. */
  readonly path: string;
  /** Rotation threshold in bytes, or undefined to never rotate. */
  readonly maxFileBytes: number | undefined;
  readonly maxFiles: number;
  /** undefined: never fsync; 0: after every batch; N: at most every N ms, and when idle. */
  readonly fsyncMs: number | undefined;
  /** From `rotate` (or `file.rotate`); when given, it replaces maxFileBytes and maxFiles. */
  readonly rotate?: ResolvedRotate | undefined;
  /** Permission bits of the live, rotated and gzipped files; undefined: the umask's. */
  readonly mode?: number | undefined;
  /** Permission bits of the directories the sink creates; undefined: the umask's. */
  readonly dirMode?: number | undefined;
  /** Refuse a symlink at the path (O_NOFOLLOW). */
  readonly noFollow?: boolean | undefined;
}

export interface ResolvedSink {
  readonly name: string;
  readonly kind: 'stdout' | 'stderr' | 'file' | 'forward' | 'syslog' | 'otlp';
  /** For kind 'file'. */
  readonly file: ResolvedFileOptions | undefined;
  /** For kind 'forward'. */
  readonly forward?: ResolvedForward | undefined;
  /** For kind 'syslog': where its sender thread sends (its format says how messages look). */
  readonly syslog?: ResolvedSyslogTarget | undefined;
  /** For kind 'otlp': where its sender thread exports. */
  readonly otlp?: ResolvedOtlpTarget | undefined;
  /** The sink's minimum level number (0: every level). */
  readonly level: number;
  /** Loggers it is attached to; empty for a root sink. */
  readonly loggers: readonly string[];
  /** The formatter's name, for messages. */
  readonly formatter: string;
  /** Index of its formatter in `ResolvedOutputs.formats`. */
  readonly format: number;
}

export interface OpenSinkOptions {
  /** With a monitor, sinks retry, drop and count instead of throwing (write-failure.ts). */
  readonly monitor?: SinkMonitor | undefined;
  /**
   * A file that cannot be opened now is tried again at the first write instead of throwing:
   * every drainer but the first consumer thread, whose failure rejects createLogBackend.
   */
  readonly lazyOpen?: boolean;
  /** Another file system (tests inject faults through it). */
  readonly fs?: FsPort | undefined;
  /** Wraps each sink (tests inject faults with it). */
  readonly wrap?: (sink: Sink) => Sink;
  /** Where rotated files go to be gzipped (rotate.compress); without it they stay plain. */
  readonly compressor?: CompressorPort | undefined;
  /** Per sink index, the outbox of a network sink (the backend allocates them, forward/outbox.ts). */
  readonly outboxes?: readonly (SharedArrayBuffer | undefined)[] | undefined;
}

export interface OpenRouterOptions extends OpenSinkOptions {
  readonly modules: LoadedModules;
  readonly onFormatFailure: FormatFailure;
}

/** What every line says of the process, in every thread that renders or writes lines. */
export function processContext(): JsonFormatContext {
  return { pid: process.pid, hostname: hostname() };
}

/** The sinks and formats of `options`, behind a Router. */
export function openRouter(options: ConsumerOptions, how: OpenRouterOptions): Router {
  const context = processContext();
  const formats = createLineFormats(options.formats, how.modules, context, how.onFormatFailure, countOversized(options.sinks, how.outboxes));
  return new Router(options.routes, openSinks(options.sinks, how), formats, options.sinks.map((sink) => sink.format));
}

/** A syslog sink's oversized messages are counted in its outbox (its format is its own). */
function countOversized(sinks: readonly ResolvedSink[], outboxes: OpenSinkOptions['outboxes']): (format: number) => void {
  return (format) => {
    const index = sinks.findIndex((sink) => sink.kind === 'syslog' && sink.format === format);
    const outbox = outboxes?.[index];
    if (outbox !== undefined) Atomics.add(viewOutbox(outbox).counters, OutboxCounter.OVERSIZED, 1n);
  };
}

/**
 * Opens every sink, in order. When one cannot be opened (without `lazyOpen`), those already
 * open are closed and the error names the sink's path.
 */
export function openSinks(specs: readonly ResolvedSink[], how: OpenSinkOptions = {}): Sink[] {
  const sinks: Sink[] = [];
  const { monitor, wrap = (sink: Sink) => sink } = how;
  for (const spec of specs) {
    const index = sinks.length;
    const own = monitor === undefined || specs.length === 1 ? monitor : withLaterLines(monitor, sinks, index);
    try {
      sinks.push(wrap(openSink(spec, { ...how, monitor: own }, how.outboxes?.[index])));
    } catch (error) {
      for (const sink of sinks) sink.discard();
      throw openError(spec, error);
    }
  }
  return sinks;
}

function openSink(spec: ResolvedSink, how: OpenSinkOptions, outbox: SharedArrayBuffer | undefined): Sink {
  const { monitor, lazyOpen = false, fs } = how;
  if (spec.kind === 'forward' || spec.kind === 'syslog' || spec.kind === 'otlp') {
    // The same outbox sink for every network sink: only their sender threads differ.
    if (outbox === undefined) throw new Error(`ringlog: no outbox for the ${spec.kind} sink ${spec.name}`);
    return createForwardSink({ outbox, monitor });
  }
  const file = spec.file;
  if (spec.kind !== 'file' || file === undefined) {
    return createStdoutSink({
      fd: spec.kind === 'stderr' ? 2 : 1,
      ...(monitor === undefined ? {} : { monitor }),
      ...(fs === undefined ? {} : { fs }),
    });
  }
  return createFileSink({
    path: file.path,
    maxFileBytes: file.maxFileBytes,
    maxFiles: file.maxFiles,
    rotate: file.rotate,
    compressor: how.compressor,
    fsyncMs: file.fsyncMs,
    mode: file.mode,
    dirMode: file.dirMode,
    noFollow: file.noFollow,
    lazyOpen,
    ...(monitor === undefined ? {} : { monitor }),
    ...(fs === undefined ? {} : { fs }),
  });
}

/**
 * The monitor of sink `index` among several: the lines it says it is writing (IN_FLIGHT, what a
 * consumer thread that dies abruptly loses, see write-failure.ts) include those still buffered
 * in the sinks after it, which the drainer flushes after this one.
 */
function withLaterLines(monitor: SinkMonitor, sinks: readonly Sink[], index: number): SinkMonitor {
  const writing = monitor.writing;
  if (writing === undefined) return monitor;
  const later = (): number => {
    let lines = 0;
    for (let i = index + 1; i < sinks.length; i++) lines += sinks[i]!.pendingLines;
    return lines;
  };
  return {
    report: (event) => monitor.report(event),
    sleep: (ms) => monitor.sleep(ms),
    writing: (lines) => writing.call(monitor, lines + later()),
  };
}

/** The error that rejects createLogBackend: it names the configured path, not only the directory mkdir tripped on. */
function openError(spec: ResolvedSink, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  const target = spec.file?.path ?? spec.forward?.address ?? spec.kind;
  return Object.assign(new Error(`ringlog: cannot open the log file ${target}: ${e.message}`, { cause: error }), {
    code: e.code,
    syscall: e.syscall,
    path: target,
  });
}
