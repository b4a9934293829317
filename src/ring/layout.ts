import { LANES_MAX } from '../core/limits.js';

/**
 * The map of the one SharedArrayBuffer that producers and the consumer share: every slot, who
 * writes it and who reads it. Nothing else in ringlog computes an offset into the buffer.
 *
 * ```
 * byte 0        128       256       384       512       640       768            1024
 *      +---------+---------+---------+---------+---------+---------+--------------+
 *      | (free)  | (free)  | SLEEP   | LANES   | STATE   | counters| consumer     |  the control block
 *      |         |         |         |         | LOCK    | (int32) | stats (i64)  |
 *      +---------+---------+---------+---------+---------+---------+--------------+
 *      then, per lane:  | TAIL (LOCK ...) | HEAD | WAITERS WRITTEN |   (128 bytes each)
 *                       and a line lane's marks (LINE_MARKS x 16 bytes)
 *      then the data region, `capacity` bytes: lane 0's data, lane 1's, ...
 * ```
 * A lane is `capacity / lanes` bytes with cursors of its own; every producer thread writes in
 * one lane only (lanes.ts). Lanes exist because producers on other cores claiming in one ring
 * fight over its TAIL line and its frames: at 4 producers on 2 cores, claim + commit took
 * 250-580 ns per record in one ring and ~50 with a ring each.
 *
 * The lanes of a buffer are all of one kind, chosen when it is made (LANE_KIND): record lanes
 * (ring.ts: frames of encoded records, which the consumer renders and routes) or line lanes
 * (line-lane.ts: finished lines back to back, which the consumer writes as they are). The
 * LINE_LANE slots exist in line lanes only.
 *
 * Each hot cursor has a 128-byte line of its own: two cursors on one cache line make every CAS
 * on one invalidate the other's line (false sharing costs ~4x per atomic op), and 128 rather
 * than 64 because adjacent-line prefetchers pull pairs of lines on x86.
 *
 * | slot              | written by                         | read by                          |
 * |-------------------|------------------------------------|----------------------------------|
 * | lane TAIL         | the lane's producers (CAS, or lock)| those producers, flush(), consumer|
 * | line lane LOCK ...| the lane's producers, consumer     | the same (line-lane.ts)          |
 * | lane HEAD         | consumer (after zeroing)           | producers (space check, futex)   |
 * | lane WAITING      | producers blocked on a full lane   | consumer after moving HEAD       |
 * | lane WRITTEN      | consumer, after the sink's write   | flush() waiters (futex)          |
 * | CONSUMER_SLEEPING | consumer (1), a producer (1 -> 0)  | producers after each commit (line lanes: when LOCK has WAKE) |
 * | LANES, LANE_KIND  | allocateShared()                   | every thread that joins          |
 * | NEXT_LANE         | each new producer                  | each new producer                |
 * | STATE             | backend (close, exit)              | everyone                         |
 * | DRAIN_LOCK        | the thread that drains (CAS)       | consumer thread, exiting thread  |
 * | CONSUMER_BEAT     | the consumer, every loop and retry | producers blocked on a full ring |
 * | IN_FLIGHT         | the drainer, around each write     | backend, when a consumer died    |
 * | counters          | producers, consumer (Atomics.add)  | stats()                          |
 * | consumer stats    | the thread that drains             | stats()                          |
 *
 * All cursors are 32-bit byte positions that wrap every 4 GiB of traffic; see ring.ts.
 */

/**
 * The version of everything producers and the consumer share through the buffer: this map, the
 * frame (ring.ts) and the record format (record/descriptor.ts). The handle carries it, and
 * `connect()` refuses a handle of another version: a worker that loads another ringlog
 * installation than the main thread would otherwise write records the consumer misreads. Bump
 * it when any of the three changes in a way the other side cannot read.
 */
export const LAYOUT_VERSION = 4;

export const CONTROL_BYTES = 1024;
const LINE_BYTES = 128;
const LINE_SLOTS = LINE_BYTES / Int32Array.BYTES_PER_ELEMENT;
/** A lane's cursors: three lines. */
export const LANE_CONTROL_BYTES = 3 * LINE_BYTES;
/**
 * A line lane's marks (line-lane.ts): where the time of its lines changes, so that the consumer
 * can merge lanes by time without reading a line. A mark is [int32 position][int32 LINES][float64
 * time]; the producers write one when a line's millisecond differs from the last mark's.
 */
export const LINE_MARKS = 256;
export const MARK_BYTES = 16;

/** The bytes after the control block per lane: its cursors, and a line lane's marks after them. */
function laneControlBytes(kind: number): number {
  return LANE_CONTROL_BYTES + (kind === LaneKind.LINES ? LINE_MARKS * MARK_BYTES : 0);
}

/** Int32 slot indexes into the control block. */
export const Slot = Object.freeze({
  CONSUMER_SLEEPING: 2 * LINE_SLOTS,
  /** How many lanes the buffer has (set once by allocateShared()). */
  LANES: 3 * LINE_SLOTS,
  /** Bumped by each producer that joins: its lane is the count modulo LANES (lanes.ts). */
  NEXT_LANE: 3 * LINE_SLOTS + 1,
  /** What the lanes carry (LaneKind), set once by allocateShared(). */
  LANE_KIND: 3 * LINE_SLOTS + 2,
  STATE: 4 * LINE_SLOTS,
  DRAIN_LOCK: 4 * LINE_SLOTS + 1,
  /**
   * Bumped by the consumer at every turn of its loop and every slice of a retry sleep: a sign of
   * life for producers blocked on a full ring (see ring/liveness.ts). Wraps; only changes matter.
   */
  CONSUMER_BEAT: 4 * LINE_SLOTS + 2,
  /**
   * Lines of a batch whose ring space is released and whose write has not returned yet: what a
   * consumer that dies abruptly takes with it (counted as writeFailed by the backend).
   */
  IN_FLIGHT: 4 * LINE_SLOTS + 3,
  /** Records a producer dropped because the ring was full and `onFull` is 'drop'. */
  DROPPED_FULL: 5 * LINE_SLOTS,
  /** Log calls made after the backend closed. */
  DROPPED_CLOSED: 5 * LINE_SLOTS + 1,
  /** Records larger than the maximum record size, replaced by a short notice. */
  OVERSIZED: 5 * LINE_SLOTS + 2,
  /** Claims whose producer never committed them (it died mid-record), skipped by the consumer. */
  ABANDONED: 5 * LINE_SLOTS + 3,
  /** DROPPED_FULL as of the last "records dropped" line a drainer wrote (see drop-notice.ts). */
  DROPS_REPORTED: 5 * LINE_SLOTS + 4,
});

/** Int32 slot indexes into a lane's cursors (SharedViews.lanes[i].cursors). */
export const LaneSlot = Object.freeze({
  TAIL: 0,
  HEAD: LINE_SLOTS,
  /** Producers blocked on this lane being full: the consumer notifies HEAD when it is not 0. */
  PRODUCERS_WAITING: 2 * LINE_SLOTS,
  /** HEAD as of the end of the last write: everything before it has reached the OS. */
  WRITTEN: 2 * LINE_SLOTS + 1,
});

/**
 * A line lane's slots besides TAIL, HEAD, PRODUCERS_WAITING and WRITTEN (line-lane.ts). Those
 * its producers write sit on TAIL's line, which they write anyway; HEAD_LINES on HEAD's.
 */
export const LineLaneSlot = Object.freeze({
  /**
   * The tag of the thread that holds the lane (a producer appending, the consumer reading), 0
   * when free; and a bit the consumer sets before it sleeps (line-lane.ts, WAKE).
   */
  LOCK: 1,
  /** Bumped at every taking of LOCK: a holder that keeps LOCK for long without it moving is dead. */
  TURN: 2,
  /** Lines appended so far (wraps; differences with `| 0`). */
  LINES: 3,
  /** Where the data of the lap that ended last stops: the lane's end, or before it when a line did not fit there. */
  WRAP_FROM: 4,
  /** LINES at WRAP_FROM. */
  WRAP_LINES: 5,
  /** 1 once the lane is sealed: appends are refused (the backend closed). */
  SEALED: 6,
  /** Marks written so far (wraps): the next one goes at MARKS_TAIL % LINE_MARKS. */
  MARKS_TAIL: 7,
  /** LINES up to READ: the lane holds LINES - HEAD_LINES lines the consumer has not taken. */
  HEAD_LINES: LINE_SLOTS + 1,
  /**
   * How far the consumer has taken lines, published before it writes them; HEAD follows once
   * they are written (they are written from the lane). A consumer that dies in between leaves
   * READ ahead of HEAD: the next one goes on from READ, so a line is never written twice, and
   * the lines of the write it died in are counted as failed (Slot.IN_FLIGHT), as with records.
   */
  READ: LINE_SLOTS + 2,
  /** Marks the consumer has gone past (with READ): producers write a mark only while fewer than LINE_MARKS - 1 wait. */
  MARKS_READ: LINE_SLOTS + 3,
});

/** What a buffer's lanes carry (Slot.LANE_KIND). */
export const LaneKind = Object.freeze({
  /** Frames of encoded records (ring.ts). */
  RECORDS: 0,
  /** Finished lines, back to back (line-lane.ts). */
  LINES: 1,
});

/** BigInt64 slot indexes (counters that pass 2^32 in a long run), written by the drainer. */
export const Stat = Object.freeze({
  RECORDS_WRITTEN: 768 / 8,
  BYTES_WRITTEN: 768 / 8 + 1,
  ROTATIONS: 768 / 8 + 2,
  /**
   * Records that did not decode or render, and frames whose header could not be right (ring.ts):
   * a bug, or bytes damaged in shared memory, not bad input (hostile values are encoded safely).
   */
  RECORDS_FAILED: 768 / 8 + 3,
  /** Records rendered but never written: the disk failed past the retries, or the consumer died. */
  WRITE_FAILED: 768 / 8 + 4,
  /** Records a custom formatter failed on (it threw, or returned no string), written as JSON instead. */
  FORMAT_FAILED: 768 / 8 + 5,
  // Forwarding (forward/): the sender thread counts the first three, the receiver thread the rest.
  /** Lines the aggregator acknowledged. */
  FORWARDED: 768 / 8 + 6,
  /** Lines put in the spill file while the aggregator was away. */
  SPILLED: 768 / 8 + 7,
  /** Lines dropped because the spill file was full. */
  FORWARD_DROPPED: 768 / 8 + 8,
  /** Lines received from forwarding processes (an aggregator's). */
  RECEIVED: 768 / 8 + 9,
  /** Batches received again and dropped: their acknowledgement had been lost. */
  DUPLICATES: 768 / 8 + 10,
  /** Replayed batches of a session this aggregator did not know: a previous one may have written them. */
  MAYBE_DUPLICATED: 768 / 8 + 11,
});

/** Lifecycle of the backend, in the STATE slot; producers consult it on every claim. */
export const State = Object.freeze({
  RUNNING: 0,
  /** close() was called: the consumer drains what is committed, then stops. */
  CLOSING: 1,
  /** Nothing more will be written; log calls count as dropped. */
  CLOSED: 2,
});

/** One lane of the buffer: its cursors, and where its ring lies in the data region. */
export interface LaneViews {
  readonly cursors: Int32Array;
  /** A line lane's marks (LINE_MARKS of MARK_BYTES each): their byte offset in the buffer; 0 for record lanes. */
  readonly marks: number;
  /** Byte offset of the lane's ring in the data region. */
  readonly base: number;
  /** The lane's ring size in bytes: `capacity / lanes`. */
  readonly capacity: number;
}

/** Typed views over one shared buffer; cheap to build in every thread that joins. */
export interface SharedViews {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly stats: BigInt64Array;
  /** The data region, `capacity` bytes: every lane's ring. Payload indexes point into it. */
  readonly data: Uint8Array;
  readonly data32: Int32Array;
  /** The whole data region's size (the `bufferSize` option), all lanes together. */
  readonly capacity: number;
  readonly lanes: readonly LaneViews[];
  /** True when the lanes are line lanes (LaneKind.LINES), false for record lanes. */
  readonly lineLanes: boolean;
}

/**
 * Allocates the buffer and touches every page of it now. The OS maps a fresh buffer's pages on
 * first write, about a microsecond each, and a log call should not pay that on the ring's first
 * lap: the memory is committed at startup (4.5 ms for 8 MiB, 35 ms for 64 MiB here), as the
 * buffer size promises. `capacity` (a power of two) is split into `lanes` equal lanes, of
 * `kind` (LaneKind).
 */
export function allocateShared(capacity: number, lanes = 1, kind: number = LaneKind.RECORDS): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + lanes * laneControlBytes(kind) + capacity);
  const control = new Int32Array(buffer);
  control.fill(0);
  control[Slot.LANES] = lanes;
  control[Slot.LANE_KIND] = kind;
  return buffer;
}

/**
 * The smallest lane viewShared() accepts: room for a few frames. Options ask for 4 KiB lanes
 * (LANE_MIN_BYTES); tests build smaller rings to reach a wrap in a few records.
 */
const MIN_RING_BYTES = 64;

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

export function viewShared(buffer: SharedArrayBuffer): SharedViews {
  const control = buffer.byteLength >= CONTROL_BYTES ? new Int32Array(buffer, 0, CONTROL_BYTES / 4) : undefined;
  const lanes = control === undefined ? 0 : Atomics.load(control, Slot.LANES);
  const kind = control === undefined ? -1 : Atomics.load(control, Slot.LANE_KIND);
  const controlBytes = laneControlBytes(kind);
  const dataOffset = CONTROL_BYTES + lanes * controlBytes;
  const capacity = buffer.byteLength - dataOffset;
  if (!((kind === LaneKind.RECORDS || kind === LaneKind.LINES) && isPowerOfTwo(lanes) && lanes <= LANES_MAX && isPowerOfTwo(capacity) && capacity / lanes >= MIN_RING_BYTES)) {
    throw new RangeError(`ringlog: shared buffer of ${buffer.byteLength} bytes is not a ringlog buffer`);
  }
  const laneCapacity = capacity / lanes;
  return {
    buffer,
    control: new Int32Array(buffer, 0, CONTROL_BYTES / 4),
    stats: new BigInt64Array(buffer, 0, CONTROL_BYTES / 8),
    data: new Uint8Array(buffer, dataOffset, capacity),
    data32: new Int32Array(buffer, dataOffset, capacity / 4),
    capacity,
    lanes: Array.from({ length: lanes }, (_, lane) => ({
      cursors: new Int32Array(buffer, CONTROL_BYTES + lane * controlBytes, LANE_CONTROL_BYTES / 4),
      marks: kind === LaneKind.LINES ? CONTROL_BYTES + lane * controlBytes + LANE_CONTROL_BYTES : 0,
      base: lane * laneCapacity,
      capacity: laneCapacity,
    })),
    lineLanes: kind === LaneKind.LINES,
  };
}
