/**
 * What a forwarding process and its aggregator say to each other over the local socket. Every
 * frame is `[body bytes: u32 LE][type: u8][body]`:
 *
 * | type    | from       | body                                                              |
 * |---------|------------|-------------------------------------------------------------------|
 * | HELLO   | sender     | JSON { v, session, pid, maxFrame }: first, once                   |
 * | WELCOME | aggregator | JSON { v, maxFrame, lastSeq }: the lower maxFrame, and the last   |
 * |         |            | batch of this session it has (0: none), so replays skip it         |
 * | BATCH   | sender     | [seq: f64 LE][flags: u8][lines: u32 LE][whole lines, each ending   |
 * |         |            | in '\n']: `lines` is their count, for the aggregator's stats        |
 * | ACK     | aggregator | [seq: f64 LE]: every batch up to seq is in the aggregator's ring  |
 * |         |            | and written by its consumer                                       |
 *
 * Sequence numbers count a session's batches from 1; a session is one sender's life (a random
 * id), or a spill file's, replayed under the session that wrote it. The aggregator drops a
 * batch whose seq it has had, and acknowledges it again. Anything else (an unknown type, a
 * frame over the negotiated size, a batch that does not end a line, HELLO twice or not first)
 * is a protocol error: the peer is disconnected and reported, and the others go on.
 */

export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 5;
/** The largest frame either side takes, whatever the other asks for. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Before the handshake, only HELLO and WELCOME come: small. */
export const HANDSHAKE_MAX_BYTES = 4096;

export const FrameType = Object.freeze({ HELLO: 1, WELCOME: 2, BATCH: 3, ACK: 4 });
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** BATCH flags. */
export const BatchFlag = Object.freeze({
  /** Sent before, on an earlier connection or from a spill file: the aggregator may have it. */
  REPLAY: 1,
});
export const BATCH_HEAD_BYTES = 13;

export interface Hello {
  readonly v: number;
  /** 32 hex digits. */
  readonly session: string;
  readonly pid: number;
  readonly maxFrame: number;
}

export interface Welcome {
  readonly v: number;
  readonly maxFrame: number;
  readonly lastSeq: number;
}

export class ProtocolError extends Error {}

export function frame(type: FrameType, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out[4] = type;
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

export function jsonFrame(type: FrameType, value: Hello | Welcome): Buffer {
  return frame(type, Buffer.from(JSON.stringify(value)));
}

/** A BATCH frame's head; its lines follow (written separately, so that they are not copied twice). */
export function batchHead(seq: number, flags: number, lines: number, lineBytes: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + BATCH_HEAD_BYTES);
  out.writeUInt32LE(BATCH_HEAD_BYTES + lineBytes, 0);
  out[4] = FrameType.BATCH;
  out.writeDoubleLE(seq, FRAME_HEADER_BYTES);
  out[FRAME_HEADER_BYTES + 8] = flags;
  out.writeUInt32LE(lines, FRAME_HEADER_BYTES + 9);
  return out;
}

export function ackFrame(seq: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
  out.writeUInt32LE(8, 0);
  out[4] = FrameType.ACK;
  out.writeDoubleLE(seq, FRAME_HEADER_BYTES);
  return out;
}

export function isSession(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

function isSeq(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** HELLO's body, checked: a peer that says anything else is refused. */
export function parseHello(body: Buffer): Hello {
  const hello = parseJson(body) as Partial<Hello>;
  if (hello.v !== PROTOCOL_VERSION) throw new ProtocolError(`HELLO of protocol version ${String(hello.v)}; this aggregator speaks ${PROTOCOL_VERSION}`);
  if (!isSession(hello.session)) throw new ProtocolError('HELLO without a session id');
  if (!Number.isSafeInteger(hello.pid) || hello.pid! < 0) throw new ProtocolError('HELLO without a pid');
  if (!Number.isSafeInteger(hello.maxFrame) || hello.maxFrame! < 1024) throw new ProtocolError('HELLO without a frame size of at least 1024');
  return hello as Hello;
}

export function parseWelcome(body: Buffer): Welcome {
  const welcome = parseJson(body) as Partial<Welcome>;
  if (welcome.v !== PROTOCOL_VERSION) throw new ProtocolError(`WELCOME of protocol version ${String(welcome.v)}; this sender speaks ${PROTOCOL_VERSION}`);
  if (!Number.isSafeInteger(welcome.maxFrame) || welcome.maxFrame! < 1024) throw new ProtocolError('WELCOME without a frame size');
  if (!isSeq(welcome.lastSeq as number)) throw new ProtocolError('WELCOME without lastSeq');
  return welcome as Welcome;
}

export function parseSeq(body: Buffer): number {
  if (body.length < 8) throw new ProtocolError(`a frame of ${body.length} bytes where a sequence number was due`);
  const seq = body.readDoubleLE(0);
  if (!isSeq(seq) || seq === 0) throw new ProtocolError(`sequence number ${seq}`);
  return seq;
}

function parseJson(body: Buffer): unknown {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value !== null && typeof value === 'object') return value;
  } catch {
    // said below
  }
  throw new ProtocolError('a handshake that is not a JSON object');
}

/**
 * Cuts a byte stream into frames. `push()` takes what a socket read; `next()` returns the next
 * whole frame (its body a view into the reader's memory, valid until the next push) or
 * undefined. A frame larger than `maxBody` throws before it is buffered: a peer cannot make it
 * hold more than one frame. Bodies stay valid after later pushes: it only appends to memory
 * past them, or moves to new memory (each socket read is a Buffer of its own).
 */
export class FrameReader {
  #buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Whether #buffer is this reader's own (it may append into it) or a chunk the socket gave. */
  #owned = false;
  /** #buffer is a chunk its reader reuses for the next read (see push()'s `reused`). */
  #reused = false;
  /**
   * Own buffers by their memory, and how many bodies returned from each are still in use (see
   * release()). A body's bytes are never written over while it is in use; a buffer with none
   * in use is written into again rather than a new one allocated. Batches span several socket
   * reads, so most of them are put together here: a fresh buffer for each one (hundreds of KiB)
   * cost its page faults and the garbage collector's external-memory work every time, the
   * largest part of the aggregator's receiver thread in the `processes` bench scenario's profile.
   * Weak: a buffer whose bodies are never released (a handshake's) is simply collected.
   */
  readonly #inUse = new WeakMap<ArrayBufferLike, number>();
  /** An own buffer no body uses any more, kept for the next frame that must be put together. */
  #spare: Buffer | undefined;
  maxBody: number;

  constructor(maxBody: number) {
    this.maxBody = maxBody;
  }

  /** Bytes held that are not yet a whole frame. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /**
   * `reused`: the socket reads into `chunk`'s memory again once the caller returns (an `onread`
   * buffer): the bodies next() returns from it must be done with or copied by then, and
   * settle() moves the bytes of a frame not yet whole out of it.
   */
  push(chunk: Buffer, reused = false): void {
    const pending = this.#end - this.#start;
    if (pending === 0) {
      this.#retire();
      this.#buffer = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#owned = false;
      this.#reused = reused;
      return;
    }
    const needed = pending + chunk.length;
    const buffer = this.#buffer;
    if (this.#owned && buffer.length - this.#end >= chunk.length) {
      chunk.copy(buffer, this.#end);
      this.#end += chunk.length;
      return;
    }
    if (this.#owned && buffer.length >= needed && !this.#inUse.has(buffer.buffer)) {
      // Nothing returned from it is in use: the frame being put together moves to its start.
      buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const next = this.#room(needed);
      buffer.copy(next, 0, this.#start, this.#end);
      this.#retire();
      this.#buffer = next;
      this.#owned = true;
    }
    chunk.copy(this.#buffer, pending);
    this.#start = 0;
    this.#end = needed;
    this.#reused = false;
  }

  /**
   * Before the memory of a reused chunk is read into again: the start of a frame still in it
   * moves into the reader's own memory (as push() would have copied it with the next chunk).
   */
  settle(): void {
    if (!this.#reused) return;
    this.#reused = false;
    const pending = this.#end - this.#start;
    if (pending === 0) {
      this.#buffer = Buffer.alloc(0);
      this.#start = 0;
      this.#end = 0;
      return;
    }
    const own = this.#room(pending);
    this.#buffer.copy(own, 0, this.#start, this.#end);
    this.#buffer = own;
    this.#owned = true;
    this.#start = 0;
    this.#end = pending;
  }

  next(): { type: number; body: Buffer } | undefined {
    const available = this.#end - this.#start;
    if (available < FRAME_HEADER_BYTES) return this.#keep();
    const length = this.#buffer.readUInt32LE(this.#start);
    if (length > this.maxBody) throw new ProtocolError(`a frame of ${length} bytes, over the ${this.maxBody} agreed`);
    const type = this.#buffer[this.#start + 4]!;
    if (type < FrameType.HELLO || type > FrameType.ACK) throw new ProtocolError(`a frame of unknown type ${type}`);
    if (available < FRAME_HEADER_BYTES + length) return this.#keep();
    const bodyStart = this.#start + FRAME_HEADER_BYTES;
    this.#start = bodyStart + length;
    const memory = this.#buffer.buffer;
    if (this.#owned) this.#inUse.set(memory, (this.#inUse.get(memory) ?? 0) + 1);
    return { type, body: this.#buffer.subarray(bodyStart, bodyStart + length) };
  }

  /**
   * The caller is done with `body` (returned by next(), or any view of its bytes): its buffer
   * may be written over once no other body of it is in use. Optional: a body never released
   * only keeps its buffer from being reused.
   */
  release(body: Uint8Array): void {
    const memory = body.buffer;
    const inUse = this.#inUse.get(memory);
    if (inUse === undefined) return;
    if (inUse > 1) {
      this.#inUse.set(memory, inUse - 1);
      return;
    }
    this.#inUse.delete(memory);
    // The current buffer is written into again by push() itself; an earlier one is kept.
    if (memory !== this.#buffer.buffer) this.#keepSpare(Buffer.from(memory as ArrayBuffer));
  }

  /** An own buffer for `needed` bytes, with room to grow: the spare when it is large enough. */
  #room(needed: number): Buffer {
    const spare = this.#spare;
    if (spare !== undefined && spare.length >= needed) {
      this.#spare = undefined;
      return spare;
    }
    // allocUnsafeSlow: memory of its own (not the shared pool), which is what #inUse counts by.
    return Buffer.allocUnsafeSlow(Math.max(needed, Math.min(2 * needed, this.maxBody + FRAME_HEADER_BYTES)));
  }

  /** No whole frame: when nothing at all is left, the next chunk is taken as it comes. */
  #keep(): undefined {
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    return undefined;
  }

  /** #buffer is about to be replaced: an own buffer that nothing uses becomes the spare. */
  #retire(): void {
    const buffer = this.#buffer;
    if (this.#owned && !this.#inUse.has(buffer.buffer)) this.#keepSpare(buffer);
  }

  #keepSpare(buffer: Buffer): void {
    if (this.#spare === undefined || this.#spare.length < buffer.length) this.#spare = buffer;
  }
}
