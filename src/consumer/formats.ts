/**
 * The formatters of the configuration (config/outputs.ts: plain data) made into functions, in the thread
 * that renders: the consumer thread, and the main thread when it drains the ring itself at exit.
 *
 * - `json`: pino's line (json-format.ts), with the byte renderer (json-bytes.ts) as its fast
 *   path: most records go from ring bytes to line bytes without a string in between.
 * - `text`: Python-style lines (text-format.ts), with the byte renderer (text-bytes.ts) as its
 *   fast path, as for JSON.
 * - `syslog`: a syslog sink's own, around one of the others (format/syslog-format.ts): each
 *   line framed as an RFC 5424 message, from the decoded record (no byte renderer).
 * - `otlp`: an OTLP sink's own: each record as an OpenTelemetry LogRecord (format/otlp-format.ts).
 * - `module`: a custom formatter (formatter-module.ts). Modules are imported asynchronously,
 *   before the consumer says it is ready, so a module that does not load rejects
 *   createLogBackend. A record the formatter fails on (it throws, or returns no string) is
 *   written as the JSON line instead, counted in `stats().formatFailed` and, the first time
 *   for each formatter, reported on stderr: losing the record, or the whole sink, for a bug in
 *   a formatter would be worse than one line in another format.
 */
import type { ResolvedTextFormat } from '../line/text-format.js';
import type { Bytes } from '../record/descriptor.js';
import { Stat } from '../ring/layout.js';
import type { LogRecord } from '../record/log-record.js';
import type { FormatterError } from '../core/errors.js';
import { loadFormatterModule, withFallback, type RecordFormatter } from './format/formatter-module.js';
import { JsonLineRenderer } from '../line/json-bytes.js';
import { createJsonFormatter, type JsonFormatContext } from '../line/json-format.js';
import { TextLineRenderer } from '../line/text-bytes.js';
import { createSyslogFormatter, type ResolvedSyslogFormat } from './format/syslog-format.js';
import { formatOtlp, frameOtlp } from './format/otlp-format.js';
import { createTextFormatter } from '../line/text-format.js';

/** A formatter as config/outputs.ts resolves it: plain data that crosses to the consumer thread. */
export type ResolvedFormat =
  | { readonly type: 'json' }
  | { readonly type: 'text'; readonly text: ResolvedTextFormat }
  /** `module`: the specifier to import; `option`: its option path, for load errors. */
  | { readonly type: 'module'; readonly module: string; readonly options: unknown; readonly option: string }
  /** A syslog sink's own: `inner`'s line in an RFC 5424 message (syslog-format.ts). */
  | { readonly type: 'syslog'; readonly syslog: ResolvedSyslogFormat; readonly inner: InnerFormat }
  /** An OTLP sink's own: each record as an OpenTelemetry LogRecord (format/otlp-format.ts). */
  | { readonly type: 'otlp' };

/** The formats a syslog format can wrap: those that make lines of text. */
export type InnerFormat = Exclude<ResolvedFormat, { type: 'syslog' } | { type: 'otlp' }>;


export type Formatter = (record: LogRecord) => string;

/**
 * How records become lines: a formatter that takes any decoded record, and optionally a
 * renderer that writes most records' lines straight from their bytes, much faster, and
 * leaves the others (NOT_RENDERED) to the formatter.
 */
export interface LineFormat {
  readonly format: Formatter;
  readonly renderer?: LineRenderer;
  /**
   * For a format that wraps each line in a frame (syslog-format.ts): the frame of a line that
   * arrived finished, which the router would otherwise copy as it is.
   */
  readonly frame?: (line: string, level: number, time: number) => string;
}

/**
 * Renders records from their bytes (json-bytes.ts, text-bytes.ts): a line of the same bytes as
 * its format's formatter writes, or NOT_RENDERED for a record left to the formatter.
 */
export interface LineRenderer {
  /** The line of the last `render()`: `output[0 .. render()'s result)`. */
  readonly output: Bytes;
  /** The most bytes the line of a record of `length` bytes can take. */
  maxLineBytes(length: number): number;
  /** Renders the record at `index` into `output`; returns its byte length or NOT_RENDERED. */
  render(source: Bytes, index: number, length: number): number;
  /** Renders into `out` from `start`, where `maxLineBytes(length)` bytes are free; the byte length or NOT_RENDERED. */
  renderInto(source: Bytes, index: number, length: number, out: Uint8Array, start: number): number;
}

/** The custom formatters, by the index of their format; undefined for the built-in ones. */
export type LoadedModules = readonly (RecordFormatter | undefined)[];

/** Called when a custom formatter fails on a record, with the index of its format. */
export type FormatFailure = (error: FormatterError, format: number) => void;

/** Imports the module formatters; rejects with an option error naming the formatter's path. */
export function loadFormatterModules(formats: readonly ResolvedFormat[]): Promise<LoadedModules> {
  return Promise.all(
    formats.map((format) => {
      const module = format.type === 'syslog' ? format.inner : format;
      return module.type === 'module' ? loadFormatterModule(module.module, module.option, module.options) : undefined;
    }),
  );
}

/** One LineFormat per resolved format, in the same order. */
export function createLineFormats(
  formats: readonly ResolvedFormat[],
  modules: LoadedModules,
  context: JsonFormatContext,
  onFailure: FormatFailure,
  onOversized: (format: number) => void = () => {},
): LineFormat[] {
  let json: Formatter | undefined;
  const lineFormat = (format: InnerFormat, index: number): LineFormat => {
    switch (format.type) {
      case 'json':
        return { format: createJsonFormatter(context), renderer: new JsonLineRenderer(context) };
      case 'text':
        return { format: createTextFormatter(format.text, context), renderer: new TextLineRenderer(format.text, context) };
      case 'module': {
        const loaded = modules[index];
        if (loaded === undefined) throw new Error(`ringlog: formatter module ${format.module} was not loaded`);
        json ??= createJsonFormatter(context);
        return { format: withFallback(loaded, json, (error) => onFailure(error, index)) };
      }
    }
  };
  return formats.map((format, index): LineFormat => {
    if (format.type === 'otlp') return { format: formatOtlp, frame: frameOtlp };
    if (format.type !== 'syslog') return lineFormat(format, index);
    // The inner format's formatter, not its renderer: the frame needs the decoded record's name.
    const inner = lineFormat(format.inner, index).format;
    const { format: framed, frame } = createSyslogFormatter(format.syslog, inner, context, () => onOversized(index));
    return { format: framed, frame };
  });
}

/**
 * The FormatFailure of a drainer: counts each failure in the shared stats, and writes one line
 * to `stderr` the first time each formatter fails (a formatter failing on one record usually
 * fails on many; the count says how many).
 */
export function countFormatFailures(stats: BigInt64Array, stderr: (line: string) => void): FormatFailure {
  const reported = new Set<number>();
  return (error, format) => {
    Atomics.add(stats, Stat.FORMAT_FAILED, 1n);
    if (reported.has(format)) return;
    reported.add(format);
    stderr(`${error.message}; records it fails on are written as JSON lines instead and counted in stats().formatFailed (said once per formatter)`);
  };
}
