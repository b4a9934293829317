/**
 * How the consumer waits when the ring is empty (Agrona's idle strategies, in spirit).
 *
 * Right after a drain, more records are likely: the consumer naps without telling producers,
 * who then commit without paying for a wake-up. A wake-up is a futex system call of several
 * microseconds, and a consumer that announced sleep after every batch charged one to the first
 * log call after each batch: at a few hundred records per batch that puts the wake-up in the
 * p99.9 of log calls. Only after nothing has come for IDLE_AFTER_MS does the consumer announce
 * that it sleeps, and then a producer wakes it on commit.
 *
 * The nap is NAP_MS from the first: a consumer that keeps up with its producers then drains
 * about a millisecond of records per batch, in one write. Naps that started at 50 µs and
 * doubled made batches of a few dozen records when one producer logged steadily, and the
 * naps and writes of those batches cost the consumer more than the lines did: CPU per record,
 * all threads, one producer logging 1 M records, three runs each alternating: 1,317-1,441 ns
 * with 50 µs first naps, 1,110-1,168 with 0.5 ms, 1,076-1,116 with 1 ms.
 *
 * The nap bounds how late a record is written while logging is active (NAP_MS, plus the
 * write); an idle consumer sleeps in timeouts of the caller's choosing and costs nothing
 * measurable.
 */

/** How long the consumer naps between looks while records are coming. */
const NAP_MS = 1;
/** Napping this long in a row without finding a record means the producers went quiet. */
const IDLE_AFTER_MS = 20;

/** What the consumer should do next when it found nothing: nap this many ms, or SLEEP. */
export const SLEEP = -1;

export class IdleBackoff {
  #napped = IDLE_AFTER_MS;

  /** Records were found: the next empty look starts the naps over. */
  reset(): void {
    this.#napped = 0;
  }

  /** Nothing was found: the next nap in ms, or SLEEP once the producers have gone quiet. */
  next(): number {
    if (this.#napped >= IDLE_AFTER_MS) return SLEEP;
    this.#napped += NAP_MS;
    return NAP_MS;
  }
}
