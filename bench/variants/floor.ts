/**
 * The floor: what any backend that writes pino-shaped JSON lines must do in the worker at the
 * least, if it formats there. Each call builds the line (lib/json-line.ts) and encodes it as
 * UTF-8 into a private buffer, reused: no sharing, no I/O, no file. Its records/s and ns/call
 * are the bar the others are compared with.
 */
import type { Variant } from './variant.js';

export const floor: Variant = {
  name: 'floor',
  writesFile: false,
  async open() {
    return {
      workerUrl: new URL('./floor-worker.js', import.meta.url),
      workerData: () => ({ data: undefined }),
      close: async () => undefined,
    };
  },
};
