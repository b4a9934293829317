/**
 * How the consumer paces its looks at the ring (Agrona's BackoffIdleStrategy, in spirit).
 *
 * While records come, the consumer naps between batches rather than draining again at once. A
 * consumer that drained whatever it found and looked again straight away kept pace with one
 * steady producer in batches of ~90 records, one write system call each: it kept its core busy
 * and paid a write, a release and the stats per 90 lines. Napping after a drain lets a batch
 * gather; how long depends on how fast the ring fills (`drained()`):
 * - at the rate of the last drain, an eighth of the ring takes longer than MAX_NAP_MS: nap 1 ms,
 *   so a batch holds about a millisecond of records and costs one write. One producer logging
 *   2 M records (/tmp harness, `node run.mjs 1 2000000`, three runs each): 21,700-30,500
 *   batches and 584-621 ns of CPU per record, all threads, drained at once; see the README's
 *   Performance for the figures with the naps;
 * - it takes less: nap only that long (at least FIRST_NAP_MS), or not at all when even that
 *   is too long, or when the batch stopped at its size limit (more is waiting) or producers wait
 *   for space. A small ring, or large records, must not leave producers blocked for a
 *   millisecond (4 threads of multi-KB records through a 64 KiB ring took 18.0 s instead of
 *   12.7 s when every nap lasted 1 ms).
 *
 * Napping without announcing it means producers commit without paying for a wake-up: a wake-up
 * is a futex system call of several microseconds, and a consumer that announced sleep after
 * every batch charged one to the first log call after each batch, which put it in the p99.9 of
 * log calls. Only after nothing has come for IDLE_AFTER_MS does the consumer announce that it
 * sleeps (`next()` returns SLEEP), and then a producer wakes it on commit.
 *
 * The naps bound how late a record is written while logging is active (at most MAX_NAP_MS); an
 * idle consumer sleeps in timeouts of the caller's choosing and costs nothing measurable.
 */

/** The shortest nap worth asking for: about the shortest futex timeout that is kept. */
const FIRST_NAP_MS = 0.05;
/** The longest nap between looks while records come; naps double up to this when none do. */
const MAX_NAP_MS = 1;
/** A consumer that naps keeps the ring below about this part of it full. */
const NAP_FILL = 1 / 8;
/** Napping this long in a row without finding a record means the producers went quiet. */
const IDLE_AFTER_MS = 20;

/** What the consumer should do next when it found nothing: nap this many ms, or SLEEP. */
export const SLEEP = -1;

export class IdleBackoff {
  #nap = FIRST_NAP_MS;
  #napped = IDLE_AFTER_MS;

  /**
   * A drain found `bytes` of a ring of `capacity`, committed over about `elapsedMs` (since the
   * look before); `more`: records are known to wait (the batch stopped at its size limit, or
   * producers wait for space). Returns how long to nap before the next look, 0 for at once, and
   * starts the naps of empty looks over.
   */
  drained(bytes: number, capacity: number, elapsedMs: number, more: boolean): number {
    const fillMs = bytes > 0 ? (elapsedMs * capacity * NAP_FILL) / bytes : Number.POSITIVE_INFINITY;
    this.#nap = fillMs < MAX_NAP_MS ? FIRST_NAP_MS : MAX_NAP_MS;
    this.#napped = 0;
    if (more || fillMs < FIRST_NAP_MS) return 0;
    return Math.min(fillMs, MAX_NAP_MS);
  }

  /** Nothing was found: the next nap in ms, or SLEEP once the producers have gone quiet. */
  next(): number {
    if (this.#napped >= IDLE_AFTER_MS) return SLEEP;
    const nap = this.#nap;
    this.#napped += nap;
    this.#nap = Math.min(nap * 2, MAX_NAP_MS);
    return nap;
  }
}
