/**
 * The handle: what the main thread passes to workers (through `workerData` or `postMessage`) so
 * that they can log into the backend's ring. A plain object around the SharedArrayBuffer, so it
 * survives the structured clone; nothing in it is a function or a port.
 */
import { isLevelOption, type LevelOption } from '../levels.js';
import { show } from '../options.js';

export interface LogHandle {
  /** Marks the object as a ringlog handle, and which version of the shared layout it speaks. */
  readonly ringlog: 1;
  readonly buffer: SharedArrayBuffer;
  /** The backend's level: the default threshold for loggers made from this handle. */
  readonly level: LevelOption;
  readonly onFull: 'block' | 'drop';
  /** The largest record, frame header included (the `maxRecordSize` option, in bytes). */
  readonly maxRecordSize: number;
}

export function assertHandle(value: unknown): asserts value is LogHandle {
  const handle = value as Partial<LogHandle> | null;
  if (
    typeof handle !== 'object' ||
    handle === null ||
    handle.ringlog !== 1 ||
    !(handle.buffer instanceof SharedArrayBuffer) ||
    !isLevelOption(handle.level) ||
    (handle.onFull !== 'block' && handle.onFull !== 'drop') ||
    !Number.isInteger(handle.maxRecordSize) ||
    handle.maxRecordSize! <= 0 ||
    handle.maxRecordSize! > handle.buffer.byteLength
  ) {
    throw new TypeError(
      `ringlog: connect(handle) expects the \`handle\` of a backend made by createLogBackend(), passed through workerData or postMessage; received ${show(value)}`,
    );
  }
}
