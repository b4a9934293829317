/**
 * The handle: what the main thread passes to workers (through `workerData` or `postMessage`) so
 * that they can log into the backend's ring. A plain object around the SharedArrayBuffer, so it
 * survives the structured clone; nothing in it is a function or a port.
 */
import { show, versionError } from '../core/errors.js';
import { isLevelOption, type LevelOption } from '../core/levels.js';
import type { RouteTable } from '../core/routes.js';
import type { RedactConfig } from '../record/redact.js';
import type { ResolvedTextFormat, TextFormatContext } from '../line/text-format.js';
import { LAYOUT_VERSION } from '../ring/layout.js';

export interface LogHandle {
  /** Marks the object as a ringlog handle, and which version of the shared layout it speaks (LAYOUT_VERSION). */
  readonly ringlog: typeof LAYOUT_VERSION;
  readonly buffer: SharedArrayBuffer;
  /** The root logger's level (options.level). */
  readonly level: LevelOption;
  readonly onFull: 'block' | 'drop';
  /** The largest record, frame header included (the `maxRecordSize` option, in bytes). */
  readonly maxRecordSize: number;
  /**
   * Which sinks each logger's records reach, at which levels (routes.ts): a logger's threshold
   * comes from here. Absent: one root sink that takes every level, so the threshold is `level`.
   */
  readonly routes?: RouteTable;
  /**
   * Present when every sink writes pino's JSON lines and names route nothing: producers then
   * write those lines themselves (json-line.ts). The line's text after the time:
   * `,"pid":123,"hostname":"h"`.
   */
  readonly lines?: string;
  /**
   * Present when the backend made line lanes for one sink writing text lines (text-format.ts):
   * producers then write each record's text line themselves, from the call's values
   * (text-line.ts) or from its encoding (producer.ts). The sink's text format, and the process
   * it names.
   */
  readonly text?: { readonly format: ResolvedTextFormat; readonly context: TextFormatContext };
  /** The `redact` option: every producer redacts what it encodes (record/redact.ts). */
  readonly redact?: RedactConfig;
}

/**
 * Checks what connect() or destination() was given (`call` names which, for the message). A handle of another layout version is told apart first, and
 * by its version alone (the rest of its shape may differ too): mixing two ringlog installations
 * is the likely mistake, and the generic message would not say it.
 */
export function assertHandle(value: unknown, call = 'connect(handle)'): asserts value is LogHandle {
  const handle = value as (Partial<Omit<LogHandle, 'ringlog'>> & { ringlog?: unknown }) | null;
  if (typeof handle === 'object' && handle !== null && typeof handle.ringlog === 'number' && handle.ringlog !== LAYOUT_VERSION) {
    throw versionError(handle.ringlog, LAYOUT_VERSION, call);
  }
  if (
    typeof handle !== 'object' ||
    handle === null ||
    handle.ringlog !== LAYOUT_VERSION ||
    !(handle.buffer instanceof SharedArrayBuffer) ||
    !isLevelOption(handle.level) ||
    (handle.onFull !== 'block' && handle.onFull !== 'drop') ||
    !Number.isInteger(handle.maxRecordSize) ||
    handle.maxRecordSize! <= 0 ||
    handle.maxRecordSize! > handle.buffer.byteLength ||
    (handle.routes !== undefined && !isRouteTable(handle.routes)) ||
    (handle.lines !== undefined && typeof handle.lines !== 'string') ||
    (handle.text !== undefined && !isTextLines(handle.text)) ||
    (handle.redact !== undefined && !isRedactConfig(handle.redact))
  ) {
    throw new TypeError(
      `ringlog: ${call} expects the \`handle\` of a backend made by createLogBackend(), passed through workerData or postMessage; received ${show(value)}`,
    );
  }
}

/** The shape of a RouteTable, checked once per connect: enough that a stray object fails here, not later. */
function isRouteTable(value: unknown): value is RouteTable {
  const table = value as Partial<RouteTable> | null;
  return (
    typeof table === 'object' &&
    table !== null &&
    typeof table.level === 'number' &&
    Array.isArray(table.sinks) &&
    table.sinks.every((sink: unknown) => typeof (sink as SinkShape | null)?.level === 'number' && Array.isArray((sink as SinkShape).loggers)) &&
    typeof table.loggers === 'object' &&
    table.loggers !== null
  );
}

/** Enough of the shape that a stray object fails here; the backend made the format, already checked. */
function isTextLines(value: unknown): value is LogHandle['text'] {
  const text = value as { format?: Partial<ResolvedTextFormat>; context?: Partial<TextFormatContext> } | null;
  return (
    typeof text === 'object' &&
    text !== null &&
    typeof text.format?.template === 'string' &&
    typeof text.context?.hostname === 'string' &&
    typeof text.context.pid === 'number'
  );
}

function isRedactConfig(value: unknown): value is RedactConfig {
  const config = value as Partial<RedactConfig> | null;
  return (
    typeof config === 'object' &&
    config !== null &&
    Array.isArray(config.paths) &&
    config.paths.every((path: unknown) => typeof path === 'string') &&
    typeof config.censor === 'string' &&
    typeof config.remove === 'boolean'
  );
}

interface SinkShape {
  level?: unknown;
  loggers?: unknown;
}
