/**
 * Fault injection for ringlog's own tests, and nothing else: not exported from the package, and
 * inert unless the environment variable RINGLOG_INTERNAL_TEST_FAULT is set when the consumer
 * thread starts. It makes the consumer fail in ways a test cannot otherwise provoke on demand:
 *
 *   throw:N        the Nth flush of the consumer's sink throws, once (a bug in the consumer)
 *   throw-always   every flush throws (a bug that a restart does not cure)
 *   exit:N         the first consumer thread ends at once in its Nth write to the file, as
 *                  running out of memory would: no catch, no finally, DRAIN_LOCK still held,
 *                  the batch being written lost; a restarted thread runs normally
 *   exit-always:N  every consumer thread does so
 *   eio:N          the first N writeSync calls to the file fail with EIO (a failing disk)
 *
 * N counts from 1, across restarts of the consumer within the thread.
 */
import * as nodeFs from 'node:fs';
import type { FsPort } from './sink/file-sink.js';
import type { Sink } from './sink/sink.js';

export const TEST_FAULT_ENV = 'RINGLOG_INTERNAL_TEST_FAULT';

export interface TestFault {
  /** Wraps a sink so that its flushes fail as asked. */
  wrap(sink: Sink): Sink;
  /** The fs port for the file sink, when writes are to fail. */
  readonly fs: FsPort | undefined;
}

const none: TestFault = { wrap: (sink) => sink, fs: undefined };

/** `restart`: this is a consumer thread started after another one died. */
export function testFault(spec: string | undefined, restart: boolean): TestFault {
  if (spec === undefined || spec === '') return none;
  const [kind = '', count = '1'] = spec.split(':');
  const n = Number(count);
  let flushes = 0;
  switch (kind) {
    case 'throw':
    case 'throw-always':
      return {
        fs: undefined,
        wrap: (sink) =>
          new Proxy(sink, {
            get(target, key) {
              if (key !== 'flush') {
                // Read on the target itself: the sinks' getters use private fields.
                const value: unknown = Reflect.get(target, key, target);
                return typeof value === 'function' ? (value as Function).bind(target) : value;
              }
              return () => {
                flushes++;
                if (kind === 'throw-always' || (kind === 'throw' && flushes === n)) {
                  throw new Error(`injected consumer fault at flush ${flushes} (${TEST_FAULT_ENV}=${spec})`);
                }
                target.flush();
              };
            },
          }),
      };
    case 'eio':
    case 'exit':
    case 'exit-always': {
      if (kind === 'exit' && restart) return none;
      let writes = 0;
      const fs: FsPort = {
        ...nodeFs,
        writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number): number => {
          writes++;
          if (kind === 'eio' && writes <= n) {
            throw Object.assign(new Error('EIO: i/o error, write (injected)'), { code: 'EIO', errno: -5, syscall: 'write' });
          }
          if (kind !== 'eio' && writes === n) process.exit(70);
          return nodeFs.writeSync(fd, buffer, offset, length);
        },
      };
      return { wrap: (sink) => sink, fs };
    }
    default:
      throw new Error(`ringlog: unknown ${TEST_FAULT_ENV} ${JSON.stringify(spec)}`);
  }
}
