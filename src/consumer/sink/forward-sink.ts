/**
 * The sink of `forward`: lines go into the process's outbox (forward/outbox.ts), rendered in
 * place there, one entry per batch, for the sender thread to ship to the aggregator. No file,
 * no system call: a batch costs the copy into shared memory and one store.
 *
 * When the outbox is full (the aggregator is slow, or away and the spill has not started), the
 * drainer waits here, beating as it waits so that blocked producers know it lives: the ring
 * fills and `onFull` decides, as with a slow disk. Past the deadline that close and exit set,
 * it stops waiting and drops the lines, counted.
 */
import { bytesOver, type Bytes } from '../../record/descriptor.js';
import { copyBytes } from '../../record/copy.js';
import { sinkClosedError } from '../../core/errors.js';
import { distance, ENTRY_HEADER_BYTES, entrySpan, markClosing, OutboxSlot, viewOutbox, WRAP, type OutboxViews } from '../../forward/outbox.js';
import { eachLine, type Sink } from './sink.js';
import type { SinkMonitor } from './write-failure.js';

/** One wait for room, before looking at the deadline again and beating. */
const ROOM_WAIT_SLICE_MS = 50;
/** How long close() waits for the sender to deliver or spill what is left, without a deadline. */
const CLOSE_WAIT_DEFAULT_MS = 5000;

export interface ForwardSinkOptions {
  readonly outbox: SharedArrayBuffer;
  /** Beats while waiting for room (monitor.sleep(0)); drainers pass theirs. */
  readonly monitor?: SinkMonitor | undefined;
}

export function createForwardSink(options: ForwardSinkOptions): Sink {
  return new ForwardSink(viewOutbox(options.outbox), options.monitor);
}

class ForwardSink implements Sink {
  readonly #views: OutboxViews;
  readonly #bytes: Bytes;
  readonly #mask: number;
  readonly #monitor: SinkMonitor | undefined;
  /** Position after the last published entry: this sink is the only writer while it drains. */
  #write: number;
  /** Position of the open entry's header (after a wrap filler), valid while #used > 0 or #open. */
  #entry = 0;
  #open = false;
  /** Whether the open entry wrapped, and where its filler is (positions wrap past 2^31: no sentinel value). */
  #wrapped = false;
  #filler = 0;
  #used = 0;
  #lines = 0;
  #written = 0;
  #dropped = 0;
  #deadline = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(views: OutboxViews, monitor: SinkMonitor | undefined) {
    this.#views = views;
    this.#bytes = bytesOver(views.data);
    this.#mask = views.capacity - 1;
    this.#monitor = monitor;
    this.#write = Atomics.load(views.control, OutboxSlot.WRITE);
  }

  get bytesWritten(): number {
    return this.#written;
  }

  get rotations(): number {
    return 0;
  }

  get linesDropped(): number {
    return this.#dropped;
  }

  get pendingLines(): number {
    return this.#lines;
  }

  /** The outbox's data region: reserveLine() returns an index into it. */
  get lineBuffer(): Bytes {
    return this.#bytes;
  }

  setDeadline(deadline: number): void {
    this.#deadline = deadline;
  }

  idle(): void {}

  writeLine(line: string): void {
    const length = Buffer.byteLength(line);
    const at = this.#room(length);
    if (at < 0) {
      this.#dropped++;
      return;
    }
    this.#bytes.buffer.write(line, at, length, 'utf8');
    this.#took(length);
  }

  writeBytes(bytes: Bytes, length: number, start = 0): void {
    const at = this.#room(length);
    if (at < 0) {
      this.#dropped++;
      return;
    }
    copyBytes(bytes, start, this.#bytes, at, length);
    this.#took(length);
  }

  /** Line by line: an outbox entry holds whole lines, and a run may be larger than one. */
  writeLines(bytes: Bytes, start: number, length: number): void {
    eachLine(bytes, start, length, (at, lineBytes) => this.writeBytes(bytes, lineBytes, at));
  }

  /**
   * -1 when the bound does not fit an entry (a bound is a worst case: the line itself may well
   * fit) or there is no room by the deadline: the router then renders the line apart and hands
   * it to writeBytes(), which takes it or counts it dropped, once.
   */
  reserveLine(maxBytes: number): number {
    return maxBytes > this.#views.maxEntryBytes ? -1 : this.#room(maxBytes);
  }

  commitLine(length: number): void {
    this.#took(length);
  }

  flush(): void {
    if (this.#used > 0) this.#publish();
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    const { control } = this.#views;
    markClosing(control);
    // Give the sender the time to deliver what is left, or to spill it.
    const until = Number.isFinite(this.#deadline) ? this.#deadline : Date.now() + CLOSE_WAIT_DEFAULT_MS;
    for (;;) {
      const acked = Atomics.load(control, OutboxSlot.ACKED);
      if (acked === this.#write || Date.now() >= until) return;
      Atomics.wait(control, OutboxSlot.ACKED, acked, Math.min(ROOM_WAIT_SLICE_MS, Math.max(1, until - Date.now())));
      this.#monitor?.sleep(0);
    }
  }

  discard(): void {
    this.#used = 0;
    this.#lines = 0;
    this.#open = false;
    this.#closed = true;
  }

  #took(length: number): void {
    this.#used += length;
    this.#lines++;
  }

  /**
   * Where `length` more bytes go in the data region, contiguous, after the open entry's lines:
   * publishes the entry first when they would not fit it, or when the outbox is full (so that
   * the sender can free room), then waits for room. -1 when the line is dropped: too large for
   * any entry, or no room by the deadline.
   */
  #room(length: number): number {
    if (this.#closed) throw sinkClosedError('write');
    const { control, capacity, maxEntryBytes } = this.#views;
    if (length > maxEntryBytes) return -1;
    for (;;) {
      if (this.#open && (this.#used + length > maxEntryBytes || (this.#entry & this.#mask) + ENTRY_HEADER_BYTES + this.#used + length > capacity)) {
        // An entry with no line yet (a reservation given up) is reopened, never published empty.
        if (this.#used > 0) this.#publish();
        else this.#open = false;
      }
      if (!this.#open) {
        // A new entry at the write position, or at 0 behind a filler when the rest is too short.
        const index = this.#write & this.#mask;
        this.#wrapped = index + ENTRY_HEADER_BYTES + length > capacity;
        this.#filler = this.#write;
        this.#entry = this.#wrapped ? (this.#write + (capacity - index)) | 0 : this.#write;
        this.#open = true;
      }
      const acked = Atomics.load(control, OutboxSlot.ACKED);
      if (distance(acked, this.#entry) + entrySpan(this.#used + length) <= capacity) {
        return (this.#entry & this.#mask) + ENTRY_HEADER_BYTES + this.#used;
      }
      if (this.#used > 0) {
        this.#publish();
        continue;
      }
      if (Date.now() >= this.#deadline) {
        this.#open = false;
        return -1;
      }
      Atomics.wait(control, OutboxSlot.ACKED, acked, ROOM_WAIT_SLICE_MS);
      // A beat (a sleep of nothing): blocked producers see a drainer that lives.
      this.#monitor?.sleep(0);
    }
  }

  /** Writes the open entry's header (and filler) and moves WRITE past it: the sender may take it. */
  #publish(): void {
    const { control, data32 } = this.#views;
    if (this.#wrapped) data32[(this.#filler & this.#mask) >> 2] = WRAP;
    const at = (this.#entry & this.#mask) >> 2;
    data32[at] = this.#used;
    data32[at + 1] = this.#lines;
    this.#write = (this.#entry + entrySpan(this.#used)) | 0;
    this.#written += this.#used;
    this.#used = 0;
    this.#lines = 0;
    this.#open = false;
    this.#wrapped = false;
    // publish: the entry is whole from here on.
    Atomics.store(control, OutboxSlot.WRITE, this.#write);
    Atomics.notify(control, OutboxSlot.WRITE);
  }
}
