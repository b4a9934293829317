/**
 * The consumer's merge of lanes, as a property: records put straight into the lanes of a real
 * buffer (small lanes, so they fill and wrap), drained at random moments by the real Consumer into
 * a router that only notes what it is handed. Every record comes out exactly once and each lane's
 * in its own order; while every lane's clock only moves forward, each batch comes out in time
 * order; on one clock, as the threads of a process are, the whole output is, across batches,
 * though each lane (256 bytes, a batch taking 64 from each) has more than a batch takes. A lane
 * whose clock steps back keeps its own order all the same, and never stalls the merge.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumer } from '../../../src/consumer/consumer.js';
import type { Router } from '../../../src/consumer/router.js';
import { Flag, HEADER_BYTES, writeHeader } from '../../../src/record/descriptor.js';
import { allocateShared, viewShared } from '../../../src/ring/layout.js';
import { NO_SPACE, Ring } from '../../../src/ring/ring.js';

interface Seen {
  readonly lane: number;
  readonly seq: number;
  readonly time: number;
}

/** A router that keeps, per batch, what the consumer handed it (time from the header, lane and seq from the payload). */
function notingRouter(view: DataView) {
  const batches: Seen[][] = [[]];
  const router = {
    write(_bytes: unknown, index: number, length: number): number {
      expect(length).toBe(HEADER_BYTES + 16);
      batches.at(-1)!.push({ time: view.getFloat64(index, true), lane: view.getFloat64(index + HEADER_BYTES, true), seq: view.getFloat64(index + HEADER_BYTES + 8, true) });
      return 1;
    },
    flush: () => void batches.push([]),
    idle: () => {},
    takeFailed: () => 0,
    linesDropped: 0,
    bytesWritten: 0,
    rotations: 0,
  };
  return { router: router as unknown as Router, batches };
}

type Step = { kind: 'log'; lane: number; dt: number } | { kind: 'drain' };
/** 'lane': each lane has a clock of its own; 'global': one clock, as threads of one machine read. */
type Clock = 'lane' | 'global';

const steps = (lanes: number, back: boolean) =>
  fc.array(
    fc.oneof(
      { weight: 12, arbitrary: fc.record({ kind: fc.constant('log' as const), lane: fc.nat(lanes - 1), dt: back ? fc.integer({ min: -3, max: 2 }) : fc.nat(2) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
    ),
    { maxLength: 400 },
  );

function run(lanes: number, script: Step[], clock: Clock = 'lane'): { batches: Seen[][]; logged: Seen[] } {
  // 256-byte lanes hold 7 of these 40-byte frames: they fill and wrap every few records.
  const views = viewShared(allocateShared(256 * lanes, lanes));
  const view = new DataView(views.data.buffer, views.data.byteOffset, views.data.byteLength);
  const rings = views.lanes.map((_, lane) => new Ring(views, lane));
  const { router, batches } = notingRouter(view);
  const consumer = new Consumer(views, router);
  const clocks = new Array<number>(lanes).fill(1_700_000_000_000);
  let now = 1_700_000_000_000;
  const seqs = new Array<number>(lanes).fill(0);
  const logged: Seen[] = [];
  for (const step of script) {
    if (step.kind === 'drain') {
      while (consumer.drainBatch() > 0);
      continue;
    }
    const { lane } = step;
    const time = clock === 'global' ? (now += step.dt) : (clocks[lane]! += step.dt);
    const record: Seen = { lane, seq: seqs[lane]!++, time };
    let index = rings[lane]!.claim(HEADER_BYTES + 16, lane + 1);
    if (index === NO_SPACE) {
      while (consumer.drainBatch() > 0);
      index = rings[lane]!.claim(HEADER_BYTES + 16, lane + 1);
    }
    expect(index).not.toBe(NO_SPACE);
    writeHeader(view, index, record.time, lane + 1, 30, Flag.LINE, 1);
    view.setFloat64(index + HEADER_BYTES, lane, true);
    view.setFloat64(index + HEADER_BYTES + 8, record.seq, true);
    rings[lane]!.commit(index, HEADER_BYTES + 16);
    logged.push(record);
  }
  while (consumer.drainBatch() > 0);
  return { batches, logged };
}

function expectEachOnceInLaneOrder(lanes: number, batches: Seen[][], logged: Seen[]): void {
  const out = batches.flat();
  expect(out).toHaveLength(logged.length);
  for (let lane = 0; lane < lanes; lane++) {
    expect(out.filter((r) => r.lane === lane)).toEqual(logged.filter((r) => r.lane === lane));
  }
}

describe('the merge of lanes', () => {
  it.each([2, 4, 16])('%i lanes: every record once, each lane in order, each batch in time order', (lanes) => {
    fc.assert(
      fc.property(steps(lanes, false), (script) => {
        const { batches, logged } = run(lanes, script);
        expectEachOnceInLaneOrder(lanes, batches, logged);
        for (const batch of batches) {
          for (let i = 1; i < batch.length; i++) expect(batch[i]!.time).toBeGreaterThanOrEqual(batch[i - 1]!.time);
        }
      }),
      { numRuns: 150 },
    );
  });

  it.each([2, 4, 16])('%i lanes on one clock: the whole output in time order, across batches, though lanes fill their share of a batch', (lanes) => {
    fc.assert(
      fc.property(steps(lanes, false), (script) => {
        const { batches, logged } = run(lanes, script, 'global');
        expectEachOnceInLaneOrder(lanes, batches, logged);
        const out = batches.flat();
        for (let i = 1; i < out.length; i++) expect(out[i]!.time).toBeGreaterThanOrEqual(out[i - 1]!.time);
      }),
      { numRuns: 150 },
    );
  });

  it.each([2, 4])('%i lanes whose clocks step back: every record once, each lane in order', (lanes) => {
    fc.assert(
      fc.property(steps(lanes, true), (script) => {
        const { batches, logged } = run(lanes, script);
        expectEachOnceInLaneOrder(lanes, batches, logged);
      }),
      { numRuns: 150 },
    );
  });
});
