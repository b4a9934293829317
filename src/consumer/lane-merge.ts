/**
 * The merge of lanes (ring/lanes.ts): each lane holds one thread's records (or a few threads'),
 * in the order they claimed; a batch takes what every lane has committed and hands it on in time
 * order, so that lines of different threads in a file follow their millisecond `time` within
 * each batch, as they did in one shared ring, without making producers share a cursor.
 *
 * A lane's own order is never changed (it is each thread's order, and a clock that steps back
 * must not reorder one thread's lines). The merge goes by runs: the lane whose next record is
 * oldest gives every record up to the oldest time the other lanes have next, a millisecond's
 * worth or more under load, so a record costs one time comparison. A damaged frame (ring.ts) has
 * no time to trust and goes first.
 */
import { RecordOffset } from '../record/descriptor.js';
import type { SharedViews } from '../ring/layout.js';
import { DAMAGED, type FrameVisitor } from '../ring/ring.js';

export class LaneMerge {
  /** The data region as float64s: a record's time is the first field of its payload. */
  readonly #times: Float64Array;
  /** Per lane, the frames of the batch, as (payload index, size) pairs; the arrays keep their size. */
  readonly #frames: number[][];
  /** Per lane, how many numbers of #frames the batch filled. */
  readonly #counts: number[];
  /** Per lane, the next pair the merge looks at. */
  readonly #next: number[];
  /** The lane `collect` gathers for. */
  #lane = 0;

  constructor(views: SharedViews) {
    const lanes = views.lanes.length;
    this.#times = new Float64Array(views.data.buffer, views.data.byteOffset, views.capacity / 8);
    this.#frames = Array.from({ length: lanes }, () => []);
    this.#counts = new Array<number>(lanes).fill(0);
    this.#next = new Array<number>(lanes).fill(0);
  }

  /** Starts gathering the frames of `lane`: what `collect` is given next belongs to it. */
  begin(lane: number): void {
    this.#lane = lane;
    this.#counts[lane] = 0;
  }

  /** The visitor for Ring.read(): notes a frame of the current lane. */
  readonly collect: FrameVisitor = (index, length) => {
    const lane = this.#lane;
    const count = this.#counts[lane]!;
    const run = this.#frames[lane]!;
    run[count] = index;
    run[count + 1] = length;
    this.#counts[lane] = count + 2;
  };

  /** Hands every frame gathered since the lanes' `begin()` to `visit`, in time order. */
  merge(visit: (index: number, length: number) => void): void {
    const frames = this.#frames;
    const counts = this.#counts;
    const next = this.#next;
    const lanes = frames.length;
    next.fill(0);
    for (;;) {
      let best = -1;
      let bestTime = 0;
      let bound = Number.POSITIVE_INFINITY;
      for (let lane = 0; lane < lanes; lane++) {
        if (next[lane] === counts[lane]) continue;
        const time = this.#timeOf(frames[lane]!, next[lane]!);
        if (best === -1 || time < bestTime) {
          if (best !== -1 && bestTime < bound) bound = bestTime;
          best = lane;
          bestTime = time;
        } else if (time < bound) {
          bound = time;
        }
      }
      if (best === -1) return;
      const run = frames[best]!;
      const count = counts[best]!;
      let at = next[best]!;
      do {
        visit(run[at]!, run[at + 1]!);
        at += 2;
      } while (at < count && this.#timeOf(run, at) <= bound);
      next[best] = at;
    }
  }

  /** The time of the record at pair `at` of a lane's frames (-Infinity for a damaged frame). */
  #timeOf(run: number[], at: number): number {
    return run[at + 1] === DAMAGED ? Number.NEGATIVE_INFINITY : this.#times[(run[at]! + RecordOffset.TIME) >> 3]!;
  }
}
