/**
 * The merge of lanes (ring/lanes.ts): each lane holds one thread's records (or a few threads'),
 * in the order they claimed; a batch takes what every lane has committed and hands it on in time
 * order, so that lines of different threads in a file follow their millisecond `time`, as they
 * did in one shared ring, without making producers share a cursor.
 *
 * A lane's own order is never changed (it is each thread's order, and a clock that steps back
 * must not reorder one thread's lines). The merge goes by runs: the lane whose next record is
 * oldest gives every record up to the oldest time the other lanes have next, a millisecond's
 * worth or more under load, so a record costs one time comparison.
 *
 * A lane that filled the batch's share (its `limit`) may hold older records than what the other
 * lanes gave: so the batch stops at the last time such a lane gave, and the records past it stay
 * in their lanes, unconsumed, for the next batch. Without this cutoff, a thread with a backlog
 * had its older records written after a quiet thread's newer ones. The frames held back stay
 * here too, and the next read of their lane goes on after them (`held()`): read again, they
 * made a consumer that was behind visit most records twice (+11% CPU per record at 4 workers).
 * A damaged frame (ring.ts), or a time that is not a number, has no time to trust and goes at once.
 */
import { RecordOffset } from '../record/descriptor.js';
import type { SharedViews } from '../ring/layout.js';
import { DAMAGED, type FrameVisitor } from '../ring/ring.js';
import { findOldest, type Oldest } from './oldest.js';

/** Numbers per frame in #frames: payload index, size, bytes consumed once past it. */
const PER_FRAME = 3;

export class LaneMerge {
  /** The data region as float64s: a record's time is the first field of its payload. */
  readonly #times: Float64Array;
  /** Per lane, the frames of the batch (PER_FRAME numbers each); the arrays keep their size. */
  readonly #frames: number[][];
  /** Per lane, how many numbers of #frames the batch filled. */
  readonly #counts: number[];
  /** Per lane, the next frame the merge looks at. */
  readonly #next: number[];
  /** Per lane, the bytes from HEAD that the frames held back for the next batch span. */
  readonly #held: number[];
  /** The lane `collect` gathers for. */
  #lane = 0;
  readonly #oldest: Oldest = { lane: -1, time: 0, bound: 0 };
  readonly #nextTime = (lane: number): number | undefined =>
    this.#next[lane] === this.#counts[lane] ? undefined : this.#timeOf(this.#frames[lane]!, this.#next[lane]!);

  constructor(views: SharedViews) {
    const lanes = views.lanes.length;
    this.#times = new Float64Array(views.data.buffer, views.data.byteOffset, views.capacity / 8);
    this.#frames = Array.from({ length: lanes }, () => []);
    this.#counts = new Array<number>(lanes).fill(0);
    this.#next = new Array<number>(lanes).fill(0);
    this.#held = new Array<number>(lanes).fill(0);
  }

  /**
   * Starts gathering the frames of `lane`: what `collect` is given next belongs to it, after
   * the frames held back from the last batch. Returns where the lane's read goes on from (the
   * `from` of Ring.read()).
   */
  begin(lane: number): number {
    this.#lane = lane;
    return this.#held[lane]!;
  }

  /** Drops every frame held back: their lanes are read from HEAD again (one lane read straight, or a restart). */
  forget(): void {
    this.#counts.fill(0);
    this.#held.fill(0);
  }

  /** The visitor for Ring.read(): notes a frame of the current lane. */
  readonly collect: FrameVisitor = (index, length, _producer, consumedAfter) => {
    const lane = this.#lane;
    const count = this.#counts[lane]!;
    const run = this.#frames[lane]!;
    run[count] = index;
    run[count + 1] = length;
    run[count + 2] = consumedAfter;
    this.#counts[lane] = count + PER_FRAME;
  };

  /**
   * Hands the frames gathered since the lanes' `begin()` to `visit`, in time order, up to the
   * cutoff. `consumed` holds, per lane, the bytes its read took; a lane that took `limit` or
   * more may have older records left. A lane whose frames did not all go gets, in `consumed`,
   * the bytes up to the last frame that went: release() gives back only those.
   */
  merge(visit: (index: number, length: number) => void, consumed: number[], limit: number): void {
    const frames = this.#frames;
    const counts = this.#counts;
    const next = this.#next;
    const lanes = frames.length;
    let cutoff = Number.POSITIVE_INFINITY;
    for (let lane = 0; lane < lanes; lane++) {
      next[lane] = 0;
      const count = counts[lane]!;
      if (consumed[lane]! >= limit && count > 0) cutoff = Math.min(cutoff, this.#timeOf(frames[lane]!, count - PER_FRAME));
    }
    // At least one frame goes in every batch, whatever the cutoff: a lane whose clock stepped
    // back may have its last time (the cutoff) below every lane's next.
    let progressed = false;
    const oldest = this.#oldest;
    for (;;) {
      findOldest(lanes, this.#nextTime, cutoff, oldest);
      const best = oldest.lane;
      const bound = oldest.bound;
      if (best === -1 || (oldest.time > cutoff && progressed)) break;
      progressed = true;
      const run = frames[best]!;
      const count = counts[best]!;
      let at = next[best]!;
      do {
        visit(run[at]!, run[at + 1]!);
        at += PER_FRAME;
      } while (at < count && this.#timeOf(run, at) <= bound);
      next[best] = at;
    }
    for (let lane = 0; lane < lanes; lane++) {
      const at = next[lane]!;
      const count = counts[lane]!;
      if (at === count) {
        counts[lane] = 0;
        this.#held[lane] = 0;
        continue;
      }
      // Held back: release up to the last frame that went; the rest moves to the front, its
      // offsets now from the HEAD that release leaves.
      const run = frames[lane]!;
      const released = at === 0 ? 0 : run[at - 1]!;
      for (let i = at; i < count; i += PER_FRAME) {
        run[i - at] = run[i]!;
        run[i - at + 1] = run[i + 1]!;
        run[i - at + 2] = run[i + 2]! - released;
      }
      counts[lane] = count - at;
      this.#held[lane] = consumed[lane]! - released;
      consumed[lane] = released;
    }
  }

  /** The time of the record of frame `at` of a lane's frames (-Infinity when it has none to trust). */
  #timeOf(run: number[], at: number): number {
    if (run[at + 1] === DAMAGED) return Number.NEGATIVE_INFINITY;
    const time = this.#times[(run[at]! + RecordOffset.TIME) >> 3]!;
    return time === time ? time : Number.NEGATIVE_INFINITY;
  }
}
