/**
 * Is the consumer still alive? A producer blocked on a full ring (`onFull: 'block'`) waits for
 * HEAD to move. If the consumer thread died abruptly (out of memory, killed) or hangs, HEAD never
 * moves, and a producer on the main thread would wait forever: the main thread is also the one
 * that restarts a dead consumer, from its event loop, which a blocked thread never returns to.
 *
 * So the consumer shows signs of life besides HEAD: it bumps CONSUMER_BEAT at every turn of its
 * loop (at least every 100 ms when idle) and every slice of a retry sleep. A producer that has
 * seen neither HEAD nor the beat change for CONSUMER_STALL_MS stops waiting and drops the record
 * (counted in droppedFull), and keeps dropping at once, without waiting, until the consumer moves
 * again. Losing records is the price; an app that hangs because its logger died is the worse one.
 */
import { LaneSlot, Slot } from './layout.js';

/**
 * How long a blocked producer waits without a sign of life before it stops waiting. A live
 * consumer beats at least every 100 ms when idle and every 250 ms while it sleeps between write
 * retries; one write of a 1 MiB batch that takes 5 s is a disk that the app cannot wait for either.
 */
export const CONSUMER_STALL_MS = 5000;

export class StallWatch {
  readonly #control: Int32Array;
  /** The cursors of the lane the producer waits on: its HEAD is the consumer's progress there. */
  readonly #cursors: Int32Array;
  readonly #stallMs: number;
  #head = 0;
  #beat = 0;
  #since = 0;
  /** The beat at which the consumer was found stalled: while it is the same, do not wait again. */
  #stalledBeat: number | undefined;

  constructor(control: Int32Array, cursors: Int32Array, stallMs = CONSUMER_STALL_MS) {
    this.#control = control;
    this.#cursors = cursors;
    this.#stallMs = stallMs;
  }

  /**
   * Called before each slice of waiting for space: true when the consumer has shown no sign of
   * life (neither HEAD nor the beat moved) for the stall time, or since it was last found stalled.
   */
  stalled(): boolean {
    const control = this.#control;
    const head = Atomics.load(this.#cursors, LaneSlot.HEAD);
    const beat = Atomics.load(control, Slot.CONSUMER_BEAT);
    const now = Date.now();
    if (head !== this.#head || beat !== this.#beat || this.#since === 0) {
      this.#head = head;
      this.#beat = beat;
      this.#since = now;
      this.#stalledBeat = undefined;
      return false;
    }
    if (this.#stalledBeat === beat) return true;
    if (now - this.#since < this.#stallMs) return false;
    this.#stalledBeat = beat;
    return true;
  }
}
