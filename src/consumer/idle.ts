/**
 * How the consumer waits when the ring is empty (Agrona's BackoffIdleStrategy, in spirit).
 *
 * Right after a drain, more records are likely: the consumer naps for short, doubling times
 * without telling producers, who then commit without paying for a wake-up. A wake-up is a futex
 * system call of several microseconds, and a consumer that announced sleep after every batch
 * charged one to the first log call after each batch: at a few hundred records per batch that
 * puts the wake-up in the p99.9 of log calls. Only after nothing has come for IDLE_AFTER_MS does
 * the consumer announce that it sleeps, and then a producer wakes it on commit.
 *
 * The naps bound how late a record is written while logging is active (at most MAX_NAP_MS);
 * an idle consumer sleeps in timeouts of the caller's choosing and costs nothing measurable.
 */

/** The first nap after a drain; 50 µs is about the shortest futex timeout worth asking for. */
const FIRST_NAP_MS = 0.05;
/** Naps double up to this. */
const MAX_NAP_MS = 1;
/** Napping this long in a row without finding a record means the producers went quiet. */
const IDLE_AFTER_MS = 20;

/** What the consumer should do next when it found nothing: nap this many ms, or SLEEP. */
export const SLEEP = -1;

export class IdleBackoff {
  #nap = FIRST_NAP_MS;
  #napped = IDLE_AFTER_MS;

  /** Records were found: the next empty look starts the naps over. */
  reset(): void {
    this.#nap = FIRST_NAP_MS;
    this.#napped = 0;
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
