/** What every variant provides to the scenarios: set up its output, start its workers, close. */
import type { BackendOptions, FormatterConfig } from '../../src/index.js';
import type { VariantName } from '../lib/config.js';
import type { Sink } from '../lib/pool.js';

/** Every variant logs the same record: `info({ i }, MESSAGE)` through a child bound to `{ worker: id }`. */
export const MESSAGE = 'processed job';

/**
 * The text lines of `ringlog-text` and of the drain scenario's text case: the template people
 * coming from Python's logging configure. A line: `2026-12-02 02:22:57,123 root INFO     processed
 * job {"worker":0,"i":5}` (the record's bindings and fields follow as JSON).
 */
export const TEXT_TEMPLATE = '%(asctime)s %(name)s %(levelname)-8s %(message)s';
export const TEXT_FORMATTER: FormatterConfig = { type: 'text', template: TEXT_TEMPLATE, style: '%' };

/**
 * ringlog options for one file sink at `path` writing `lines`. The file never rotates during a
 * run (a maximum size far above what a run writes), so every line is in that one file.
 */
export function fileSinkOptions(path: string, lines: LineFormat): BackendOptions {
  return lines === 'text'
    ? { formatters: { python: TEXT_FORMATTER }, sinks: [{ type: 'file', path, formatter: 'python', rotate: { maxSize: NEVER_ROTATE } }] }
    : { file: { path, maxSize: NEVER_ROTATE } };
}

const NEVER_ROTATE = '64GiB';

/** How a variant's file is read back (lib/verify.ts): pino-shaped JSON lines, or TEXT_TEMPLATE's lines. */
export type LineFormat = 'json' | 'text';

export interface Variant {
  readonly name: VariantName;
  /** False for the floor, which formats into private memory and writes no file. */
  readonly writesFile: boolean;
  /** The lines in its file; default 'json'. */
  readonly lines?: LineFormat;
  /** Sets up the variant's output at `path` (a file, or the overload scenario's FIFO) for `workers` producers. */
  open(path: string, workers: number): Promise<Sink>;
}
