/**
 * ringlog: workers log into one SharedArrayBuffer ring; one consumer thread writes the files.
 * The public surface, and nothing more.
 */
export { createLogBackend } from './backend.js';
export type { BackendError, BackendErrorCode, BackendEvents, BackendStats, LogBackend, RecoverInfo } from './backend.js';
export { connect, Logger } from './producer/logger.js';
export type { Bindings, ChildOptions, LogFn } from './producer/logger.js';
export type { LogHandle } from './producer/handle.js';
export type { BackendOptions, ConnectOptions, FileOptions } from './options.js';
export type {
  FileSinkConfig,
  FormatterConfig,
  LoggerConfig,
  SinkConfig,
  StreamSinkConfig,
} from './config.js';
export type { RotateOptions } from './rotate-options.js';
export { LEVELS } from './levels.js';
export type { LevelName, LevelOption } from './levels.js';
