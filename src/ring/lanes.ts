/**
 * The lanes of one buffer, together: what the consumer and the backend do to every ring at once
 * (seal, drain, sleep until any lane has a record), and which lane a producer joins.
 *
 * A producer thread claims in one lane for its whole life, so its records keep their order; a
 * lane shared by several threads (more threads than lanes) is as safe as one ring, since each
 * lane is a full many-producer ring. The consumer reads every lane in each batch and merges them
 * by record time (consumer/lane-merge.ts).
 */
import { Slot, type SharedViews } from './layout.js';
import { Ring } from './ring.js';

/**
 * The lane for a thread joining now: threads take lanes in turn, so the first `lanes` threads
 * that log each have one to themselves.
 */
export function takeLane(views: SharedViews): number {
  return Atomics.add(views.control, Slot.NEXT_LANE, 1) % views.lanes.length;
}

export class Lanes {
  readonly rings: readonly Ring[];
  readonly #control: Int32Array;

  constructor(views: SharedViews) {
    this.rings = views.lanes.map((_, lane) => new Ring(views, lane));
    this.#control = views.control;
  }

  /** Refuses every later claim in every lane (Ring.seal()). */
  seal(): void {
    for (const ring of this.rings) ring.seal();
  }

  /** True when every claim made so far has been consumed. */
  drained(): boolean {
    return this.rings.every((ring) => ring.head() === ring.end());
  }

  /** Bytes claimed and not yet released, all lanes together. */
  used(): number {
    let bytes = 0;
    for (const ring of this.rings) bytes += ring.used();
    return bytes;
  }

  /** Committed records not yet consumed, all lanes together (Ring.committedRecords()). */
  committedRecords(): number {
    let records = 0;
    for (const ring of this.rings) records += ring.committedRecords();
    return records;
  }

  /** True when some lane gave space back for a batch whose write has not returned. */
  unwritten(): boolean {
    return this.rings.some((ring) => ring.head() !== ring.written());
  }

  /** Marks what every lane consumed as written (or given up on): flush() waiters go on. */
  markAllWritten(): void {
    for (const ring of this.rings) ring.markWritten(ring.head());
  }

  producersWaiting(): boolean {
    return this.rings.some((ring) => ring.producersWaiting());
  }

  wakeConsumer(): void {
    this.rings[0]!.wakeConsumer();
  }

  /**
   * Sleeps until a producer commits (and sees the announcement), someone calls `wakeConsumer()`,
   * or `timeoutMs` passes. The re-check after announcing closes the window in which a producer
   * commits just before the announcement and so does not wake us.
   */
  awaitCommitted(timeoutMs: number): void {
    const control = this.#control;
    Atomics.store(control, Slot.CONSUMER_SLEEPING, 1);
    if (!this.rings.some((ring) => ring.hasCommitted())) Atomics.wait(control, Slot.CONSUMER_SLEEPING, 1, timeoutMs);
    Atomics.store(control, Slot.CONSUMER_SLEEPING, 0);
  }

  /**
   * Sleeps `timeoutMs` without announcing it: producers do not wake the consumer, so it looks
   * again only after the timeout (nobody notifies the slot while it reads 0).
   */
  nap(timeoutMs: number): void {
    Atomics.wait(this.#control, Slot.CONSUMER_SLEEPING, 0, timeoutMs);
  }
}
