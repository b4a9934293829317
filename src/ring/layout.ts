/**
 * The map of the one SharedArrayBuffer that producers and the consumer share: every slot, who
 * writes it and who reads it. Nothing else in ringlog computes an offset into the buffer.
 *
 * ```
 * byte 0        128       256       384       512       640       768            1024
 *      +---------+---------+---------+---------+---------+---------+--------------+----------------+
 *      | TAIL    | HEAD    | SLEEP   | WRITTEN | STATE   | counters| consumer     | ring data      |
 *      |         |         | WAITERS |         | LOCK    | (int32) | stats (i64)  | capacity bytes |
 *      +---------+---------+---------+---------+---------+---------+--------------+----------------+
 * ```
 * Each hot cursor has a 128-byte line of its own: two cursors on one cache line make every CAS
 * on one invalidate the other's line (false sharing costs ~4x per atomic op), and 128 rather
 * than 64 because adjacent-line prefetchers pull pairs of lines on x86.
 *
 * | slot              | written by                         | read by                          |
 * |-------------------|------------------------------------|----------------------------------|
 * | TAIL              | producers (CAS)                    | producers, flush()               |
 * | HEAD              | consumer (after zeroing)           | producers (space check, futex)   |
 * | CONSUMER_SLEEPING | consumer (1), a producer (1 -> 0)  | producers after each commit      |
 * | PRODUCERS_WAITING | producers blocked on a full ring   | consumer after moving HEAD       |
 * | WRITTEN           | consumer, after the sink's write   | flush() waiters (futex)          |
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
export const LAYOUT_VERSION = 1;

export const CONTROL_BYTES = 1024;
const LINE_SLOTS = 128 / Int32Array.BYTES_PER_ELEMENT;

/** Int32 slot indexes into the control block. */
export const Slot = Object.freeze({
  TAIL: 0,
  HEAD: LINE_SLOTS,
  CONSUMER_SLEEPING: 2 * LINE_SLOTS,
  PRODUCERS_WAITING: 2 * LINE_SLOTS + 1,
  WRITTEN: 3 * LINE_SLOTS,
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

/** Typed views over one shared buffer; cheap to build in every thread that joins. */
export interface SharedViews {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly stats: BigInt64Array;
  /** The ring's data region, `capacity` bytes. */
  readonly data: Uint8Array;
  readonly data32: Int32Array;
  readonly capacity: number;
}

/**
 * Allocates the buffer and touches every page of it now. The OS maps a fresh buffer's pages on
 * first write, about a microsecond each, and a log call should not pay that on the ring's first
 * lap: the memory is committed at startup (4.5 ms for 8 MiB, 35 ms for 64 MiB here), as the
 * buffer size promises.
 */
export function allocateShared(capacity: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + capacity);
  new Int32Array(buffer).fill(0);
  return buffer;
}

export function viewShared(buffer: SharedArrayBuffer): SharedViews {
  const capacity = buffer.byteLength - CONTROL_BYTES;
  if (!(capacity > 0 && (capacity & (capacity - 1)) === 0)) {
    throw new RangeError(`ringlog: shared buffer of ${buffer.byteLength} bytes is not a ringlog buffer`);
  }
  return {
    buffer,
    control: new Int32Array(buffer, 0, CONTROL_BYTES / 4),
    stats: new BigInt64Array(buffer, 0, CONTROL_BYTES / 8),
    data: new Uint8Array(buffer, CONTROL_BYTES, capacity),
    data32: new Int32Array(buffer, CONTROL_BYTES, capacity / 4),
    capacity,
  };
}
