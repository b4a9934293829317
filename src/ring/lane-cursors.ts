/**
 * What every lane has, whatever it carries (ring.ts: frames of records; line-lane.ts: finished
 * lines): its size, its cursors, and what is done to them the same way in both: reading HEAD,
 * publishing WRITTEN for flush() waiters, waking a sleeping consumer, seeing waiting producers.
 */
import { LaneSlot, Slot, type SharedViews } from './layout.js';

export abstract class LaneCursors {
  /** This lane's size in bytes. */
  readonly capacity: number;
  /**
   * The lane's cursors (LaneSlot, and LineLaneSlot in a line lane). Public for the threads that
   * wait on WRITTEN or HEAD with Atomics.waitAsync (flush(), the receiver).
   */
  readonly cursors: Int32Array;
  /** The buffer's control block: CONSUMER_SLEEPING, and the counters. */
  protected readonly control: Int32Array;

  constructor(views: SharedViews, lane: number) {
    const { cursors, capacity } = views.lanes[lane]!;
    this.capacity = capacity;
    this.cursors = cursors;
    this.control = views.control;
  }

  head(): number {
    return Atomics.load(this.cursors, LaneSlot.HEAD);
  }

  /** HEAD as of the end of the last write: every record before it has reached the OS. */
  written(): number {
    return Atomics.load(this.cursors, LaneSlot.WRITTEN);
  }

  /** Publishes that the records before `position` have reached the OS; wakes flush() waiters. */
  markWritten(position: number): void {
    const cursors = this.cursors;
    Atomics.store(cursors, LaneSlot.WRITTEN, position);
    Atomics.notify(cursors, LaneSlot.WRITTEN);
  }

  /**
   * Wakes a sleeping consumer. Wake-ups cost ~10 µs, so a producer pays for one only when the
   * consumer has announced that it sleeps; the CAS lets exactly one of many producers pay.
   */
  wakeConsumer(): void {
    const control = this.control;
    if (
      Atomics.load(control, Slot.CONSUMER_SLEEPING) === 1 &&
      Atomics.compareExchange(control, Slot.CONSUMER_SLEEPING, 1, 0) === 1
    ) {
      Atomics.notify(control, Slot.CONSUMER_SLEEPING);
    }
  }

  /**
   * The consumer is about to sleep (Lanes.awaitCommitted()), and awake again. Record lanes need
   * nothing: their producers look at CONSUMER_SLEEPING after each commit. Line lanes carry the
   * wish in their LOCK (line-lane.ts).
   */
  armWake(): void {}
  disarmWake(): void {}

  /** True when producers wait for this lane to have space. */
  producersWaiting(): boolean {
    return Atomics.load(this.cursors, LaneSlot.PRODUCERS_WAITING) > 0;
  }
}
