/**
 * ringlog: workers log into one SharedArrayBuffer ring; one consumer thread writes the files.
 * The public surface, and nothing more.
 *
 * One entry for both sides, and it loads only the producer side: a pool worker that imports
 * `connect` gets the logger, the ring and the record encoder, not the backend, its formatters,
 * sinks, rotation or zlib. `createLogBackend` is async anyway, so it loads the backend
 * (src/main/) when it is first called (thread-stream's worker likewise loads nothing of the
 * main side).
 */
import type { BackendOptions } from './config/options.js';
import type { LogBackend } from './main/backend.js';

/**
 * Starts the consumer thread and returns the backend: its `handle` goes to the workers, which
 * `connect(handle)`. Rejects with an option error (`code: 'ERR_RINGLOG_OPTION'`) for invalid
 * options; see src/main/backend.ts for the whole contract.
 */
export async function createLogBackend(options?: BackendOptions | string | URL): Promise<LogBackend> {
  const backend = await import('./main/backend.js');
  return backend.createLogBackend(options);
}

export type { BackendError, BackendEvents, BackendStats, LogBackend, RecoverInfo } from './main/backend.js';
export { ErrorCode } from './core/errors.js';
export type { BackendErrorCode } from './core/errors.js';
export { connect, Logger } from './producer/logger.js';
export { destination, type Destination } from './producer/destination.js';
export type { Bindings, ChildOptions, LogFn } from './producer/logger.js';
export type { LogHandle } from './producer/handle.js';
export type { ConnectOptions } from './producer/connect-options.js';
export type { BackendOptions, FileOptions } from './config/options.js';
export type {
  FileSinkConfig,
  FormatterConfig,
  LoggerConfig,
  SinkConfig,
  OtlpSinkConfig,
  StreamSinkConfig,
  SyslogSinkConfig,
} from './config/outputs.js';
export type { RotateOptions } from './config/rotate-options.js';
export type { SyslogFacility, SyslogOptions } from './config/syslog-options.js';
export type { OtlpOptions } from './config/otlp-options.js';
export type { RedactOptions } from './config/redact-options.js';
export { LEVELS } from './core/levels.js';
export type { LevelName, LevelOption } from './core/levels.js';
