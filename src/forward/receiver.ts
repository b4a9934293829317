/**
 * The aggregator's side of forwarding, in its receiver thread: every connection's batches go
 * into the aggregator's own ring as finished lines, which its consumer writes through its root
 * sinks with everything else: one set of files, rotated by one thread. In line lanes (one sink,
 * backend.ts) a batch's lines are appended to the receiver's lane as they came, and the consumer
 * writes them from there; in record lanes they go in Flag.LINE records, several whole lines
 * each. A batch is acknowledged once the consumer has written it (WRITTEN has passed it), so
 * that an acknowledged batch is in the file, not only in memory.
 *
 * Bounded: a connection is paused while it has batches waiting, and every connection while
 * the ring is full; so the aggregator holds at most a read and a frame per connection, and a
 * slow disk slows the senders, whose outboxes fill, and so on back to the apps' `onFull`.
 *
 * Exactly once: per session, the last batch written is remembered; a batch at or below it (a
 * replay after a lost acknowledgement) is dropped and acknowledged again. An aggregator that
 * restarts has forgotten: a replayed batch of a session it does not know is written and
 * counted as a possible duplicate (`maybeDuplicated`).
 */
import { Socket as NetSocket, type Socket, type SocketConstructorOpts } from 'node:net';
import { threadId } from 'node:worker_threads';
import { bytesOver, Flag, HEADER_BYTES, type Bytes, writeHeader } from '../record/descriptor.js';
import { copyBytes } from '../record/copy.js';
import { takeLane } from '../ring/lanes.js';
import { LaneSlot, Slot, Stat, State, type SharedViews } from '../ring/layout.js';
import { LineLane } from '../ring/line-lane.js';
import { NO_SPACE, Ring } from '../ring/ring.js';
import {
  ackFrame,
  BATCH_HEAD_BYTES,
  BatchFlag,
  FrameReader,
  FrameType,
  HANDSHAKE_MAX_BYTES,
  jsonFrame,
  MAX_FRAME_BYTES,
  parseHello,
  PROTOCOL_VERSION,
  ProtocolError,
} from './protocol.js';

/** Batches a connection may have waiting before it is paused. */
const QUEUED_PER_CONNECTION = 2;
/** Sessions remembered for deduplication; past it, the least recently seen is forgotten. */
const MAX_SESSIONS = 10_000;
/** One wait for the ring to have room, or for the consumer to write. */
const WAIT_SLICE_MS = 50;
/** Forwarded lines reach every root sink, whatever its level. */
const FORWARDED_LEVEL = 255;
const NEWLINE = 0x0a;
/**
 * The read buffer of a connection: a socket read takes at most this much. Node's own size for
 * a read; 256 KiB measured ~20 ms against ~30 per 110 MB, not worth 4x the memory per peer.
 */
const READ_BYTES = 64 * 1024;

/** Something a peer did that got it disconnected, for the backend's 'error' (ERR_RINGLOG_PEER). */
export interface PeerEvent {
  readonly type: 'peer';
  readonly message: string;
}

interface Connection {
  readonly socket: Socket;
  readonly reader: FrameReader;
  /** What the socket reads into, again and again (readingInto). */
  readonly readBuffer: Buffer;
  session: string | undefined;
  pid: number;
  /** The session was new to this aggregator when it said HELLO. */
  unknown: boolean;
  queued: number;
  closed: boolean;
}

class Job {
  /** `lines` for copyBytes. */
  bytes: Bytes;
  /** How far into `lines` the ring has it. */
  offset = 0;

  constructor(
    readonly connection: Connection,
    readonly seq: number,
    readonly flags: number,
    readonly lineCount: number,
    public lines: Buffer,
  ) {
    this.bytes = bytesOver(lines);
  }

  /** Moves the lines into memory of their own: the memory they were in is about to be reused. */
  keep(): void {
    this.lines = Buffer.from(this.lines);
    this.bytes = bytesOver(this.lines);
  }
}

interface PendingAck {
  readonly connection: Connection;
  readonly seq: number;
  /** The ring position the batch's records end at. */
  readonly target: number;
}

export class Receiver {
  readonly #views: SharedViews;
  /** The ring's data region, for copyBytes and the record header. */
  readonly #bytes: Bytes;
  /** The receiver's lane: lines appended as they came (line lanes), or Flag.LINE records. */
  readonly #lane: LineLane | Ring;
  readonly #report: (event: PeerEvent) => void;
  /** The longest run of lines one append takes: a line lane's longest line, or a record's payload. */
  readonly #maxLines: number;
  readonly #connections = new Set<Connection>();
  readonly #sessions = new Map<string, number>();
  readonly #jobs: Job[] = [];
  readonly #acks: PendingAck[] = [];
  #writing = false;
  /** Waiting for the ring to have room: #write() is retried from there, not from each read. */
  #waiting = false;
  /** HEAD as read before the last claim, for #waitForRoom. */
  #headBeforeClaim = 0;
  #acking = false;
  #stopped = false;

  constructor(views: SharedViews, maxRecordBytes: number, report: (event: PeerEvent) => void) {
    this.#views = views;
    this.#bytes = bytesOver(views.data);
    // A lane of its own, as every producer thread (lanes.ts).
    const lane = takeLane(views);
    if (views.lineLanes) {
      const lineLane = new LineLane(views, lane, threadId + 1);
      this.#lane = lineLane;
      this.#maxLines = lineLane.maxLineBytes;
    } else {
      const ring = new Ring(views, lane, maxRecordBytes);
      this.#lane = ring;
      this.#maxLines = ring.maxPayloadBytes - HEADER_BYTES;
    }
    this.#report = report;
  }

  /** `accepted`: a connection of a server made with pauseOnConnect, not read from yet. */
  accept(accepted: Socket): void {
    if (this.#stopped) {
      accepted.destroy();
      return;
    }
    const readBuffer = Buffer.allocUnsafeSlow(READ_BYTES);
    // Called for reads, which come after this returns.
    const onRead = (bytes: number): void => this.#onData(connection, readBuffer.subarray(0, bytes));
    const socket = readingInto(accepted, readBuffer, onRead);
    const connection: Connection = {
      socket,
      reader: new FrameReader(HANDSHAKE_MAX_BYTES),
      readBuffer,
      session: undefined,
      pid: 0,
      unknown: false,
      queued: 0,
      closed: false,
    };
    this.#connections.add(connection);
    socket.on('error', () => {});
    socket.on('close', () => {
      connection.closed = true;
      this.#connections.delete(connection);
    });
  }

  /** Stops taking batches; what is queued is still written, and acknowledged while the ring lives. */
  stop(): void {
    this.#stopped = true;
    for (const connection of this.#connections) connection.socket.pause();
  }

  disconnectAll(): void {
    for (const connection of this.#connections) connection.socket.destroy();
  }

  /** Resolves once every batch taken is in the ring and written, or the ring closed. */
  async settled(): Promise<void> {
    while ((this.#jobs.length > 0 || this.#acks.length > 0) && Atomics.load(this.#views.control, Slot.STATE) !== State.CLOSED) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** `chunk`: a view of the connection's read buffer, which the next read writes over. */
  #onData(connection: Connection, chunk: Buffer): void {
    try {
      connection.reader.push(chunk, true);
      for (let f = connection.reader.next(); f !== undefined; f = connection.reader.next()) this.#onFrame(connection, f.type, f.body);
      connection.reader.settle();
    } catch (error) {
      const why = error instanceof ProtocolError ? error.message : `an error (${error instanceof Error ? error.message : String(error)})`;
      const who = connection.session === undefined ? 'a peer' : `the sender of pid ${connection.pid}`;
      this.#report({ type: 'peer', message: `ringlog: ${who} sent ${why}; it was disconnected` });
      connection.socket.destroy();
      connection.closed = true;
      return;
    }
    if (connection.queued >= QUEUED_PER_CONNECTION) connection.socket.pause();
    this.#write();
    // Batches the ring had no room for yet: out of the read buffer before the next read.
    for (const job of this.#jobs) {
      if (job.connection === connection && job.lines.buffer === connection.readBuffer.buffer) job.keep();
    }
  }

  #onFrame(connection: Connection, type: number, body: Buffer): void {
    if (connection.session === undefined) {
      if (type !== FrameType.HELLO) throw new ProtocolError(`frame type ${type} before HELLO`);
      const hello = parseHello(body);
      const maxFrame = Math.min(hello.maxFrame, MAX_FRAME_BYTES);
      connection.session = hello.session;
      connection.pid = hello.pid;
      const lastSeq = this.#sessions.get(hello.session);
      connection.unknown = lastSeq === undefined;
      connection.reader.maxBody = maxFrame;
      connection.socket.write(jsonFrame(FrameType.WELCOME, { v: PROTOCOL_VERSION, maxFrame, lastSeq: lastSeq ?? 0 }));
      return;
    }
    if (type !== FrameType.BATCH) throw new ProtocolError(`frame type ${type} where BATCH was due`);
    if (body.length < BATCH_HEAD_BYTES + 1) throw new ProtocolError('an empty BATCH');
    const seq = body.readDoubleLE(0);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new ProtocolError(`a BATCH with sequence number ${seq}`);
    const flags = body[8]!;
    const lineCount = body.readUInt32LE(9);
    const lines = body.subarray(BATCH_HEAD_BYTES);
    if (lines[lines.length - 1] !== NEWLINE) throw new ProtocolError('a BATCH that does not end a line');
    // Not copied: most batches go into the ring before the read buffer is read into again, and
    // #onData copies those that wait (the reader's own memory is written over only after release()).
    this.#jobs.push(new Job(connection, seq, flags, lineCount, lines));
    connection.queued++;
  }

  /** Writes queued batches into the ring, in arrival order, until it is full. */
  #write(): void {
    if (this.#writing || this.#waiting) return;
    this.#writing = true;
    try {
      const jobs = this.#jobs;
      while (jobs.length > 0) {
        const job = jobs[0]!;
        const session = job.connection.session!;
        const last = this.#sessions.get(session) ?? 0;
        if (job.offset === 0 && job.seq <= last) {
          Atomics.add(this.#views.stats, Stat.DUPLICATES, 1n);
        } else if (!this.#commit(job)) {
          this.#waitForRoom();
          return;
        } else {
          this.#remember(session, job.seq);
          Atomics.add(this.#views.stats, Stat.RECEIVED, BigInt(job.lineCount));
          if ((job.flags & BatchFlag.REPLAY) !== 0 && job.connection.unknown) Atomics.add(this.#views.stats, Stat.MAYBE_DUPLICATED, 1n);
        }
        jobs.shift();
        job.connection.reader.release(job.lines);
        this.#acks.push({ connection: job.connection, seq: job.seq, target: this.#lane.end() });
        const connection = job.connection;
        if (--connection.queued < QUEUED_PER_CONNECTION && !connection.closed && !this.#stopped) connection.socket.resume();
      }
    } finally {
      this.#writing = false;
    }
    this.#ack();
  }

  /** Puts the rest of the job's lines into the ring, whole lines per record; false when the ring is full. */
  #commit(job: Job): boolean {
    const lines = job.lines;
    while (job.offset < lines.length) {
      const rest = lines.length - job.offset;
      let end: number;
      let count: number;
      if (rest <= this.#maxLines) {
        end = lines.length;
        count = job.offset === 0 ? job.lineCount : countLines(lines, job.offset, end);
      } else {
        end = lines.lastIndexOf(NEWLINE, job.offset + this.#maxLines - 1) + 1;
        if (end <= job.offset) {
          // One line longer than a record can hold: it cannot go whole, and is counted.
          job.offset = lines.indexOf(NEWLINE, job.offset) + 1;
          Atomics.add(this.#views.control, Slot.OVERSIZED, 1);
          continue;
        }
        count = countLines(lines, job.offset, end);
      }
      if (!this.#append(job, end, count)) return false;
      job.offset = end;
    }
    return true;
  }

  /**
   * Appends the job's lines from its offset to `end`, `count` of them (as the peer counted them,
   * within what the bytes can hold), stamped now; false when the lane has no room.
   */
  #append(job: Job, end: number, count: number): boolean {
    const length = end - job.offset;
    const lines = Math.min(Math.max(count, 1), length);
    const lane = this.#lane;
    this.#headBeforeClaim = lane.head();
    if (lane instanceof LineLane) {
      // Negative when the lane is full or sealed (closing): #waitForRoom then looks at the state.
      const index = lane.begin(length);
      if (index < 0) return false;
      copyBytes(job.bytes, job.offset, this.#bytes, index, length);
      lane.commit(lines, Date.now());
      return true;
    }
    const payload = HEADER_BYTES + length;
    const index = lane.claim(payload, threadId);
    if (index === NO_SPACE) return false;
    // For LINE records, ARG_COUNT holds how many lines the record has (stats count lines).
    writeHeader(this.#bytes.view, index, Date.now(), threadId, FORWARDED_LEVEL, Flag.LINE, Math.min(lines, 0xffff));
    copyBytes(job.bytes, job.offset, this.#bytes, index + HEADER_BYTES, length);
    lane.commit(index, payload);
    return true;
  }

  #remember(session: string, seq: number): void {
    const sessions = this.#sessions;
    // Re-inserted, so that the map's order is least recently seen first.
    sessions.delete(session);
    sessions.set(session, seq);
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  }

  /**
   * The ring is full: stop reading every connection until HEAD moves. The wait is announced in
   * PRODUCERS_WAITING, as a producer's (Ring.claimOrWait), so that the consumer's release()
   * notifies HEAD: unannounced, every full ring cost the whole WAIT_SLICE_MS, and an aggregator
   * with a 64 KiB ring took forwarded lines at ~1.5 MB/s (80,000 lines in 4-5 s). A release
   * between the failed claim and the announcement moved HEAD past #headBeforeClaim, and the wait
   * returns at once.
   */
  #waitForRoom(): void {
    for (const connection of this.#connections) connection.socket.pause();
    const control = this.#views.control;
    const cursors = this.#lane.cursors;
    Atomics.add(cursors, LaneSlot.PRODUCERS_WAITING, 1);
    this.#lane.wakeConsumer();
    this.#waiting = true;
    const wait = Atomics.waitAsync(cursors, LaneSlot.HEAD, this.#headBeforeClaim, WAIT_SLICE_MS);
    const retry = (): void => {
      Atomics.sub(cursors, LaneSlot.PRODUCERS_WAITING, 1);
      this.#waiting = false;
      if (Atomics.load(control, Slot.STATE) === State.CLOSED) return;
      for (const connection of this.#connections) {
        if (connection.queued < QUEUED_PER_CONNECTION && !connection.closed && !this.#stopped) connection.socket.resume();
      }
      this.#write();
    };
    if (wait.async) void wait.value.then(retry);
    else setImmediate(retry);
  }

  /** Acknowledges, in order, every batch the consumer has written; one loop at a time. */
  #ack(): void {
    if (this.#acking || this.#acks.length === 0) return;
    this.#acking = true;
    const control = this.#views.control;
    const cursors = this.#lane.cursors;
    const loop = async (): Promise<void> => {
      const acks = this.#acks;
      while (acks.length > 0) {
        const written = Atomics.load(cursors, LaneSlot.WRITTEN);
        let done = 0;
        // The last ready seq per connection: one ACK says all of them.
        const ready = new Map<Connection, number>();
        while (done < acks.length && ((written - acks[done]!.target) | 0) >= 0) {
          const ack = acks[done++]!;
          ready.set(ack.connection, ack.seq);
        }
        acks.splice(0, done);
        for (const [connection, seq] of ready) if (!connection.closed) connection.socket.write(ackFrame(seq));
        // A closed ring writes nothing more: what is left is not acknowledged, and will be replayed.
        if (acks.length === 0 || Atomics.load(control, Slot.STATE) === State.CLOSED) {
          acks.length = 0;
          break;
        }
        this.#lane.wakeConsumer();
        const wait = Atomics.waitAsync(cursors, LaneSlot.WRITTEN, written, WAIT_SLICE_MS);
        if (wait.async) await wait.value;
      }
      this.#acking = false;
    };
    void loop();
  }
}

function countLines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE, from); at !== -1 && at < to; at = bytes.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/**
 * The accepted connection as a Socket that reads into `buffer`, over and over, and hands
 * `onRead` how many bytes came (`onread`, nodejs/node#25436). Node's default gives every read a
 * fresh 64 KiB Buffer, zero-filled and then shrunk to the bytes read: receiving 110 MB that way
 * took ~280 ms of CPU, and ~30 ms into one reused buffer (/tmp harness, 180 KiB writes over a
 * Unix socket). That was the largest part of the aggregator's CPU per record. A server cannot
 * give its connections `onread`, so the accepted handle (still paused: pauseOnConnect) moves
 * into a Socket made with it, as Node's cluster hands a connection to a worker.
 */
function readingInto(accepted: Socket, buffer: Buffer, onRead: (bytes: number) => void): Socket {
  const holder = accepted as unknown as { _handle: unknown };
  const handle = holder._handle;
  if (handle === null || handle === undefined) {
    // Closed before it could be taken: nothing to read.
    accepted.destroy();
    return accepted;
  }
  holder._handle = null;
  return new NetSocket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (bytes: number) => {
        onRead(bytes);
      },
    },
  } as SocketConstructorOpts);
}
