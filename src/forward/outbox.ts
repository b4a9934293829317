/**
 * The outbox: the bounded, shared queue between a forwarding process's drainer (the consumer
 * thread, or the main thread at exit) and its sender thread. The drainer appends each batch of
 * rendered lines as one entry; the sender ships entries and frees their space only once the
 * aggregator has acknowledged them (or they went to the spill file). So the outbox is also the
 * window of what may have to be sent again after a reconnect, and its size bounds it: when it
 * is full, the drainer waits, the ring fills, and `onFull` decides, as with a slow disk.
 *
 * ```
 * byte 0       128      256                                       256 + capacity
 *      +--------+--------+-----------------------------------------+
 *      | WRITE  | ACKED  | entries: [bytes i32][lines i32][lines]  |
 *      | CLOSING|        | ... padded to 4; bytes = -1: wrap to 0  |
 *      +--------+--------+-----------------------------------------+
 * ```
 * | slot    | written by                          | read by                       |
 * |---------|-------------------------------------|-------------------------------|
 * | WRITE   | the drainer, after an entry is whole | the sender (waitAsync)        |
 * | ACKED   | the sender, as entries are done      | the drainer waiting for room  |
 * | CLOSING | a drainer that closed its sink       | the sender: deliver or spill  |
 * | counters| the syslog sender (SENT, LOST); the  | the backend's stats()          |
 * | (i64)   | drainer's format (OVERSIZED)         |                               |
 *
 * Positions are 32-bit byte counters that wrap, as the ring's are; one drainer writes at a
 * time (the ring's drain lock), one sender reads.
 */

export const OUTBOX_CONTROL_BYTES = 256;
/** Each entry's header: its byte length and its number of lines. */
export const ENTRY_HEADER_BYTES = 8;
/** An entry's length word saying "the rest up to the end is filler: go on at 0". */
export const WRAP = -1;

/** Where the counters start: a cache line of their own, after ACKED's. */
const COUNTERS_BYTE = 192;

/** BigInt64 slots of `OutboxViews.counters`: a push sink's own counts (the forward sink's are the ring's Stat). */
export const OutboxCounter = Object.freeze({
  /** Lines handed to the collector's socket. */
  SENT: 0,
  /** Lines a broken connection may have taken with it, or dropped at close with the collector away: at most this many lost. */
  LOST: 1,
  /** Messages over maxMessageSize, sent as a notice instead. */
  OVERSIZED: 2,
});

export const OutboxSlot = Object.freeze({
  WRITE: 0,
  /** 1 once a drainer closed its forward sink: nothing more is coming soon, deliver or spill it now. */
  CLOSING: 1,
  ACKED: 128 / 4,
});

export interface OutboxViews {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly data: Uint8Array;
  readonly data32: Int32Array;
  readonly counters: BigInt64Array;
  readonly capacity: number;
  /** The largest entry's lines, in bytes: a quarter of the capacity. */
  readonly maxEntryBytes: number;
}

/** Allocates an outbox of `capacity` bytes (a power of two), touching every page now. */
export function allocateOutbox(capacity: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(OUTBOX_CONTROL_BYTES + capacity);
  new Int32Array(buffer).fill(0);
  return buffer;
}

export function viewOutbox(buffer: SharedArrayBuffer): OutboxViews {
  const capacity = buffer.byteLength - OUTBOX_CONTROL_BYTES;
  if (!(capacity >= 1024 && (capacity & (capacity - 1)) === 0)) {
    throw new RangeError(`ringlog: shared buffer of ${buffer.byteLength} bytes is not an outbox`);
  }
  return {
    buffer,
    control: new Int32Array(buffer, 0, OUTBOX_CONTROL_BYTES / 4),
    data: new Uint8Array(buffer, OUTBOX_CONTROL_BYTES, capacity),
    data32: new Int32Array(buffer, OUTBOX_CONTROL_BYTES, capacity / 4),
    counters: new BigInt64Array(buffer, COUNTERS_BYTE, (OUTBOX_CONTROL_BYTES - COUNTERS_BYTE) / 8),
    capacity,
    maxEntryBytes: capacity / 4 - ENTRY_HEADER_BYTES,
  };
}

/**
 * Says the drainer is done (close, exit): the sender delivers what is left now, or spills it at
 * once when the aggregator is away, instead of waiting spill.afterMs.
 */
export function markClosing(control: Int32Array): void {
  Atomics.store(control, OutboxSlot.CLOSING, 1);
  Atomics.notify(control, OutboxSlot.WRITE);
}

/** Bytes an entry of `bytes` line bytes takes, header and padding included. */
export function entrySpan(bytes: number): number {
  return (ENTRY_HEADER_BYTES + bytes + 3) & ~3;
}

/** One entry as the sender reads it. */
export interface Entry {
  /** Where its lines start in `data`. */
  readonly index: number;
  readonly bytes: number;
  readonly lines: number;
  /** The position after it (and after any filler before it). */
  readonly next: number;
}

/**
 * The entry at `position` (which must be below WRITE), skipping a wrap filler. Entries are
 * whole once WRITE passes them: the drainer stores WRITE after writing them.
 */
export function entryAt(views: OutboxViews, position: number): Entry {
  const mask = views.capacity - 1;
  let at = position & mask;
  let skipped = 0;
  if (views.data32[at >> 2] === WRAP) {
    skipped = views.capacity - at;
    at = 0;
  }
  const bytes = views.data32[at >> 2]!;
  const lines = views.data32[(at >> 2) + 1]!;
  return { index: at + ENTRY_HEADER_BYTES, bytes, lines, next: (position + skipped + entrySpan(bytes)) | 0 };
}

/** Bytes between two positions. */
export function distance(from: number, to: number): number {
  return (to - from) >>> 0;
}

/**
 * Frees every published entry not freed yet, as if it had been sent; returns how many lines
 * they held, for the sender to count as lost. For a drainer that has closed, with the peer away.
 */
export function dropEntries(views: OutboxViews): number {
  const write = Atomics.load(views.control, OutboxSlot.WRITE);
  const lines = linesBetween(views, Atomics.load(views.control, OutboxSlot.ACKED), write);
  Atomics.store(views.control, OutboxSlot.ACKED, write);
  Atomics.notify(views.control, OutboxSlot.ACKED);
  return lines;
}

/** Lines held in the entries from `from` up to `to`. */
export function linesBetween(views: OutboxViews, from: number, to: number): number {
  let lines = 0;
  for (let at = from; at !== to; ) {
    const entry = entryAt(views, at);
    lines += entry.lines;
    at = entry.next;
  }
  return lines;
}

/** One waitAsync on WRITE, before the watcher looks at CLOSING and its timers again. */
const WAIT_SLICE_MS = 250;
/** The slice of an idle watcher: WRITE wakes it, so an idle sender need not wake four times a second. */
const IDLE_WAIT_SLICE_MS = 5000;

/** What a sender thread does when the drainer publishes (or a slice passes). */
export interface OutboxWatcher {
  stopped(): boolean;
  /** Called at each wake with WRITE as it was loaded; waits on that value next. */
  wake(write: number): void;
  /** Nothing to time (connected, nothing owed): the long slice. */
  idle(): boolean;
}

/**
 * Waits on WRITE with waitAsync, so that a sender thread's event loop (its sockets, its timers)
 * runs while it waits, and calls `wake()` at each publication or slice; until `stopped()`.
 */
export function watchOutbox(views: OutboxViews, watcher: OutboxWatcher): void {
  const loop = async (): Promise<void> => {
    while (!watcher.stopped()) {
      const write = Atomics.load(views.control, OutboxSlot.WRITE);
      watcher.wake(write);
      if (watcher.stopped()) return;
      const wait = Atomics.waitAsync(views.control, OutboxSlot.WRITE, write, watcher.idle() ? IDLE_WAIT_SLICE_MS : WAIT_SLICE_MS);
      if (wait.async) await wait.value;
    }
  };
  void loop();
}
