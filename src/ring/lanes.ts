/**
 * The lanes of one buffer, together: what the consumer and the backend do to every lane at once
 * (seal, drain, sleep until any lane has a record), and which lane a producer joins.
 *
 * A producer thread writes in one lane for its whole life, so its records keep their order; a
 * lane shared by several threads (more threads than lanes) is as safe as one: record lanes are
 * full many-producer rings (ring.ts), line lanes are taken by one thread at a time
 * (line-lane.ts). The consumer reads every lane in each batch; record lanes it merges by record
 * time (consumer/lane-merge.ts), line lanes it writes one after the other.
 */
import { Slot, type SharedViews } from './layout.js';
import { LineLane } from './line-lane.js';
import { Ring } from './ring.js';

/** What every lane is, whatever it carries: the cursors the backend, flush() and the consumer's loop read. */
export interface Lane {
  readonly cursors: Int32Array;
  head(): number;
  /** Where the last claim or line ended: every record committed before now lies below it. */
  end(): number;
  written(): number;
  markWritten(position: number): void;
  /** Where the consumer's reading stands: what it has taken, written or not. */
  consumed(): number;
  /** Everything consumed counts as written (or given up on). */
  settle(): void;
  seal(): void;
  hasCommitted(): boolean;
  used(): number;
  committedRecords(): number;
  producersWaiting(): boolean;
  wakeConsumer(): void;
  armWake(): void;
  disarmWake(): void;
}

/** The lanes of `views` as the consumer's side sees them, of the kind the buffer holds. */
export function lanesOf(views: SharedViews): Lanes<Lane> {
  return views.lineLanes ? new Lanes(views, (lane) => new LineLane(views, lane)) : new Lanes(views, (lane) => new Ring(views, lane));
}

/**
 * The lane for a thread joining now: threads take lanes in turn, so the first `lanes` threads
 * that log each have one to themselves.
 */
export function takeLane(views: SharedViews): number {
  return Atomics.add(views.control, Slot.NEXT_LANE, 1) % views.lanes.length;
}

export class Lanes<L extends Lane> {
  readonly rings: readonly L[];
  /** One lane's size in bytes. */
  readonly capacity: number;
  readonly #control: Int32Array;

  constructor(views: SharedViews, make: (lane: number) => L) {
    this.rings = views.lanes.map((_, lane) => make(lane));
    this.capacity = views.lanes[0]!.capacity;
    this.#control = views.control;
  }

  /** Refuses every later claim in every lane (Ring.seal(), LineLane.seal()). */
  seal(): void {
    for (const ring of this.rings) ring.seal();
  }

  /** True when every claim made so far has been consumed. */
  drained(): boolean {
    return this.rings.every((ring) => ring.consumed() === ring.end());
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

  /** True when some lane's consumer took a batch whose write has not returned. */
  unwritten(): boolean {
    return this.rings.some((ring) => ring.consumed() !== ring.written());
  }

  /** Marks what every lane consumed as written (or given up on): flush() waiters go on. */
  markAllWritten(): void {
    for (const ring of this.rings) ring.settle();
  }

  producersWaiting(): boolean {
    return this.rings.some((ring) => ring.producersWaiting());
  }

  wakeConsumer(): void {
    this.rings[0]!.wakeConsumer();
  }

  /**
   * Sleeps until a producer commits (and sees the announcement), someone calls `wakeConsumer()`,
   * or `timeoutMs` passes; false when it was the timeout. The re-check after announcing closes
   * the window in which a producer commits just before the announcement and so does not wake us.
   */
  awaitCommitted(timeoutMs: number): boolean {
    const control = this.#control;
    const rings = this.rings;
    Atomics.store(control, Slot.CONSUMER_SLEEPING, 1);
    for (const ring of rings) ring.armWake();
    const woken = rings.some((ring) => ring.hasCommitted()) || Atomics.wait(control, Slot.CONSUMER_SLEEPING, 1, timeoutMs) !== 'timed-out';
    Atomics.store(control, Slot.CONSUMER_SLEEPING, 0);
    for (const ring of rings) ring.disarmWake();
    return woken;
  }

  /**
   * Sleeps `timeoutMs` without announcing it: producers do not wake the consumer, so it looks
   * again only after the timeout (nobody notifies the slot while it reads 0).
   */
  nap(timeoutMs: number): void {
    Atomics.wait(this.#control, Slot.CONSUMER_SLEEPING, 0, timeoutMs);
  }
}
