/**
 * A line lane: finished lines back to back, in one lane of the shared buffer, so that the
 * consumer writes a batch as the bytes it finds (one copy per batch, no work per line). The
 * backend makes line lanes instead of record lanes (ring.ts) when every line a producer can
 * write is the line every sink wants: pino's JSON lines, one level for all sinks, no routing by
 * name (backend.ts says when). docs/ring.md has the long form.
 *
 * Why not frames: a frame's header sits between two records, so a batch of records is never
 * one run of bytes; the consumer visited each frame, copied each line out and zeroed the space
 * again, ~100 of the ~135 ns a record it cost. Here a lap of the lane is the file's bytes.
 *
 * The protocol. A producer takes the lane's LOCK (a CAS), writes its line at TAIL, counts it in
 * LINES, moves TAIL and releases LOCK (an exchange). A line is never split: one that does
 * not fit before the lane's end starts the next lap, and WRAP_FROM / WRAP_LINES say where the
 * lap's data stopped and how many lines it held. The consumer reads TAIL, LINES and the wrap
 * slots under the same LOCK (so they agree: a line is counted exactly when its bytes are in),
 * takes everything between HEAD and TAIL in one or two runs, and moves HEAD. Nothing is zeroed:
 * the consumer never reads past TAIL, so stale bytes there mean nothing.
 *
 * Why a lock and not a CAS on TAIL: lines have no headers, so a line claimed and not yet
 * written could not be told from one written. A lane usually has one producer (threads take
 * lanes in turn), whose lock is uncontended. A thread that shares a lane waits while another
 * copies one line (~50 ns), spinning first.
 *
 * Two atomic operations a line, the CAS that takes LOCK and the exchange that releases it: each
 * costs ~12 ns (V8 calls a builtin for every Atomics operation), as much as the line's copy.
 * Everything else the holder writes is a plain store, which the release publishes: TAIL too,
 * since the consumer reads it consistently under LOCK only. The consumer's wish to be woken
 * lives in LOCK as well (WAKE): the release's exchange reads it, where a separate flag cost a
 * third operation, and a separate published TAIL a fourth.
 *
 * A holder that dies (a worker terminated mid-call) never published its line: whoever waits for
 * LOCK takes it over once it has not moved for LOCK_DEAD_AFTER_MS (same holder, same TURN), and
 * the bytes it wrote past TAIL are written over. A holder that was only stalled that long writes
 * into a line that is no longer its own: the case traded away, as a frame's unblock() does.
 *
 * Cursors are 32-bit positions that wrap, as in ring.ts.
 */
import { LaneCursors } from './lane-cursors.js';
import { LaneSlot, LINE_MARKS, LineLaneSlot, MARK_BYTES, Slot, type SharedViews } from './layout.js';
import { NO_SPACE } from './ring.js';

/** What `begin()` returns when the lane is sealed (the backend closed): the line is not written. */
export const SEALED = -2;
export { NO_SPACE };

/**
 * LOCK's bit the consumer sets in every line lane before it sleeps (armWake()): the producer
 * whose release finds it wakes the consumer. The bits below it are the holder's tag, 0 when free.
 */
const WAKE = 1 << 30;
const HOLDER = WAKE - 1;
/** The tag the consumer holds LOCK with (producers hold it with threadId + 1, far below). */
const CONSUMER_TAG = HOLDER;
/** How long LOCK may stay with one holder and one TURN before a waiter takes it over. */
export const LOCK_DEAD_AFTER_MS = 1000;
/**
 * Loads of LOCK a waiter makes before it sleeps: a holder copies one line, tens of nanoseconds,
 * so nearly every wait ends while spinning; one that does not is a holder descheduled.
 */
const SPINS = 2000;
/** How long one sleep of a waiter for LOCK lasts (nobody notifies: holders would pay for it). */
const LOCK_NAP_MS = 1;

/** One run of a batch: `length` bytes from `index` of the data region, holding `lines` whole lines. */
export type RunVisitor = (index: number, length: number, lines: number) => void;

/**
 * Where the lines a snapshot holds change time (segments()): entry i is a segment's start, its
 * LINES there, its millisecond, and the marks consumed once the lines before it are; the entry
 * after the last segment is the snapshot's end. Arrays of LINE_MARKS + 2 entries.
 */
export interface Segments {
  readonly starts: Int32Array;
  readonly lines: Int32Array;
  readonly times: Float64Array;
  readonly marks: Int32Array;
}

/** Room for the segments of one snapshot of one lane. */
export function segmentsOfOneLane(): Segments {
  const size = LINE_MARKS + 2;
  return { starts: new Int32Array(size), lines: new Int32Array(size), times: new Float64Array(size), marks: new Int32Array(size) };
}

export class LineLane extends LaneCursors {
  /**
   * The longest line a producer may append: a quarter of the lane, so that a line and the skip
   * to the lap's end before it always fit an empty lane. maxRecordSize bounds a call's record as
   * encoded (producer.ts), as with record lanes; its JSON line may be longer (escapes), and up to
   * this it goes in.
   */
  readonly maxLineBytes: number;
  readonly #base: number;
  readonly #mask: number;
  /** The lane's marks: [position, LINES] as int32s at 4k, 4k + 1; the time as a float64 at 2k + 1. */
  readonly #markWords: Int32Array;
  readonly #markTimes: Float64Array;
  /** This thread's tag in LOCK. */
  readonly #tag: number;
  /** Producer side: HEAD as last read; it only grows, so an old value only makes room look smaller. */
  #head = 0;
  /** Producer side: where begin() put the line being written, and TAIL after it. */
  #start = 0;
  #end = 0;
  #wraps = false;
  /** Consumer side: the snapshot taken under LOCK. */
  #tail = 0;
  #lines = 0;
  #wrapFrom = 0;
  #wrapLines = 0;
  #marksTail = 0;
  /** Consumer side: LINES at HEAD. */
  #headLines = 0;
  /** Consumer side: the holder of LOCK last seen by unblock(), its TURN, and since when. */
  #seenHolder = 0;
  #seenTurn = 0;
  #seenSince = 0;

  /** Lane `lane` of `views`; `tag`: this thread's (threadId + 1 for a producer; the consumer's is its own). */
  constructor(views: SharedViews, lane: number, tag = CONSUMER_TAG) {
    super(views, lane);
    const { cursors, base, capacity } = views.lanes[lane]!;
    this.maxLineBytes = capacity / 4;
    this.#base = base;
    this.#mask = capacity - 1;
    this.#tag = tag;
    const marks = views.lanes[lane]!.marks;
    this.#markWords = new Int32Array(views.buffer, marks, (LINE_MARKS * MARK_BYTES) / 4);
    this.#markTimes = new Float64Array(views.buffer, marks, (LINE_MARKS * MARK_BYTES) / 8);
    this.#head = Atomics.load(cursors, LaneSlot.HEAD);
    this.#headLines = Atomics.load(cursors, LineLaneSlot.HEAD_LINES);
  }

  // ---- producer side -------------------------------------------------------------------------

  /**
   * Takes the lane for a line of `length` bytes (at most maxLineBytes): returns where in the
   * data region to write it, then `commit()` publishes it. NO_SPACE when the lane has no room
   * now, SEALED when it is sealed; the lane is then not taken. Nothing between begin() and
   * commit() may throw: the lane is held.
   */
  begin(length: number): number {
    this.#lock();
    const cursors = this.cursors;
    if (cursors[LineLaneSlot.SEALED] !== 0) {
      this.#unlock();
      return SEALED;
    }
    const capacity = this.capacity;
    // Plain reads: the slots the lock guards were last written by a holder before it released it.
    let tail = cursors[LaneSlot.TAIL]!;
    const at = tail & this.#mask;
    const skip = length > capacity - at ? capacity - at : 0;
    if (((tail - this.#head) >>> 0) + skip + length > capacity) {
      this.#head = Atomics.load(cursors, LaneSlot.HEAD);
      if (((tail - this.#head) >>> 0) + skip + length > capacity) {
        this.#unlock();
        return NO_SPACE;
      }
    }
    if (skip !== 0) {
      cursors[LineLaneSlot.WRAP_FROM] = tail;
      cursors[LineLaneSlot.WRAP_LINES] = cursors[LineLaneSlot.LINES]!;
      tail = (tail + skip) | 0;
    }
    this.#start = tail;
    this.#end = (tail + length) | 0;
    this.#wraps = (tail & this.#mask) + length === capacity;
    return this.#base + (tail & this.#mask);
  }

  /**
   * Publishes the line begin() placed, `lines` lines long (1, or more for a batch of them),
   * stamped at `time` (its record's millisecond), and releases the lane.
   */
  commit(lines: number, time: number): void {
    const cursors = this.cursors;
    this.#mark(time);
    const count = (cursors[LineLaneSlot.LINES]! + lines) | 0;
    cursors[LineLaneSlot.LINES] = count;
    if (this.#wraps) {
      // The line ends the lap exactly: the next one starts the next lap without a skip.
      cursors[LineLaneSlot.WRAP_FROM] = this.#end;
      cursors[LineLaneSlot.WRAP_LINES] = count;
    }
    // A plain store: #unlock() publishes it with the line, and the consumer reads it under LOCK.
    cursors[LaneSlot.TAIL] = this.#end;
    this.#unlock();
  }

  /**
   * A mark at the line being committed when its time differs from the last mark's (a float
   * compare for most lines). With LINE_MARKS - 1 marks unread the line joins the last mark's
   * run: the consumer is far behind, and its lines keep their lane's order, only their place
   * among other lanes' is then approximate.
   */
  #mark(time: number): void {
    const cursors = this.cursors;
    const tail = cursors[LineLaneSlot.MARKS_TAIL]!;
    const times = this.#markTimes;
    if (tail !== 0 && times[(((tail - 1) & (LINE_MARKS - 1)) << 1) + 1] === time) return;
    if (((tail - cursors[LineLaneSlot.MARKS_READ]!) | 0) >= LINE_MARKS - 1) return;
    const at = tail & (LINE_MARKS - 1);
    this.#markWords[at << 2] = this.#start;
    this.#markWords[(at << 2) + 1] = cursors[LineLaneSlot.LINES]!;
    times[(at << 1) + 1] = time;
    cursors[LineLaneSlot.MARKS_TAIL] = (tail + 1) | 0;
  }

  /**
   * One round of waiting for room for `length` bytes, as Ring.claimOrWait(): announce the wait,
   * try once more, then sleep until HEAD moves or `timeoutMs` passes. Returns begin()'s answer.
   */
  beginOrWait(length: number, timeoutMs: number): number {
    const cursors = this.cursors;
    Atomics.add(cursors, LaneSlot.PRODUCERS_WAITING, 1);
    try {
      const head = Atomics.load(cursors, LaneSlot.HEAD);
      const index = this.begin(length);
      if (index !== NO_SPACE) return index;
      Atomics.wait(cursors, LaneSlot.HEAD, head, timeoutMs);
      return this.begin(length);
    } finally {
      Atomics.sub(cursors, LaneSlot.PRODUCERS_WAITING, 1);
    }
  }

  isSealed(): boolean {
    return Atomics.load(this.cursors, LineLaneSlot.SEALED) !== 0;
  }

  /** Refuses every later line; lines appended before stay and are read as usual. Idempotent. */
  seal(): void {
    this.#lock();
    this.cursors[LineLaneSlot.SEALED] = 1;
    this.#unlock();
    // Producers sleeping on a full lane wake up, fail to begin and see why.
    Atomics.notify(this.cursors, LaneSlot.HEAD);
  }

  #lock(): void {
    const cursors = this.cursors;
    if (Atomics.compareExchange(cursors, LineLaneSlot.LOCK, 0, this.#tag) !== 0) this.#lockContended();
    cursors[LineLaneSlot.TURN] = (cursors[LineLaneSlot.TURN]! + 1) | 0;
  }

  /** LOCK was not 0: another holder, or only the consumer's WAKE (kept as it is). */
  #lockContended(): void {
    const cursors = this.cursors;
    for (let spins = 0; ; spins++) {
      if (this.#tryLock()) return;
      if (spins < SPINS) continue;
      const value = Atomics.load(cursors, LineLaneSlot.LOCK);
      if (this.#takeOverDead(value)) return;
      Atomics.wait(cursors, LineLaneSlot.LOCK, value, LOCK_NAP_MS);
    }
  }

  /** Takes LOCK if nobody holds it, keeping its WAKE bit. */
  #tryLock(): boolean {
    const cursors = this.cursors;
    const value = Atomics.load(cursors, LineLaneSlot.LOCK);
    return (value & HOLDER) === 0 && Atomics.compareExchange(cursors, LineLaneSlot.LOCK, value, value | this.#tag) === value;
  }

  /**
   * True when LOCK's holder (in `value`, as last read) has kept it, in the same TURN, for
   * LOCK_DEAD_AFTER_MS, and this thread took it over (counted as an abandoned claim).
   */
  #takeOverDead(value: number): boolean {
    const holder = value & HOLDER;
    if (holder === 0) return false;
    const turn = Atomics.load(this.cursors, LineLaneSlot.TURN);
    const now = Date.now();
    if (holder !== this.#seenHolder || turn !== this.#seenTurn || this.#seenSince === 0) {
      this.#seenHolder = holder;
      this.#seenTurn = turn;
      this.#seenSince = now;
      return false;
    }
    if (now - this.#seenSince < LOCK_DEAD_AFTER_MS) return false;
    // Fails when WAKE changed meanwhile: the next look tries again at once.
    if (Atomics.compareExchange(this.cursors, LineLaneSlot.LOCK, value, (value & WAKE) | this.#tag) !== value) return false;
    this.#seenSince = 0;
    Atomics.add(this.control, Slot.ABANDONED, 1);
    return true;
  }

  /**
   * Releases LOCK, publishing every store made under it; wakes the consumer when it asked to be
   * woken (an unlock that committed nothing wakes it too: cheaper than putting WAKE back).
   */
  #unlock(): void {
    if ((Atomics.exchange(this.cursors, LineLaneSlot.LOCK, 0) & WAKE) !== 0) this.wakeConsumer();
  }

  // ---- consumer side -------------------------------------------------------------------------

  /**
   * Reads TAIL, LINES and the wrap slots as of one instant, under LOCK. False when a producer
   * held the lane through the spins (the batch leaves it for the next one); a holder dead for
   * LOCK_DEAD_AFTER_MS is taken over, and the snapshot then taken.
   */
  snapshot(): boolean {
    const cursors = this.cursors;
    for (let spins = 0; !this.#tryLock(); spins++) {
      if (spins < SPINS) continue;
      if (!this.#takeOverDead(Atomics.load(cursors, LineLaneSlot.LOCK))) return false;
      break;
    }
    cursors[LineLaneSlot.TURN] = (cursors[LineLaneSlot.TURN]! + 1) | 0;
    this.#tail = cursors[LaneSlot.TAIL]!;
    this.#lines = cursors[LineLaneSlot.LINES]!;
    this.#wrapFrom = cursors[LineLaneSlot.WRAP_FROM]!;
    this.#wrapLines = cursors[LineLaneSlot.WRAP_LINES]!;
    this.#marksTail = cursors[LineLaneSlot.MARKS_TAIL]!;
    this.#unlock();
    return true;
  }

  /**
   * The segments of what the last snapshot holds past READ, into `out` (see Segments); returns
   * how many. The first starts at READ, with the time of the last mark read before it (-Infinity
   * when there is none: lines with no mark to go by go first).
   */
  segments(out: Segments): number {
    const cursors = this.cursors;
    const read = Atomics.load(cursors, LineLaneSlot.READ);
    let marks = Atomics.load(cursors, LineLaneSlot.MARKS_READ);
    const tail = this.#tail;
    if (read === tail) return 0;
    const words = this.#markWords;
    const times = this.#markTimes;
    const { starts, lines, times: segmentTimes, marks: segmentMarks } = out;
    starts[0] = read;
    lines[0] = this.#headLines;
    segmentTimes[0] = marks === 0 ? Number.NEGATIVE_INFINITY : times[(((marks - 1) & (LINE_MARKS - 1)) << 1) + 1]!;
    segmentMarks[0] = marks;
    let count = 1;
    for (; marks !== this.#marksTail; marks = (marks + 1) | 0) {
      const at = marks & (LINE_MARKS - 1);
      const position = words[at << 2]!;
      const time = times[(at << 1) + 1]!;
      if (position === starts[count - 1]) {
        // A mark where the segment starts (READ): it gives that segment its time.
        segmentTimes[count - 1] = time;
        segmentMarks[count - 1] = (marks + 1) | 0;
        continue;
      }
      starts[count] = position;
      lines[count] = words[(at << 2) + 1]!;
      segmentTimes[count] = time;
      segmentMarks[count] = (marks + 1) | 0;
      count++;
    }
    starts[count] = tail;
    lines[count] = this.#lines;
    segmentMarks[count] = this.#marksTail;
    return count;
  }

  /**
   * Takes the lines from READ up to `end` (a segment's start, or the snapshot's end), `endLines`
   * being LINES there and `marks` the marks read once past it, and visits them in one run or two
   * (the lap's end, then the next lap's start). Returns the bytes taken.
   */
  take(end: number, endLines: number, marks: number, visit: RunVisitor): number {
    const head = Atomics.load(this.cursors, LineLaneSlot.READ);
    const pending = (end - head) | 0;
    if (pending <= 0) return 0;
    Atomics.store(this.cursors, LineLaneSlot.MARKS_READ, marks);
    const lapEnd = ((head & ~this.#mask) + this.capacity) | 0;
    const start = this.#base + (head & this.#mask);
    if (((end - lapEnd) | 0) < 0) {
      this.#take(start, pending, end, endLines, visit);
      return pending;
    }
    // At or past the lap's end: the lap's data stops at WRAP_FROM (the bytes after it were
    // skipped), and what follows starts the next lap. (`end` is at the lap's end exactly when a
    // line starts the next lap there, which wrote the wrap slots, or when one ended there.)
    const first = (this.#wrapFrom - head) | 0;
    if (first > 0) this.#take(start, first, this.#wrapFrom, this.#wrapLines, visit);
    this.#take(this.#base, (end - lapEnd) | 0, end, endLines, visit);
    return pending;
  }

  /**
   * Visits what the last snapshot holds past HEAD, in one run or two (the lap's end, then the
   * next lap's start), each of whole lines; returns the bytes read, which `release()` gives
   * back once the runs are written (the sinks may write them from the lane itself). A run's
   * lines are the consumer's from its visit on: READ and HEAD_LINES move past it just before
   * (see LineLaneSlot.READ), so that lines in a write that never returns are counted once, as
   * in flight, not also as waiting here, and a second run is still the lane's while the first
   * is written.
   */
  read(visit: RunVisitor): number {
    return this.take(this.#tail, this.#lines, this.#marksTail, visit);
  }

  /** One run, ending at position `end` with LINES at `lines`: READ and HEAD_LINES move past it, then it is visited. */
  #take(index: number, length: number, end: number, lines: number, visit: RunVisitor): void {
    const cursors = this.cursors;
    const count = (lines - this.#headLines) | 0;
    this.#headLines = lines;
    Atomics.store(cursors, LineLaneSlot.HEAD_LINES, lines);
    Atomics.store(cursors, LineLaneSlot.READ, end);
    if (length > 0) visit(index, length, count);
  }

  /** Gives back what was read, once written: HEAD moves to READ, and producers waiting for room wake. */
  release(): void {
    const cursors = this.cursors;
    const read = Atomics.load(cursors, LineLaneSlot.READ);
    if (read === Atomics.load(cursors, LaneSlot.HEAD)) return;
    // publish: producers may write over the bytes read from here on.
    Atomics.store(cursors, LaneSlot.HEAD, read);
    if (Atomics.load(cursors, LaneSlot.PRODUCERS_WAITING) > 0) Atomics.notify(cursors, LaneSlot.HEAD);
  }

  /** Where the consumer's reading stands: READ (its lines may still be in a write). */
  consumed(): number {
    return Atomics.load(this.cursors, LineLaneSlot.READ);
  }

  /** Everything read counts as written (or given up on): HEAD and WRITTEN move to READ. */
  settle(): void {
    this.release();
    this.markWritten(this.consumed());
  }

  /**
   * Called by the consumer when it found nothing: a holder that kept LOCK for
   * LOCK_DEAD_AFTER_MS is taken over and LOCK released (its line was never published).
   * Returns true when one was.
   */
  unblock(): boolean {
    if (!this.#takeOverDead(Atomics.load(this.cursors, LineLaneSlot.LOCK))) return false;
    this.#unlock();
    return true;
  }

  /**
   * The consumer is about to sleep: the next release of LOCK wakes it. It reads TAIL after this
   * (hasCommitted()): a release before this one published its TAIL to that read (both are
   * operations on LOCK), a release after it sees WAKE.
   */
  override armWake(): void {
    Atomics.or(this.cursors, LineLaneSlot.LOCK, WAKE);
  }

  /** The consumer is awake again: producers' releases need not wake it. */
  override disarmWake(): void {
    Atomics.and(this.cursors, LineLaneSlot.LOCK, HOLDER);
  }

  // ---- both (the Lane interface of lanes.ts) -------------------------------------------------

  /** TAIL: every line appended before now lies below it. */
  end(): number {
    return Atomics.load(this.cursors, LaneSlot.TAIL);
  }

  /** Bytes appended and not yet released. */
  used(): number {
    return (this.end() - this.head()) >>> 0;
  }

  /** True when lines wait past READ. */
  hasCommitted(): boolean {
    return this.end() !== this.consumed();
  }

  /** Lines appended and not yet read, as of now (LINES read without the lock: exact once appends stop). */
  committedRecords(): number {
    return (Atomics.load(this.cursors, LineLaneSlot.LINES) - Atomics.load(this.cursors, LineLaneSlot.HEAD_LINES)) | 0;
  }

}
