/** What every variant provides to the scenarios: set up its output, start its workers, close. */
import type { VariantName } from '../lib/config.js';
import type { Sink } from '../lib/pool.js';

/** Every variant logs the same record: `info({ i }, MESSAGE)` through a child bound to `{ worker: id }`. */
export const MESSAGE = 'processed job';

export interface Variant {
  readonly name: VariantName;
  /** False for the floor, which formats into private memory and writes no file. */
  readonly writesFile: boolean;
  /** Sets up the variant's output at `path` (a file, or the overload scenario's FIFO) for `workers` producers. */
  open(path: string, workers: number): Promise<Sink>;
}
