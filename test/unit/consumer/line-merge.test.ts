import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineMerge } from '../../../src/consumer/line-merge.js';
import { allocateShared, LaneKind, LINE_MARKS, viewShared, type SharedViews } from '../../../src/ring/layout.js';
import { LineLane, NO_SPACE } from '../../../src/ring/line-lane.js';

interface Rig {
  readonly views: SharedViews;
  readonly producers: LineLane[];
  readonly merge: LineMerge;
  readonly consumers: LineLane[];
}

function rig(lanes: number, laneBytes: number): Rig {
  const views = viewShared(allocateShared(lanes * laneBytes, lanes, LaneKind.LINES));
  // Lines of '!' where nothing was written: a run that takes bytes it should not shows them.
  for (let i = 0; i < views.data.length; i++) views.data[i] = i % 2 === 0 ? 0x21 : 0x0a;
  const consumers = Array.from({ length: lanes }, (_, lane) => new LineLane(views, lane));
  return {
    views,
    producers: Array.from({ length: lanes }, (_, lane) => new LineLane(views, lane, lane + 1)),
    consumers,
    merge: new LineMerge(consumers),
  };
}

/** Appends one line to `lane`, stamped `time`; false when the lane is full. */
function append(r: Rig, lane: number, text: string, time: number): boolean {
  const bytes = Buffer.from(`${text}\n`);
  const index = r.producers[lane]!.begin(bytes.length);
  if (index === NO_SPACE) return false;
  r.views.data.set(bytes, index);
  r.producers[lane]!.commit(1, time);
  return true;
}

interface Run {
  readonly lines: string[];
  readonly count: number;
}

/** One drain: its runs, in order, each with the lines it held and the count it came with. */
function drain(r: Rig): Run[] {
  const runs: Run[] = [];
  r.merge.drain((index, length, count) => {
    const text = Buffer.from(r.views.data.subarray(index, index + length)).toString();
    runs.push({ lines: text.split('\n').slice(0, -1), count });
  });
  for (const lane of r.consumers) lane.release();
  return runs;
}

const linesOf = (runs: Run[]): string[] => runs.flatMap((run) => run.lines);

describe('merging line lanes by time', () => {
  it('writes the lanes\' lines in time order, a run per lane and millisecond stretch', () => {
    const r = rig(2, 1024);
    append(r, 0, 'a1', 1);
    append(r, 0, 'a1b', 1);
    append(r, 1, 'b2', 2);
    append(r, 0, 'a3', 3);
    append(r, 1, 'b2b', 2);
    append(r, 1, 'b4', 4);
    const runs = drain(r);
    expect(linesOf(runs)).toEqual(['a1', 'a1b', 'b2', 'b2b', 'a3', 'b4']);
    expect(runs.map((run) => run.count)).toEqual([2, 2, 1, 1]);
    expect(drain(r)).toEqual([]);
  });

  it('gives a lane every line of the same millisecond or older than the others\' next at once', () => {
    const r = rig(2, 1024);
    for (const time of [1, 2, 3, 5]) append(r, 0, `a${time}`, time);
    append(r, 1, 'b4', 4);
    const runs = drain(r);
    expect(runs.map((run) => run.lines)).toEqual([['a1', 'a2', 'a3'], ['b4'], ['a5']]);
  });

  it('keeps a lane\'s own order when its clock steps back', () => {
    const r = rig(2, 1024);
    append(r, 0, 'a5', 5);
    append(r, 0, 'a3', 3);
    append(r, 1, 'b4', 4);
    const lines = linesOf(drain(r));
    expect(lines.indexOf('a5')).toBeLessThan(lines.indexOf('a3'));
    expect(lines).toHaveLength(3);
  });

  it('goes on past LINE_MARKS milliseconds without a drain: every line once, in its lane\'s order', () => {
    const r = rig(2, 1 << 16);
    const expected: string[][] = [[], []];
    for (let time = 0; time < LINE_MARKS * 2; time++) {
      for (const lane of [0, 1]) {
        const text = `${lane}:${time}`;
        expect(append(r, lane, text, time)).toBe(true);
        expected[lane]!.push(text);
      }
    }
    const lines = linesOf(drain(r));
    expect(lines).toHaveLength(LINE_MARKS * 4);
    for (const lane of [0, 1]) expect(lines.filter((line) => line.startsWith(`${lane}:`))).toEqual(expected[lane]);
    // The first LINE_MARKS - 1 milliseconds had marks: the lanes alternate in time order there
    // (the last of them also holds every later line of its lane).
    const marked = lines.slice(0, 2 * (LINE_MARKS - 2)).map((line) => Number(line.split(':')[1]));
    expect(marked).toEqual(Array.from({ length: 2 * (LINE_MARKS - 2) }, (_, i) => i >> 1));
  });

  it('ends a run at the lap\'s data, not at the lane\'s end, when a new millisecond starts the next lap', () => {
    const r = rig(2, 64);
    expect(append(r, 0, 'x'.repeat(29), 1)).toBe(true); // 0..30
    drain(r);
    expect(append(r, 0, 'y'.repeat(19), 1)).toBe(true); // 30..50
    // 20 bytes do not fit in the 14 left: the next lap, at a new millisecond (a mark at 64).
    expect(append(r, 0, 'z'.repeat(19), 3)).toBe(true);
    // Another lane's line in between: lane 0's first run ends at its mark, the lap's end.
    expect(append(r, 1, 'w', 2)).toBe(true);
    expect(drain(r).map((run) => run.lines)).toEqual([['y'.repeat(19)], ['w'], ['z'.repeat(19)]]);
  });

  it('(fast-check) every line once, each lane in order, each drain in time order, exact counts, across wraps', () => {
    type Op = { kind: 'append'; lane: number; advance: number; pad: number } | { kind: 'drain' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), lane: fc.nat(3), advance: fc.nat(2), pad: fc.nat(20) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), fc.array(op, { maxLength: 300 }), (lanes, ops) => {
        const r = rig(lanes, 128);
        const clock = new Array<number>(lanes).fill(0);
        const serial = new Array<number>(lanes).fill(0);
        const written: string[] = [];
        const take = (): void => {
          const runs = drain(r);
          const lines = linesOf(runs);
          for (const run of runs) expect(run.count).toBe(run.lines.length);
          const times = lines.map((line) => Number(line.split(':')[2]));
          for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
          written.push(...lines);
        };
        for (const o of ops) {
          if (o.kind === 'drain') {
            take();
            continue;
          }
          const lane = o.lane % lanes;
          clock[lane]! += o.advance;
          const text = `${lane}:${serial[lane]}:${clock[lane]}:${'.'.repeat(o.pad)}`;
          if (!append(r, lane, text, clock[lane]!)) {
            take();
            expect(append(r, lane, text, clock[lane]!)).toBe(true);
          }
          serial[lane]!++;
        }
        take();
        for (let lane = 0; lane < lanes; lane++) {
          const mine = written.filter((line) => line.startsWith(`${lane}:`)).map((line) => Number(line.split(':')[1]));
          expect(mine).toEqual(Array.from({ length: serial[lane]! }, (_, i) => i));
        }
      }),
      { numRuns: 300 },
    );
  });
});
