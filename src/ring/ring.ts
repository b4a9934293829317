/**
 * The ring protocol: many producers, one consumer, one SharedArrayBuffer, no locks.
 * Pure Atomics, no I/O, no knowledge of what a record contains. The design follows Agrona's
 * ManyToOneRingBuffer; docs/ring.md has the long form. A Ring is one lane of the buffer
 * (layout.ts): its cursors and its share of the data region; lanes.ts handles them together.
 *
 * A frame, 8-byte aligned, in the data region:
 * ```
 *  0         4           8                        length     align8(length)
 *  +---------+-----------+------------------------+----------+
 *  | length  | producer  | payload                | zero pad |
 *  +---------+-----------+------------------------+----------+
 *  length  (int32) 0: not written yet   < 0: claimed, being written   > 0: committed
 *  producer (int32) the claimer's producer id, or PADDING for the filler before a wrap
 * ```
 *
 * Claim: one CAS moves TAIL past the frame (and past the padding to the end of the data region
 * when the frame does not fit before it, so a frame is always contiguous). The claimer then
 * writes its id and `-length`, fills the payload, and commits by storing `+length`.
 * Read: the consumer walks frames from HEAD and stops at the first length <= 0; frames are
 * consumed strictly in claim order. Release: the consumer zeroes what it consumed and only then
 * moves HEAD, so a producer that claims that space on the next lap finds zeros ("not written")
 * in every header it has not yet written.
 *
 * Cursors are 32-bit byte positions that wrap every 4 GiB of traffic: differences are taken
 * with `| 0`, which is exact while the capacity stays below 2^31 (it is at most 1 GiB), and
 * `position & mask` is the index because the capacity is a power of two dividing 2^32.
 *
 * Damaged headers. Any thread can write anywhere in the buffer (a bug, a stray write, a producer
 * of another ringlog version), so the consumer checks each committed length against what a claim
 * can make before it trusts it: at least a frame header, within the data region and within the
 * claims (below TAIL). So no length makes it read outside the ring or move HEAD past TAIL, and a
 * payload is at most the capacity, which bounds what the consumer allocates for one. (Record
 * frames are at most capacity / 8, but claim() leaves that limit to producers, and a skipped
 * dead claim may be longer: see `unblock()`.) A frame that fails is visited as an empty
 * payload, which no record is, so the consumer counts it as failed, and the read goes on from
 * the next place a frame is known to start: the start of the data region (frames never cross
 * its end) or the end of the claims, whichever comes first. The records in between are lost with it; a producer still
 * writing one of them writes into space given back (this is the price of not stalling). A
 * positive length at or past the end of the claims is a stray write into free space, not a
 * frame: it is not read, and the next claim there writes over it. What no check can tell: a
 * stray write that forges a plausible header (its frame is read as a record, and the decoder
 * and renderers count what does not parse), or one that marks a frame as padding (skipped).
 */
import { LaneCursors } from './lane-cursors.js';
import { LaneSlot, type SharedViews } from './layout.js';

export const FRAME_HEADER_BYTES = 8;
/** Producer id written in the header of the filler frame before a wrap. */
export const PADDING = -1;
/** What `claim()` returns when the ring has no room for the frame right now. */
export const NO_SPACE = -1;

const ALIGN_MASK = 7;
/** How far past a capacity ahead of the last claim `seal()` moves TAIL. */
const SEAL_DISTANCE = FRAME_HEADER_BYTES;

/** The largest record (frame) a ring of `capacity` bytes takes: an eighth of it. */
export function maxRecordBytesOf(capacity: number): number {
  return capacity / 8;
}

/** The largest payload of a lane of `capacity` bytes when records are limited to `maxRecordBytes` (frame header included). */
export function maxPayloadBytesOf(capacity: number, maxRecordBytes = Number.POSITIVE_INFINITY): number {
  return Math.min(maxRecordBytes, maxRecordBytesOf(capacity)) - FRAME_HEADER_BYTES;
}

export function frameBytes(payloadBytes: number): number {
  return (FRAME_HEADER_BYTES + payloadBytes + ALIGN_MASK) & ~ALIGN_MASK;
}

/**
 * Consumer's per-frame callback: where the payload is in `views.data`, its size, its claimer,
 * and the bytes `read()` will have consumed once past this frame (what `release()` would take
 * to give back everything up to and including it). A size of DAMAGED (0: no record is empty)
 * stands for a frame whose header cannot be right (see the header), whose bytes are not to be read.
 */
export type FrameVisitor = (payloadIndex: number, payloadBytes: number, producerId: number, consumedAfter: number) => void;

/** The payload size `read()` visits a damaged frame with. */
export const DAMAGED = 0;

export class Ring extends LaneCursors {
  /**
   * The largest payload a producer may claim: by default an eighth of the ring less the frame
   * header, as in Agrona. A frame can cost up to twice its size at a wrap (padding + frame), and
   * a ring that can hold only a few records at a time turns every claim into a wait. The
   * `maxRecordSize` option lowers it (`maxRecordBytes` below, which counts the frame header).
   */
  readonly maxPayloadBytes: number;
  /** The lane's data region only: the protocol works in lane indexes, from 0. */
  readonly #data32: Int32Array;
  /** Where the lane starts in the data region: what turns a lane index into a payload index. */
  readonly #base: number;
  readonly #mask: number;
  /** TAIL - HEAD as of the last `#snapshot()`, unsigned. */
  #distance = 0;

  /**
   * The ring of lane `lane`. `maxRecordBytes`: the largest frame (header included) producers of
   * this Ring may claim, at most and by default an eighth of the lane; options.ts checks the
   * configured value.
   */
  constructor(views: SharedViews, lane = 0, maxRecordBytes = Number.POSITIVE_INFINITY) {
    super(views, lane);
    const { base, capacity } = views.lanes[lane]!;
    this.maxPayloadBytes = maxPayloadBytesOf(capacity, maxRecordBytes);
    this.#data32 = views.data32.subarray(base >> 2, (base + capacity) >> 2);
    this.#base = base;
    this.#mask = capacity - 1;
  }

  /**
   * Sets both cursors to `position`. Only for a ring nobody uses yet: the backend starts at 0,
   * and tests start near 2^32 to cross the cursor wrap.
   */
  reset(position: number): void {
    const cursors = this.cursors;
    Atomics.store(cursors, LaneSlot.TAIL, position | 0);
    Atomics.store(cursors, LaneSlot.HEAD, position | 0);
    Atomics.store(cursors, LaneSlot.WRITTEN, position | 0);
  }

  // ---- producer side -------------------------------------------------------------------------

  /**
   * Claims a frame for `payloadBytes` (at most `maxPayloadBytes`) and returns the index of its
   * payload in the data region, or NO_SPACE. The caller must fill the payload and `commit()`.
   */
  claim(payloadBytes: number, producerId: number): number {
    const cursors = this.cursors;
    const capacity = this.capacity;
    const required = frameBytes(payloadBytes);
    let tail: number;
    let padding: number;
    do {
      // HEAD before TAIL: HEAD only grows and never passes TAIL, so this TAIL is at or beyond
      // this HEAD and the distance is exact; it exceeds the capacity only in a sealed ring.
      const head = Atomics.load(cursors, LaneSlot.HEAD);
      tail = Atomics.load(cursors, LaneSlot.TAIL);
      const toEnd = capacity - (tail & this.#mask);
      padding = required > toEnd ? toEnd : 0;
      if (((tail - head) >>> 0) + padding + required > capacity) return NO_SPACE;
    } while (Atomics.compareExchange(cursors, LaneSlot.TAIL, tail, (tail + padding + required) | 0) !== tail);

    const data32 = this.#data32;
    let index = tail & this.#mask;
    if (padding !== 0) {
      data32[(index >> 2) + 1] = PADDING;
      // publish: the consumer may skip the filler from here on.
      Atomics.store(data32, index >> 2, padding);
      index = 0;
    }
    data32[(index >> 2) + 1] = producerId;
    // The claim is now "being written", for unblock() to size it. A plain store: only unblock(),
    // a second after the claim, tells it from 0 (the read loop stops at either), and commit()'s
    // Atomics.store publishes it with the record in any case. An Atomics.store here is a full
    // barrier (x86 xchg) paid by every log call: ~25 ns of the ~135 ns claim + commit took.
    data32[index >> 2] = -(FRAME_HEADER_BYTES + payloadBytes);
    return this.#base + index + FRAME_HEADER_BYTES;
  }

  /** Publishes a claimed frame and wakes the consumer if it said it sleeps. */
  commit(payloadIndex: number, payloadBytes: number): void {
    // publish: the consumer may read the record from here on.
    Atomics.store(this.#data32, (payloadIndex - this.#base - FRAME_HEADER_BYTES) >> 2, FRAME_HEADER_BYTES + payloadBytes);
    this.wakeConsumer();
  }

  /**
   * One round of waiting for space: announce the wait, try once more, then sleep until HEAD moves
   * or `timeoutMs` passes. Returns a claimed payload index or NO_SPACE (the caller decides
   * whether to go round again). The announce-then-recheck order pairs with `release()`, which
   * moves HEAD and then reads PRODUCERS_WAITING: one of the two always sees the other.
   */
  claimOrWait(payloadBytes: number, producerId: number, timeoutMs: number): number {
    const cursors = this.cursors;
    Atomics.add(cursors, LaneSlot.PRODUCERS_WAITING, 1);
    try {
      const head = Atomics.load(cursors, LaneSlot.HEAD);
      const index = this.claim(payloadBytes, producerId);
      if (index !== NO_SPACE) return index;
      Atomics.wait(cursors, LaneSlot.HEAD, head, timeoutMs);
      return this.claim(payloadBytes, producerId);
    } finally {
      Atomics.sub(cursors, LaneSlot.PRODUCERS_WAITING, 1);
    }
  }

  /**
   * The position after the last claim: every record committed before now lies below it. In a
   * sealed ring, the position after the last claim made before the seal.
   */
  end(): number {
    const tail = this.#snapshot();
    return this.#distance > this.capacity ? (tail - SEAL_DISTANCE - this.capacity) | 0 : tail;
  }

  /**
   * Reads TAIL, and in `#distance` how far it is ahead of HEAD, as of one instant. Reading HEAD
   * and then TAIL is not enough: between the two loads the consumer may free space and
   * producers claim it, and TAIL then looks more than a capacity ahead of the HEAD read before,
   * which is what a sealed ring looks like. HEAD only grows, so when it reads the same before
   * and after TAIL, it held that value when TAIL was read. (The claim path needs none of this:
   * a stale HEAD there only makes a claim fail that could have fitted, and it is retried.)
   */
  #snapshot(): number {
    const cursors = this.cursors;
    for (;;) {
      const head = Atomics.load(cursors, LaneSlot.HEAD);
      const tail = Atomics.load(cursors, LaneSlot.TAIL);
      if (Atomics.load(cursors, LaneSlot.HEAD) === head) {
        this.#distance = (tail - head) >>> 0;
        return tail;
      }
    }
  }

  /** Bytes claimed and not yet released, as of one instant: how full the ring is. */
  used(): number {
    this.#snapshot();
    const distance = this.#distance;
    // A sealed ring's TAIL stands a capacity and SEAL_DISTANCE past its last claim (seal()).
    return distance > this.capacity ? distance - this.capacity - SEAL_DISTANCE : distance;
  }

  // ---- consumer side -------------------------------------------------------------------------

  /** Where the consumer's reading stands: HEAD (a batch gives its space back before its write). */
  consumed(): number {
    return this.head();
  }

  /** Everything consumed counts as written (or given up on): WRITTEN moves to HEAD. */
  settle(): void {
    this.markWritten(this.head());
  }

  /**
   * Visits committed frames from HEAD in claim order, stopping at the first frame not yet
   * committed or once `maxBytes` have been visited. Returns the bytes visited, for `release()`.
   * The visitor must copy what it needs: the bytes are reused after `release()`. `from`: where a
   * read of this batch's HEAD stopped before (the frames up to it were visited then and not
   * released), to go on from there; the count returned is from HEAD, `from` included.
   */
  read(visit: FrameVisitor, maxBytes: number, from = 0): number {
    const data32 = this.#data32;
    const mask = this.#mask;
    const capacity = this.capacity;
    const head = Atomics.load(this.cursors, LaneSlot.HEAD);
    // Never more than one lap: in a ring full of committed frames, the frame after the last
    // one read is the first one again (it is zeroed only on release).
    const limit = Math.min(maxBytes, capacity);
    // How far the claims went past HEAD, as of the last look at TAIL: read once a batch, and
    // again only when a frame seems to end past it (records committed since). Every committed
    // frame lies below TAIL, so `consumed` never passes it and release() never moves HEAD
    // past TAIL, whatever a header says.
    let claimed = 0;
    let consumed = from;
    while (consumed < limit) {
      const index = (head + consumed) & mask;
      const length = Atomics.load(data32, index >> 2);
      if (length <= 0) break;
      const producerId = data32[(index >> 2) + 1]!;
      // `length <= capacity - index` is the aligned frame fitting before the end (the room is a
      // multiple of 8), and keeps the alignment below from overflowing an int32 (2^31 - 1 would).
      const fits = length >= FRAME_HEADER_BYTES && length <= capacity - index;
      let frame = fits ? (length + ALIGN_MASK) & ~ALIGN_MASK : FRAME_HEADER_BYTES;
      if (consumed + frame > claimed) {
        claimed = (this.end() - head) | 0;
        // A positive length where nothing is claimed: a stray write into free space, not a frame.
        if (consumed >= claimed) break;
      }
      if (!fits || consumed + frame > claimed) {
        // A length no claim makes (see the header): count it, and go on where a frame starts.
        frame = Math.min(capacity - index, claimed - consumed);
        visit(this.#base + index + FRAME_HEADER_BYTES, DAMAGED, producerId, consumed + frame);
      } else if (producerId !== PADDING) {
        visit(this.#base + index + FRAME_HEADER_BYTES, length - FRAME_HEADER_BYTES, producerId, consumed + frame);
      }
      consumed += frame;
    }
    return consumed;
  }

  /**
   * Committed records from HEAD up to the first frame not committed, without consuming them: what
   * would be lost if no one drained the ring any more.
   */
  committedRecords(): number {
    let records = 0;
    this.read(() => records++, this.capacity);
    return records;
  }

  /** Frees `bytes` visited by `read()`: zero them, move HEAD, wake producers waiting for space. */
  release(bytes: number): void {
    if (bytes === 0) return;
    const cursors = this.cursors;
    const head = Atomics.load(cursors, LaneSlot.HEAD);
    const start = head & this.#mask;
    const end = start + bytes;
    // Frames are 8-byte aligned, so whole int32s: on shared memory, a Uint8Array fill stores
    // byte by byte and is 4x slower than an Int32Array fill (2.3 vs 0.57 ms per 8 MiB).
    const data32 = this.#data32;
    if (end <= this.capacity) {
      data32.fill(0, start >> 2, end >> 2);
    } else {
      data32.fill(0, start >> 2, this.capacity >> 2);
      data32.fill(0, 0, (end - this.capacity) >> 2);
    }
    // publish: producers may claim the zeroed bytes from here on.
    Atomics.store(cursors, LaneSlot.HEAD, (head + bytes) | 0);
    if (Atomics.load(cursors, LaneSlot.PRODUCERS_WAITING) > 0) Atomics.notify(cursors, LaneSlot.HEAD);
  }

  /**
   * Refuses every later claim; claims made before stay valid and are read as usual, up to
   * `end()`. TAIL moves more than a capacity ahead of the last claim, which no claim can fit
   * beside however far HEAD advances; `end()` recovers where the claims stopped. Idempotent.
   * The distance stays below 2^32 (at most 2 GiB + 8 for a 1 GiB ring), so unsigned
   * differences still tell a sealed ring from an open one.
   */
  seal(): void {
    const cursors = this.cursors;
    for (;;) {
      const tail = this.#snapshot();
      if (this.#distance > this.capacity) return;
      if (Atomics.compareExchange(cursors, LaneSlot.TAIL, tail, (tail + this.capacity + SEAL_DISTANCE) | 0) === tail) {
        // Producers sleeping on a full ring wake up, fail to claim and see why.
        Atomics.notify(cursors, LaneSlot.HEAD);
        return;
      }
    }
  }

  /**
   * Skips the claim at HEAD that its producer never committed, by turning it into padding.
   * Called by the consumer only after HEAD has not moved for a long time (see consumer.ts): the
   * claimer is then taken to be dead. Returns true when a claim was skipped.
   *
   * Two cases. The header says "being written" (length < 0): the frame's size is known, and a
   * CAS to +length takes it over unless the producer commits first; only after the CAS is the
   * frame marked PADDING, so a commit that wins the race is read as a record, never skipped.
   * The header is still 0: the claimer died between its CAS on TAIL and writing the header, so
   * nothing of its frame was written and every byte of it is zero; the frame ends at the next
   * 8-byte slot holding a non-zero header (or at TAIL, or at the end of the data region).
   */
  unblock(): boolean {
    const cursors = this.cursors;
    const data32 = this.#data32;
    const head = Atomics.load(cursors, LaneSlot.HEAD);
    const pending = (this.end() - head) | 0;
    if (pending <= 0) return false;
    const index = head & this.#mask;
    const slot = index >> 2;
    const length = Atomics.load(data32, slot);
    if (length > 0) return false;
    let skip: number;
    if (length < 0) {
      skip = -length;
      // A "being written" length no claim makes (a stray write; -2^31 would even stay negative
      // once stored): skip to where a frame is known to start, as read() does.
      if (!(skip >= FRAME_HEADER_BYTES && skip <= this.capacity - index && skip <= pending)) skip = Math.min(this.capacity - index, pending);
    } else {
      const end = Math.min(this.capacity, index + pending);
      let next = index + FRAME_HEADER_BYTES;
      while (next < end && Atomics.load(data32, next >> 2) === 0) next += FRAME_HEADER_BYTES;
      skip = next - index;
    }
    if (Atomics.compareExchange(data32, slot, length, skip) !== length) return false;
    data32[slot + 1] = PADDING;
    return true;
  }

  isSealed(): boolean {
    this.#snapshot();
    return this.#distance > this.capacity;
  }

  /**
   * True when a committed frame waits at HEAD. A positive length at HEAD when nothing is claimed
   * is a stray write, not a frame: read() leaves it, so the consumer may sleep on it.
   */
  hasCommitted(): boolean {
    const head = Atomics.load(this.cursors, LaneSlot.HEAD);
    return Atomics.load(this.#data32, (head & this.#mask) >> 2) > 0 && this.end() !== head;
  }
}
