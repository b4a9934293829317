/**
 * The step both merges take (lane-merge.ts for record lanes, line-merge.ts for line lanes):
 * which lane's next item is oldest, and the oldest time any other lane has next, which bounds
 * how much of that lane goes at once.
 */

export interface Oldest {
  /** The lane whose next item is oldest (the first such lane on a tie); -1 when no lane has one. */
  lane: number;
  time: number;
  /** The smallest next time among the other lanes, at most the `bound` given. */
  bound: number;
}

/** Fills `out` for `lanes` lanes, `nextTime(lane)` being a lane's next time, or undefined when it has nothing left. */
export function findOldest(lanes: number, nextTime: (lane: number) => number | undefined, bound: number, out: Oldest): void {
  let best = -1;
  let bestTime = 0;
  for (let lane = 0; lane < lanes; lane++) {
    const time = nextTime(lane);
    if (time === undefined) continue;
    if (best === -1 || time < bestTime) {
      if (best !== -1 && bestTime < bound) bound = bestTime;
      best = lane;
      bestTime = time;
    } else if (time < bound) {
      bound = time;
    }
  }
  out.lane = best;
  out.time = bestTime;
  out.bound = bound;
}
