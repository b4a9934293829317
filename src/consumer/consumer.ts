/**
 * The consumer: drains the ring in batches, has the router render each record and buffer its
 * lines in the sinks that take it, and writes whole batches out. It runs in the consumer thread
 * (`run()`, a blocking loop that sleeps with Atomics.wait when idle), and in the main thread at
 * process exit (`finish()`), when that thread takes over whatever is left. DRAIN_LOCK makes the
 * two mutually exclusive: whoever drains holds it for a whole batch, so a batch is either
 * entirely written or not started.
 *
 * Counting: `recordsWritten` grows by the lines the sinks take, so a record written to three
 * sinks counts three times (with one sink, as by default, a line is a record); lines a sink
 * gives up on (a failing disk) count in `writeFailed` instead.
 */
import { bytesOver, type Bytes } from '../record/descriptor.js';
import { Lanes, type Lane } from '../ring/lanes.js';
import { LaneSlot, Slot, Stat, State, type SharedViews } from '../ring/layout.js';
import { LineLane } from '../ring/line-lane.js';
import { Ring } from '../ring/ring.js';
import { dropNotice, takeUnreportedDrops } from './drop-notice.js';
import { IdleBackoff, SLEEP } from './idle.js';
import { LaneMerge } from './lane-merge.js';
import { LineMerge } from './line-merge.js';
import type { Router } from './router.js';
import { WRITE_IN_PLACE_FROM } from './sink/fd-writer.js';

/**
 * How long the idle consumer sleeps before looking again without being woken (idle.ts says when
 * it is idle). Producers wake it on commit when it has said it sleeps; the timeout is the
 * backstop, short enough that a missed wake-up costs little, long enough that an idle process
 * does not burn a core.
 */
const IDLE_WAIT_MS = 100;
/** Largest batch from one lane: big writes under load, but space returns to producers every megabyte. */
const MAX_BATCH_BYTES = 1024 * 1024;
/**
 * How long HEAD may stay at a claim that is not committed before the consumer takes its claimer
 * for dead and skips the claim (Aeron's unblock, in spirit). A live producer fills a frame in
 * microseconds; a second covers any scheduling delay on a loaded machine, and a producer stalled
 * that long in the middle of one record is the case we trade away (its record is skipped).
 */
const UNBLOCK_AFTER_MS = 1000;

export class Consumer {
  readonly #lanes: Lanes<Lane>;
  /** The lanes as rings of records, or as line lanes: one of the two is empty. */
  readonly #rings: readonly Ring[];
  readonly #lineLanes: readonly LineLane[];
  /** Line lanes: their merge by time. */
  readonly #lineMerge: LineMerge | undefined;
  readonly #control: Int32Array;
  readonly #stats: BigInt64Array;
  readonly #bytes: Bytes;
  readonly #router: Router;
  /** The most one batch takes from one lane. */
  readonly #laneBatchBytes: number;
  /** Per lane, the bytes the batch being drained took from it. */
  readonly #consumed: number[];
  /** Per lane, where WRITTEN goes once the batch's write returns: its HEAD after the release. */
  readonly #writtenTo: number[];
  /** Puts the lanes' records of a batch in time order (more than one lane). */
  readonly #merge: LaneMerge;
  /** Of the last batch: the most it took from one lane, and whether a lane had more than it took. */
  #fullest = 0;
  #more = false;
  /** How long writes may still be retried once the backend closes (see write-failure.ts). */
  readonly #closeRetryMs: number;
  /** Lines buffered in the sinks and not yet counted as written. */
  #pendingRecords = 0;
  #reportedBytes = 0;
  #reportedRotations = 0;
  #reportedDropped = 0;
  /** Per lane: HEAD when the consumer last found nothing to read, and since when it has stayed there. */
  readonly #stalledHead: number[];
  readonly #stalledSince: number[];
  readonly #idle = new IdleBackoff();
  /** When the loop last looked at the ring (performance.now()): the records a drain finds came since. */
  #lastLook = 0;

  constructor(views: SharedViews, router: Router, closeRetryMs = Number.POSITIVE_INFINITY) {
    if (views.lineLanes) {
      const lanes = new Lanes(views, (lane) => new LineLane(views, lane));
      this.#lanes = lanes;
      this.#lineLanes = lanes.rings;
      this.#lineMerge = new LineMerge(lanes.rings);
      this.#rings = [];
    } else {
      const lanes = new Lanes(views, (lane) => new Ring(views, lane));
      this.#lanes = lanes;
      this.#rings = lanes.rings;
      this.#lineLanes = [];
    }
    this.#control = views.control;
    this.#stats = views.stats;
    this.#bytes = bytesOver(views.data);
    this.#router = router;
    const lanes = views.lanes.length;
    this.#laneBatchBytes = Math.min(views.lanes[0]!.capacity / 4, MAX_BATCH_BYTES);
    this.#consumed = new Array<number>(lanes).fill(0);
    this.#writtenTo = new Array<number>(lanes).fill(0);
    this.#merge = new LaneMerge(views);
    this.#stalledHead = new Array<number>(lanes).fill(0);
    this.#stalledSince = new Array<number>(lanes).fill(0);
    this.#closeRetryMs = closeRetryMs;
  }

  /**
   * The consumer thread's loop; returns once the backend is closed or another thread took over.
   * A failing disk does not make it throw (the sink retries, drops and counts); a bug does, and
   * then the lock is released and the error goes to the caller, which restarts a consumer (see
   * supervisor.ts) after `salvage()`.
   */
  run(): void {
    try {
      this.#loop();
    } catch (error) {
      this.#unlock();
      throw error;
    }
  }

  #loop(): void {
    const control = this.#control;
    for (;;) {
      if (!this.#lock()) return;
      Atomics.add(control, Slot.CONSUMER_BEAT, 1);
      const drained = this.drainBatch();
      this.#reportDropped();
      const state = Atomics.load(control, Slot.STATE);
      if (drained === 0 && state !== State.RUNNING) {
        if (state === State.CLOSING) this.finish(this.#closeRetryMs);
        this.#unlock();
        return;
      }
      if (drained === 0) {
        this.#skipDeadClaims();
        this.#router.idle();
      }
      this.#unlock();
      const now = performance.now();
      const sinceLook = now - this.#lastLook;
      this.#lastLook = now;
      if (drained > 0) {
        // The lane that filled fastest decides: it is the first to make its producers wait.
        const more = this.#more || this.#lanes.producersWaiting();
        const nap = this.#idle.drained(this.#fullest, this.#lanes.capacity, sinceLook, more);
        if (nap > 0) this.#lanes.nap(nap);
      } else {
        const nap = this.#idle.next();
        if (nap === SLEEP) this.#lanes.awaitCommitted(IDLE_WAIT_MS);
        else this.#lanes.nap(nap);
      }
    }
  }

  /**
   * With `onFull: 'drop'`: once space has come back, one line says how many records the full
   * ring cost since the last such line: a record of the logger 'ringlog' at level warn, routed
   * and rendered as every record.
   */
  #reportDropped(): void {
    const dropped = takeUnreportedDrops(this.#control);
    if (dropped === 0) return;
    this.#pendingRecords += this.#router.writeRecord(dropNotice(dropped));
    this.#router.flush();
    this.#publishStats();
  }

  /**
   * After `run()` threw: the batch whose ring space was already given back (HEAD moved past
   * WRITTEN in its lanes) exists only in the sinks' buffers, so write it out, or count it as failed; a batch
   * that was not given back is read again by the next consumer, so its lines are discarded.
   * Never throws.
   */
  salvage(): void {
    const released = this.#lanes.unwritten();
    const router = this.#router;
    if (!released) {
      router.discard();
      this.#pendingRecords = 0;
      return;
    }
    const lost = router.closeCountingLost();
    if (lost > 0) {
      Atomics.add(this.#stats, Stat.WRITE_FAILED, BigInt(lost));
      this.#pendingRecords = Math.max(0, this.#pendingRecords - lost);
    }
    try {
      this.#publishStats();
    } catch {
      // Counts only.
    }
    this.#lanes.markAllWritten();
  }

  /**
   * Drains one batch: render the committed records of every lane, give their ring space back to
   * producers (before the write, the slow part), write them out, then publish WRITTEN for flush()
   * waiters. The caller holds DRAIN_LOCK. Returns the ring bytes consumed.
   */
  drainBatch(): number {
    if (this.#lineMerge !== undefined) return this.#drainLines(this.#lineMerge);
    const rings = this.#rings;
    const consumed = this.#consumed;
    const limit = this.#laneBatchBytes;
    let total = 0;
    // At most one lane with records (one ring, or one thread logging): read it straight to the
    // router. Records committed meanwhile in the other lanes wait for the next batch.
    let busy = 0;
    let only = 0;
    for (let lane = 0; lane < rings.length && busy < 2; lane++) {
      if (rings[lane]!.hasCommitted()) {
        busy++;
        only = lane;
      }
    }
    if (busy < 2) {
      consumed.fill(0);
      this.#merge.forget();
      total = consumed[only] = rings[only]!.read(this.#visit, limit);
    } else {
      const merge = this.#merge;
      for (let lane = 0; lane < rings.length; lane++) {
        const from = merge.begin(lane);
        total += consumed[lane] = rings[lane]!.read(merge.collect, limit, from);
      }
      merge.merge(this.#visit, consumed, limit);
      total = 0;
      for (let lane = 0; lane < rings.length; lane++) total += consumed[lane]!;
    }
    if (total === 0) return 0;
    const writtenTo = this.#writtenTo;
    let fullest = 0;
    for (let lane = 0; lane < rings.length; lane++) {
      const bytes = consumed[lane]!;
      if (bytes === 0) continue;
      writtenTo[lane] = (rings[lane]!.head() + bytes) | 0;
      rings[lane]!.release(bytes);
      if (bytes > fullest) fullest = bytes;
    }
    this.#fullest = fullest;
    this.#more = fullest >= limit;
    this.#router.flush();
    this.#publishStats();
    for (let lane = 0; lane < rings.length; lane++) {
      if (consumed[lane]! > 0) rings[lane]!.markWritten(writtenTo[lane]!);
    }
    return total;
  }

  /**
   * drainBatch() for line lanes: every lane's lines up to where its snapshot saw them, merged by
   * time (line-merge.ts), in runs of whole lines that the one sink takes as they are
   * (Router.writeLines()). Long runs are written from the lane itself (FdWriter.appendLines()),
   * so a lane's space goes back to its producers once the batch is written, not before as with
   * records. A run written at once is counted at once (#visitRun); the rest, buffered, is
   * written and counted at the end. So a thread that dies in a write leaves every line written
   * and counted, in flight (counted as failed), or still in its lane.
   */
  #drainLines(merge: LineMerge): number {
    const total = merge.drain(this.#visitRun, this.#beforeRun);
    if (total === 0) return 0;
    this.#router.flush();
    this.#publishStats();
    const taken = merge.taken;
    let fullest = 0;
    this.#lineLanes.forEach((line, lane) => {
      const bytes = taken[lane]!;
      if (bytes === 0) return;
      line.release();
      line.markWritten(line.consumed());
      if (bytes > fullest) fullest = bytes;
    });
    this.#fullest = fullest;
    this.#more = false;
    return total;
  }

  /**
   * Seals the ring so that no later claim succeeds, drains every claim made before, and closes
   * the sinks. Sealing first means producers still logging cannot keep this going forever; a
   * claim that stays uncommitted is skipped after UNBLOCK_AFTER_MS, so this always ends.
   */
  finish(retryForMs = Number.POSITIVE_INFINITY): void {
    const lanes = this.#lanes;
    this.#router.setDeadline(Date.now() + retryForMs);
    lanes.seal();
    for (;;) {
      Atomics.add(this.#control, Slot.CONSUMER_BEAT, 1);
      while (this.drainBatch() > 0);
      if (lanes.drained()) break;
      this.#skipDeadClaims();
      lanes.awaitCommitted(1);
    }
    this.#reportDropped();
    this.#router.close();
    this.#publishStats();
    markClosed(lanes, this.#control);
  }

  /**
   * Called when a drain found nothing: in each lane where claims are outstanding and HEAD has
   * not moved for UNBLOCK_AFTER_MS, the claim at HEAD is skipped and counted as abandoned (in a
   * line lane, a lock kept that long is taken over: LineLane.unblock()).
   */
  #skipDeadClaims(): void {
    for (const lane of this.#lineLanes) lane.unblock();
    const now = Date.now();
    this.#rings.forEach((ring, lane) => {
      const head = ring.head();
      if (head === ring.end() || head !== this.#stalledHead[lane] || this.#stalledSince[lane] === 0) {
        this.#stalledHead[lane] = head;
        this.#stalledSince[lane] = now;
        return;
      }
      if (now - this.#stalledSince[lane]! >= UNBLOCK_AFTER_MS && ring.unblock()) {
        Atomics.add(this.#control, Slot.ABANDONED, 1);
        this.#stalledSince[lane] = now;
      }
    });
  }

  /** Takes DRAIN_LOCK without waiting; false when another thread holds it. */
  #lock(): boolean {
    return Atomics.compareExchange(this.#control, Slot.DRAIN_LOCK, 0, 1) === 0;
  }

  #unlock(): void {
    Atomics.store(this.#control, Slot.DRAIN_LOCK, 0);
    Atomics.notify(this.#control, Slot.DRAIN_LOCK);
  }

  readonly #visit = (index: number, length: number): void => {
    this.#pendingRecords += this.#router.write(this.#bytes, index, length);
  };

  /**
   * A long run is written from the lane only into an empty buffer (FdWriter.appendLines()): the
   * short runs buffered before it go out first, and are counted before the run's write. Copying
   * it after them instead cost the consumer ~60 ns a line at N = 4, where half the bytes came
   * after a short run: reading lines other cores just wrote misses the cache. Before the run is
   * taken (LineMerge.drain()), so that a flush that throws leaves it in the lane for the next
   * consumer, as a batch's last flush does.
   */
  readonly #beforeRun = (bytes: number): void => {
    const router = this.#router;
    if (bytes < WRITE_IN_PLACE_FROM || router.pendingLines === 0) return;
    router.flush();
    this.#publishStats();
  };

  readonly #visitRun = (index: number, length: number, lines: number): void => {
    const router = this.#router;
    this.#pendingRecords += router.writeLines(this.#bytes, index, length, lines);
    // Nothing buffered: the run was written from the lane, and is counted before the next write.
    if (router.pendingLines === 0) this.#publishStats();
  };


  #publishStats(): void {
    const stats = this.#stats;
    const router = this.#router;
    // Lines a sink gave up on (the disk failed past its retries) were rendered, not written.
    const linesDropped = router.linesDropped;
    const bytesWritten = router.bytesWritten;
    const rotations = router.rotations;
    const dropped = linesDropped - this.#reportedDropped;
    Atomics.add(stats, Stat.RECORDS_WRITTEN, BigInt(this.#pendingRecords - dropped));
    Atomics.add(stats, Stat.WRITE_FAILED, BigInt(dropped));
    Atomics.add(stats, Stat.RECORDS_FAILED, BigInt(router.takeFailed()));
    Atomics.add(stats, Stat.BYTES_WRITTEN, BigInt(bytesWritten - this.#reportedBytes));
    Atomics.add(stats, Stat.ROTATIONS, BigInt(rotations - this.#reportedRotations));
    this.#pendingRecords = 0;
    this.#reportedDropped = linesDropped;
    this.#reportedBytes = bytesWritten;
    this.#reportedRotations = rotations;
  }
}

/** Marks the backend closed and wakes whoever waits on it (close(), flush()). */
function markClosed(lanes: Lanes<Lane>, control: Int32Array): void {
  Atomics.store(control, Slot.STATE, State.CLOSED);
  Atomics.notify(control, Slot.STATE);
  for (const ring of lanes.rings) Atomics.notify(ring.cursors, LaneSlot.WRITTEN);
}

/**
 * Stops the backend when no drain will happen any more (the consumer failed): seal the ring so
 * producers drop and count instead of waiting on a ring that never empties, and mark it closed.
 * Whatever is still in the ring is not written.
 */
export function shutDown(lanes: Lanes<Lane>, control: Int32Array): void {
  lanes.seal();
  markClosed(lanes, control);
}

/**
 * Called by the main thread when it must drain itself (process exit, a signal, a consumer that
 * cannot be restarted): waits (bounded) for the consumer thread to finish its batch, then drains
 * what is left through sinks of its own (`open()`, which must not throw when a file cannot be
 * opened now), retrying a failing disk for at most `retryForMs`. Returns false when it could
 * not get the lock in time (the consumer thread is stuck in a write), so the caller can say so.
 */
export function drainOnExit(
  views: SharedViews,
  open: () => Router,
  timeoutMs: number,
  retryForMs = Number.POSITIVE_INFINITY,
): boolean {
  const control = views.control;
  const deadline = Date.now() + timeoutMs;
  while (Atomics.compareExchange(control, Slot.DRAIN_LOCK, 0, 1) !== 0) {
    if (Atomics.load(control, Slot.STATE) === State.CLOSED) return true;
    if (Date.now() > deadline) return false;
    Atomics.wait(control, Slot.DRAIN_LOCK, 1, 10);
  }
  // The lock is ours for good: the consumer thread stops at its next attempt to take it.
  if (Atomics.load(control, Slot.STATE) === State.CLOSED) return true;
  new Consumer(views, open()).finish(retryForMs);
  return true;
}
