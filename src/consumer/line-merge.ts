/**
 * The merge of line lanes (ring/line-lane.ts), as lane-merge.ts is for record lanes: each lane
 * holds one thread's lines (or a few threads'), in the order they were appended; a batch takes
 * what every lane holds and writes it in time order, so that lines of different threads in a
 * file follow their millisecond `time`, without reading a line.
 *
 * The producers mark where the time of a lane's lines changes (a mark per millisecond at most),
 * so a lane's snapshot is a few segments, each of one time. The merge goes by them: the lane
 * whose next segment is oldest gives its segments up to the oldest time the other lanes have
 * next, as one run (a millisecond or more of a thread under load, written from the lane itself).
 * A lane's own order is never changed, and every lane gives everything its snapshot holds, so
 * nothing is held back for the next batch.
 */
import { segmentsOfOneLane, type LineLane, type RunVisitor, type Segments } from '../ring/line-lane.js';
import { findOldest, type Oldest } from './oldest.js';

export class LineMerge {
  readonly #lanes: readonly LineLane[];
  /** Per lane, the segments of its snapshot, how many, and the next one to go. */
  readonly #segments: readonly Segments[];
  readonly #counts: number[];
  readonly #next: number[];
  /** Per lane, the bytes the last drain() took from it. */
  readonly taken: number[];
  readonly #oldest: Oldest = { lane: -1, time: 0, bound: 0 };
  readonly #nextTime = (lane: number): number | undefined =>
    this.#next[lane]! < this.#counts[lane]! ? this.#segments[lane]!.times[this.#next[lane]!] : undefined;

  constructor(lanes: readonly LineLane[]) {
    this.#lanes = lanes;
    this.#segments = lanes.map(() => segmentsOfOneLane());
    this.#counts = lanes.map(() => 0);
    this.#next = lanes.map(() => 0);
    this.taken = lanes.map(() => 0);
  }

  /**
   * Takes every lane's lines as of a snapshot of each, visiting them in runs in time order;
   * returns the bytes taken. `before(bytes)` is told of each take before its lines become the
   * consumer's (READ moves): what it does first, and what it throws, leaves them in the lane.
   */
  drain(visit: RunVisitor, before?: (bytes: number) => void): number {
    const lanes = this.#lanes;
    const segments = this.#segments;
    const counts = this.#counts;
    const next = this.#next;
    for (let lane = 0; lane < lanes.length; lane++) {
      const line = lanes[lane]!;
      next[lane] = 0;
      this.taken[lane] = 0;
      counts[lane] = line.hasCommitted() && line.snapshot() ? line.segments(segments[lane]!) : 0;
    }
    let total = 0;
    const oldest = this.#oldest;
    for (;;) {
      findOldest(lanes.length, this.#nextTime, Number.POSITIVE_INFINITY, oldest);
      const best = oldest.lane;
      const bound = oldest.bound;
      if (best === -1) return total;
      const run = segments[best]!;
      const count = counts[best]!;
      let end = next[best]! + 1;
      while (end < count && run.times[end]! <= bound) end++;
      before?.((run.starts[end]! - run.starts[next[best]!]!) | 0);
      const bytes = lanes[best]!.take(run.starts[end]!, run.lines[end]!, run.marks[end]!, visit);
      this.taken[best]! += bytes;
      total += bytes;
      next[best] = end;
    }
  }
}
