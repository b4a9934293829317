/**
 * The sender thread's work: ship the outbox's entries to the aggregator as BATCH frames, free
 * their room when they are acknowledged, and keep going when the aggregator is away.
 *
 * - **Connected**: entries go out in order as soon as the drainer publishes them (it notifies
 *   WRITE; this thread waits on it with waitAsync, so an idle sender costs nothing). The frames
 *   are views of the outbox, not copies: its room is only reused once the aggregator has said
 *   it has the batch, or once the connection is closed and the entry spilled.
 * - **Away** (connection refused, dropped, or an aggregator that acknowledges nothing for
 *   `spill.afterMs`): it reconnects with back-off (50 ms doubling to 2 s). Entries wait in the
 *   outbox; after `spill.afterMs`, or at once when the drainer closed (exit, close()), they go
 *   to the spill file, which frees the outbox. Past the spill cap they are dropped and counted.
 * - **Back**: HELLO names the session; WELCOME says the last batch the aggregator has of it, so
 *   a replay skips what arrived before the connection broke. The spill file goes first, then
 *   the outbox, each in order, with REPLAY on what was sent before.
 *
 * Reports one 'failed' when an episode starts and one 'recovered' when it ends, as a disk does
 * (reconnect.ts, shared with the syslog sender).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Stat } from '../ring/layout.js';
import { entryAt, OUTBOX_CONTROL_BYTES, OutboxSlot, watchOutbox, type OutboxViews } from './outbox.js';
import { Episode, type FailureEvent } from '../core/episode.js';
import { Backoff, stderr } from './reconnect.js';
import {
  BATCH_HEAD_BYTES,
  BatchFlag,
  batchHead,
  FrameReader,
  FrameType,
  HANDSHAKE_MAX_BYTES,
  jsonFrame,
  MAX_FRAME_BYTES,
  parseSeq,
  parseWelcome,
  PROTOCOL_VERSION,
  ProtocolError,
} from './protocol.js';
import { adoptOrphans, SpillFile } from './spill.js';

/** What a forward sink is configured with, resolved (config/forward-options.ts). */
export interface ResolvedForward {
  /** The aggregator's socket, an absolute path. */
  readonly address: string;
  /** The outbox's size in bytes, a power of two. */
  readonly outboxBytes: number;
  /** Where spill files go, absolute. */
  readonly spillDir: string;
  readonly spillMaxBytes: number;
  /** How long the aggregator may be away (or silent) before lines spill. */
  readonly spillAfterMs: number;
}


/** How long an aggregator may owe acknowledgements once the drainer has closed (exit, close()). */
const CLOSING_STALL_MS = 1000;

interface InFlight {
  readonly seq: number;
  readonly lines: number;
  /** For an outbox entry: the position after it. For a spill entry: -1. */
  readonly next: number;
  /** For a spill entry: the file offset after it. */
  readonly spillEnd: number;
}

export interface SenderOptions {
  readonly forward: ResolvedForward;
  /** The ring's counters (Stat.FORWARDED ...); undefined for a replay of another process's file. */
  readonly stats: BigInt64Array | undefined;
  readonly report: (event: FailureEvent) => void;
}

/**
 * One session toward the aggregator: the process's own (with its outbox, and its spill file
 * when it has one), or the replay of a file left by a process that ended (`spill` only).
 */
export class Sender {
  readonly #forward: ResolvedForward;
  readonly #outbox: OutboxViews | undefined;
  readonly #stats: BigInt64Array | undefined;
  readonly session: string;
  #socket: Socket | undefined;
  #welcomed = false;
  /** Seq of the entry at ACKED, and of the entry at #sendAt. */
  #headSeq = 1;
  #sendSeq = 1;
  #sendAt = 0;
  /** The highest seq ever sent: a batch at or below it is a replay. */
  #sentMax = 0;
  readonly #inFlight: InFlight[] = [];
  #spill: SpillFile | undefined;
  /** The next spill entry to send, and the offset up to which the aggregator has them all. */
  #spillSendAt = 0;
  #spillAcked = 0;
  /** Every spill entry has been sent (on this connection). */
  #spillSent = false;
  readonly #backoff = new Backoff();
  readonly #episode: Episode;
  #reconnect: NodeJS.Timeout | undefined;
  /** When the aggregator went away (or last acknowledged anything while owing acks), for the stall. */
  #since = Date.now();
  #draining = false;
  #stopped = false;
  #writable = true;
  /** Lines dropped past the spill cap, for the episode. */
  #lost = 0;

  constructor(options: SenderOptions, outbox: OutboxViews | undefined, spill?: SpillFile) {
    this.#forward = options.forward;
    this.#outbox = outbox;
    this.#stats = options.stats;
    this.#episode = new Episode('forward', options.forward.address, options.report, { retrying: true, lost: () => this.#lost, errorPath: options.forward.address });
    this.#spill = spill;
    this.session = spill?.session ?? randomBytes(16).toString('hex');
    if (spill !== undefined) {
      this.#spillSendAt = spill.firstEntry;
      this.#spillAcked = spill.firstEntry;
    }
    if (outbox !== undefined) {
      this.#sendAt = Atomics.load(outbox.control, OutboxSlot.ACKED);
      this.#watch();
    }
  }

  /** The process's sender, with the files of processes that ended taken over, each its own session. */
  static start(options: SenderOptions, outbox: OutboxViews): Sender[] {
    const senders = [new Sender(options, outbox)];
    for (const file of adoptOrphans(options.forward.spillDir)) {
      senders.push(new Sender({ ...options, stats: options.stats, report: () => {} }, undefined, file));
    }
    for (const sender of senders) sender.#connect();
    return senders;
  }

  /**
   * The backend is closing: whatever is still in the outbox goes to the spill file now (it
   * may also have reached the aggregator: its replay then is dropped there as a duplicate).
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    this.#spillOutbox();
    this.#spill?.close();
    this.#socket?.destroy();
  }

  // ---- the connection ------------------------------------------------------------------------

  #connect(): void {
    if (this.#stopped) return;
    this.#reconnect = undefined;
    const socket = connect(this.#forward.address);
    this.#socket = socket;
    this.#welcomed = false;
    this.#writable = true;
    const reader = new FrameReader(HANDSHAKE_MAX_BYTES);
    socket.on('connect', () => {
      socket.write(jsonFrame(FrameType.HELLO, { v: PROTOCOL_VERSION, session: this.session, pid: process.pid, maxFrame: this.#frameLimit() }));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
        for (let f = reader.next(); f !== undefined; f = reader.next()) this.#onFrame(f.type, f.body, reader);
      } catch (error) {
        socket.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('drain', () => {
      this.#writable = true;
      this.#pump();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.#failed(error));
    socket.on('close', () => this.#closed(socket));
  }

  /** Frames up to the largest entry this side can send (a file left by another process: any). */
  #frameLimit(): number {
    return this.#outbox === undefined ? MAX_FRAME_BYTES : BATCH_HEAD_BYTES + this.#outbox.maxEntryBytes;
  }

  #onFrame(type: number, body: Buffer, reader: FrameReader): void {
    if (!this.#welcomed) {
      if (type !== FrameType.WELCOME) throw new ProtocolError(`frame type ${type} before WELCOME`);
      const welcome = parseWelcome(body);
      if (welcome.maxFrame < this.#frameLimit()) {
        throw new ProtocolError(`the aggregator takes frames of up to ${welcome.maxFrame} bytes; this sender's batches need ${this.#frameLimit()}`);
      }
      this.#welcomed = true;
      reader.maxBody = 8;
      this.#backoff.reset();
      this.#since = Date.now();
      this.#skipUpTo(welcome.lastSeq);
      this.#episode.recover();
      this.#pump();
      return;
    }
    if (type !== FrameType.ACK) throw new ProtocolError(`frame type ${type} where ACK was due`);
    this.#acked(parseSeq(body));
  }

  #failed(error: NodeJS.ErrnoException): void {
    if (!this.#stopped) this.#episode.fail(error);
  }

  /** The socket is gone (its writes too): what was in flight is sent again on the next one. */
  #closed(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    if (this.#welcomed) this.#since = Date.now();
    this.#welcomed = false;
    this.#inFlight.length = 0;
    if (this.#outbox !== undefined) {
      this.#sendAt = Atomics.load(this.#outbox.control, OutboxSlot.ACKED);
      this.#sendSeq = this.#headSeq;
    }
    this.#spillSendAt = this.#spillAcked;
    this.#spillSent = false;
    if (this.#stopped) return;
    if (!this.#episode.failing) this.#failed(Object.assign(new Error(`ringlog: the connection to the aggregator at ${this.#forward.address} closed`), { code: 'ECONNRESET' }));
    this.#reconnect = setTimeout(() => this.#connect(), this.#backoff.take());
    this.#maybeSpill();
  }

  // ---- sending -------------------------------------------------------------------------------

  #pump(): void {
    const socket = this.#socket;
    if (socket === undefined || !this.#welcomed || this.#stopped) return;
    // The spill file first: it holds what came before the outbox's entries.
    const spill = this.#spill;
    if (spill !== undefined && !this.#spillSent) {
      while (this.#writable) {
        const entry = spill.read(this.#spillSendAt);
        if (entry === undefined) {
          this.#spillSent = true;
          break;
        }
        this.#spillSendAt = entry.end;
        this.#track({ seq: entry.seq, lines: entry.lines, next: -1, spillEnd: entry.end });
        this.#send(socket, entry.seq, entry.flags | (entry.seq <= this.#sentMax ? BatchFlag.REPLAY : 0), entry.lines, entry.bytes);
      }
      if (!this.#spillSent) return;
      this.#spillDone();
    }
    const outbox = this.#outbox;
    if (outbox === undefined) return;
    const write = Atomics.load(outbox.control, OutboxSlot.WRITE);
    while (this.#sendAt !== write && this.#writable) {
      const entry = entryAt(outbox, this.#sendAt);
      const seq = this.#sendSeq++;
      this.#sendAt = entry.next;
      this.#track({ seq, lines: entry.lines, next: entry.next, spillEnd: -1 });
      // A view of the outbox, not a copy: the room is not reused before the ack (see above).
      const bytes = Buffer.from(outbox.buffer, OUTBOX_CONTROL_BYTES + entry.index, entry.bytes);
      this.#send(socket, seq, seq <= this.#sentMax ? BatchFlag.REPLAY : 0, entry.lines, bytes);
    }
  }

  /** A batch goes out: the stall clock starts with the first one owed. */
  #track(entry: InFlight): void {
    if (this.#inFlight.length === 0) this.#since = Date.now();
    this.#inFlight.push(entry);
  }

  #send(socket: Socket, seq: number, flags: number, lines: number, bytes: Uint8Array): void {
    if (seq > this.#sentMax) this.#sentMax = seq;
    socket.cork();
    socket.write(batchHead(seq, flags, lines, bytes.length));
    this.#writable = socket.write(bytes);
    socket.uncork();
  }

  /** Every spill entry sent and acknowledged: the file goes (and a replay of another process's file is over). */
  #spillDone(): void {
    if (!this.#spillSent || this.#spillAcked !== this.#spillSendAt) return;
    this.#spill?.remove();
    this.#spill = undefined;
    this.#spillSent = false;
    if (this.#outbox === undefined) {
      this.#stopped = true;
      this.#socket?.end();
    }
  }

  /** WELCOME said the aggregator has every batch up to `seq`: as good as acknowledged. */
  #skipUpTo(seq: number): void {
    if (seq <= 0) return;
    // Spill entries at or below it, then outbox entries.
    const spill = this.#spill;
    while (spill !== undefined) {
      const entry = spill.read(this.#spillSendAt);
      if (entry === undefined || entry.seq > seq) break;
      this.#spillSendAt = entry.end;
      this.#spillAcked = entry.end;
    }
    const outbox = this.#outbox;
    if (outbox === undefined) return;
    const write = Atomics.load(outbox.control, OutboxSlot.WRITE);
    let acked = Atomics.load(outbox.control, OutboxSlot.ACKED);
    while (acked !== write && this.#headSeq <= seq) {
      const entry = entryAt(outbox, acked);
      this.#count(Stat.FORWARDED, entry.lines);
      acked = entry.next;
      this.#headSeq++;
    }
    this.#sendAt = acked;
    this.#sendSeq = this.#headSeq;
    this.#free(acked);
  }

  #acked(seq: number): void {
    const inFlight = this.#inFlight;
    let freeTo = -1;
    let done = 0;
    while (done < inFlight.length && inFlight[done]!.seq <= seq) {
      const entry = inFlight[done++]!;
      this.#count(Stat.FORWARDED, entry.lines);
      if (entry.next === -1) this.#spillAcked = entry.spillEnd;
      else {
        freeTo = entry.next;
        this.#headSeq = entry.seq + 1;
      }
    }
    inFlight.splice(0, done);
    this.#since = Date.now();
    if (freeTo !== -1) this.#free(freeTo);
    if (this.#spill !== undefined) this.#spillDone();
  }

  #free(position: number): void {
    const control = this.#outbox!.control;
    Atomics.store(control, OutboxSlot.ACKED, position);
    Atomics.notify(control, OutboxSlot.ACKED);
  }

  #count(stat: number, lines: number): void {
    if (this.#stats !== undefined && lines > 0) Atomics.add(this.#stats, stat, BigInt(lines));
  }

  // ---- waiting on the drainer, and spilling --------------------------------------------------

  /** Waits on WRITE (and CLOSING) without blocking the event loop (outbox.ts). */
  #watch(): void {
    const outbox = this.#outbox!;
    watchOutbox(outbox, {
      stopped: () => this.#stopped,
      wake: (write) => {
        if (write !== this.#sendAt || Atomics.load(outbox.control, OutboxSlot.CLOSING) === 1) {
          this.#pump();
          this.#maybeSpill();
        }
        this.#checkStall();
      },
      // Connected and owed nothing, there is nothing to watch but WRITE.
      idle: () => this.#welcomed && this.#inFlight.length === 0,
    });
  }

  /**
   * A connected aggregator that owes acknowledgements and sends none for spill.afterMs is
   * treated as gone (at exit, after CLOSING_STALL_MS: the process is waiting to end).
   */
  #checkStall(): void {
    if (this.#socket === undefined || !this.#welcomed || this.#inFlight.length === 0) return;
    const closing = Atomics.load(this.#outbox!.control, OutboxSlot.CLOSING) === 1;
    const limit = closing ? Math.min(CLOSING_STALL_MS, this.#forward.spillAfterMs) : this.#forward.spillAfterMs;
    if (Date.now() - this.#since >= limit) {
      this.#socket.destroy(Object.assign(new Error(`ringlog: the aggregator at ${this.#forward.address} acknowledged nothing for ${limit} ms`), { code: 'ETIMEDOUT' }));
    }
  }

  /** Away past spill.afterMs, or the drainer has closed: the outbox goes to the spill file. */
  #maybeSpill(): void {
    const outbox = this.#outbox;
    if (outbox === undefined || this.#socket !== undefined && this.#welcomed) return;
    const closing = Atomics.load(outbox.control, OutboxSlot.CLOSING) === 1;
    if (closing || Date.now() - this.#since >= this.#forward.spillAfterMs) this.#spillOutbox();
  }

  /** Moves every entry left in the outbox to the spill file (or, past its cap, drops and counts it). */
  #spillOutbox(): void {
    const outbox = this.#outbox;
    if (outbox === undefined || this.#draining) return;
    // Not while a socket that sent batches may still be writing from the outbox's memory.
    if (this.#socket !== undefined && this.#welcomed && !this.#stopped) return;
    this.#draining = true;
    try {
      const write = Atomics.load(outbox.control, OutboxSlot.WRITE);
      let acked = Atomics.load(outbox.control, OutboxSlot.ACKED);
      if (acked === write) return;
      let spilled = 0;
      if (this.#spill === undefined) {
        this.#spill = SpillFile.create(this.#forward.spillDir, this.session, this.#forward.spillMaxBytes);
        this.#spillSendAt = this.#spill.firstEntry;
        this.#spillAcked = this.#spill.firstEntry;
      }
      this.#spillSent = false;
      while (acked !== write) {
        const entry = entryAt(outbox, acked);
        const bytes = Buffer.from(outbox.buffer, OUTBOX_CONTROL_BYTES + entry.index, entry.bytes);
        // REPLAY only for what may have reached an aggregator: counted as maybeDuplicated there.
        const flags = this.#headSeq <= this.#sentMax ? BatchFlag.REPLAY : 0;
        if (this.#spill.append(this.#headSeq, entry.lines, bytes, flags)) {
          this.#count(Stat.SPILLED, entry.lines);
          spilled += entry.lines;
        }
        else {
          this.#lost += entry.lines;
          this.#count(Stat.FORWARD_DROPPED, entry.lines);
        }
        acked = entry.next;
        this.#headSeq++;
      }
      this.#sendAt = acked;
      this.#sendSeq = this.#headSeq;
      this.#inFlight.length = 0;
      this.#free(acked);
      // At exit or close, the backend's thread will not print our events any more: say it here.
      if (spilled > 0 && Atomics.load(outbox.control, OutboxSlot.CLOSING) === 1) {
        stderr(`ringlog: the aggregator at ${this.#forward.address} is away: ${spilled} lines went to the spill file ${this.#spill.path}, replayed by the next process that forwards there`);
      }
    } finally {
      this.#draining = false;
    }
  }
}
