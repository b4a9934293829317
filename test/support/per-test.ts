/**
 * Teardown that a test registers as it builds what it needs (servers, engines, backends,
 * folders), run after each test, the last registered first, so that a backend closes before
 * the collector it sends to stops.
 */
import { afterEach } from 'vitest';
import { createLogBackend, type BackendOptions, type LogBackend } from '../../dist/src/index.js';

export type Cleanup = () => Promise<void> | void;

export interface PerTest {
  /** Runs `cleanup` after the current test. */
  defer(cleanup: Cleanup): void;
  /** A backend that is closed after the current test. */
  backend(options: BackendOptions): Promise<LogBackend>;
}

/** Call once at the top of a test file. */
export function perTest(): PerTest {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const defer = (cleanup: Cleanup): void => {
    cleanups.push(cleanup);
  };
  return {
    defer,
    async backend(options) {
      const b = await createLogBackend(options);
      defer(async () => void (await b.close()));
      return b;
    },
  };
}
