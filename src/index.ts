/**
 * ringlog: workers log into one SharedArrayBuffer ring; one consumer thread writes the files.
 * The public surface, and nothing more.
 */
export { createLogBackend } from './main/backend.js';
export type { BackendError, BackendErrorCode, BackendEvents, BackendStats, LogBackend, RecoverInfo } from './main/backend.js';
export { connect, Logger } from './producer/logger.js';
export type { Bindings, ChildOptions, LogFn } from './producer/logger.js';
export type { LogHandle } from './producer/handle.js';
export type { BackendOptions, ConnectOptions, FileOptions } from './config/options.js';
export type {
  FileSinkConfig,
  FormatterConfig,
  LoggerConfig,
  SinkConfig,
  StreamSinkConfig,
} from './config/outputs.js';
export type { RotateOptions } from './config/rotate-options.js';
export { LEVELS } from './core/levels.js';
export type { LevelName, LevelOption } from './core/levels.js';
