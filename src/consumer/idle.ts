/**
 * How the consumer waits when the ring is empty (Agrona's BackoffIdleStrategy, in spirit).
 *
 * Right after a drain, more records are likely: the consumer naps without telling producers,
 * who then commit without paying for a wake-up. A wake-up is a futex system call of several
 * microseconds, and a consumer that announced sleep after every batch charged one to the first
 * log call after each batch: at a few hundred records per batch that puts the wake-up in the
 * p99.9 of log calls. Only after nothing has come for IDLE_AFTER_MS does the consumer announce
 * that it sleeps, and then a producer wakes it on commit.
 *
 * How long the first nap is depends on how much the last drain found:
 * - a small part of the ring: producers log at a rate the consumer keeps up with, and a 1 ms
 *   nap gathers a millisecond of records into one batch and one write. Naps that started at
 *   50 µs made batches of a few dozen records for one producer logging steadily, and their naps
 *   and writes cost more than the lines: CPU per record, all threads, one producer logging 1 M
 *   records, three runs each alternating: 1,317-1,441 ns with 50 µs first naps, 1,076-1,116 ns
 *   with 1 ms;
 * - an eighth of the ring or more: producers fill it fast (a small ring, large records), and a
 *   1 ms nap would leave them blocked on a full ring for most of it (4 threads of multi-KB
 *   records through a 64 KiB ring took 18.0 s instead of 12.7 s). The naps start at 50 µs and
 *   double, as before.
 *
 * The naps bound how late a record is written while logging is active (at most MAX_NAP_MS); an
 * idle consumer sleeps in timeouts of the caller's choosing and costs nothing measurable.
 */

/** The first nap after a drain of a large part of the ring; 50 µs is about the shortest futex timeout worth asking for. */
const FIRST_NAP_MS = 0.05;
/** Naps double up to this; the first nap after a small drain. */
const MAX_NAP_MS = 1;
/** A drain of this part of the ring or more starts the naps short. */
const LARGE_DRAIN = 1 / 8;
/** Napping this long in a row without finding a record means the producers went quiet. */
const IDLE_AFTER_MS = 20;

/** What the consumer should do next when it found nothing: nap this many ms, or SLEEP. */
export const SLEEP = -1;

export class IdleBackoff {
  #nap = FIRST_NAP_MS;
  #napped = IDLE_AFTER_MS;

  /** A drain found `bytes` of a ring of `capacity`: the next empty look starts the naps over. */
  reset(bytes: number, capacity: number): void {
    this.#nap = bytes >= capacity * LARGE_DRAIN ? FIRST_NAP_MS : MAX_NAP_MS;
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
