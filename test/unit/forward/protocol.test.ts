/**
 * The forwarding protocol's framing and handshake checks on their own: FrameReader gives back
 * exactly the frames written, in order, however the byte stream is cut into socket reads, and
 * the bodies it returned stay valid after later pushes; it refuses a frame over maxBody as soon
 * as the header is in (before the body is buffered) and a frame of unknown type; parseHello,
 * parseWelcome and parseSeq refuse what a peer must not say.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ackFrame,
  BATCH_HEAD_BYTES,
  batchHead,
  BatchFlag,
  FRAME_HEADER_BYTES,
  frame,
  FrameReader,
  FrameType,
  isSession,
  jsonFrame,
  parseHello,
  parseSeq,
  parseWelcome,
  PROTOCOL_VERSION,
  ProtocolError,
  type Hello,
  type Welcome,
} from '../../../src/forward/protocol.js';

const SESSION = '0123456789abcdef0123456789abcdef';

/** What one frame should read back as. */
interface Expected {
  readonly type: number;
  readonly body: Buffer;
}

type FrameSpec =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'welcome'; welcome: Welcome }
  | { kind: 'batch'; seq: number; flags: number; lines: string[] }
  | { kind: 'ack'; seq: number };

const seqArb = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 1, max: 2 ** 40 }));
const sessionArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));
const lineArb = fc
  .oneof({ weight: 5, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 100, maxLength: 600 }) })
  .map((s) => `${s.replaceAll('\n', ' ')}\n`);

const frameSpecArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({
    kind: fc.constant('hello' as const),
    hello: fc.record({ v: fc.constant(PROTOCOL_VERSION), session: sessionArb, pid: fc.nat(), maxFrame: fc.integer({ min: 1024, max: 2 ** 26 }) }),
  }),
  fc.record({
    kind: fc.constant('welcome' as const),
    welcome: fc.record({ v: fc.constant(PROTOCOL_VERSION), maxFrame: fc.integer({ min: 1024, max: 2 ** 26 }), lastSeq: fc.nat() }),
  }),
  fc.record({
    kind: fc.constant('batch' as const),
    seq: seqArb,
    flags: fc.constantFrom(0, BatchFlag.REPLAY),
    lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('ack' as const), seq: seqArb }),
);

/** The bytes the sender or the aggregator would write for `spec`, and what the reader must return. */
function encode(spec: FrameSpec): { wire: Buffer[]; expected: Expected } {
  switch (spec.kind) {
    case 'hello': {
      const wire = jsonFrame(FrameType.HELLO, spec.hello);
      return { wire: [wire], expected: { type: FrameType.HELLO, body: Buffer.from(JSON.stringify(spec.hello)) } };
    }
    case 'welcome': {
      const wire = jsonFrame(FrameType.WELCOME, spec.welcome);
      return { wire: [wire], expected: { type: FrameType.WELCOME, body: Buffer.from(JSON.stringify(spec.welcome)) } };
    }
    case 'batch': {
      const lines = Buffer.from(spec.lines.join(''));
      const head = batchHead(spec.seq, spec.flags, spec.lines.length, lines.length);
      const body = Buffer.concat([head.subarray(FRAME_HEADER_BYTES), lines]);
      return { wire: [head, lines], expected: { type: FrameType.BATCH, body } };
    }
    case 'ack': {
      const body = Buffer.alloc(8);
      body.writeDoubleLE(spec.seq, 0);
      return { wire: [ackFrame(spec.seq)], expected: { type: FrameType.ACK, body } };
    }
  }
}

/** Cuts `stream` at the given points (fractions of its length), each piece a Buffer of its own. */
function cut(stream: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => Math.floor(p * stream.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const to of [...at, stream.length]) {
    if (to < from) continue;
    // Copies: each socket read is memory of its own; empty pieces too, now and then.
    pieces.push(Buffer.from(stream.subarray(from, to)));
    from = to;
  }
  return pieces;
}

describe('FrameReader', () => {
  it('gives back any sequence of frames, cut into any chunks, identical and in order; earlier bodies stay valid', () => {
    fc.assert(
      fc.property(
        fc.array(frameSpecArb, { minLength: 1, maxLength: 25 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        fc.boolean(),
        (specs, points, drainAfterEach) => {
          const encoded = specs.map(encode);
          const stream = Buffer.concat(encoded.flatMap((e) => e.wire));
          const maxBody = Math.max(...encoded.map((e) => e.expected.body.length));
          const reader = new FrameReader(maxBody);
          const got: { type: number; body: Buffer; copy: Buffer }[] = [];
          const pull = (): void => {
            for (let f = reader.next(); f !== undefined; f = reader.next()) got.push({ ...f, copy: Buffer.from(f.body) });
          };
          const chunks = cut(stream, points);
          chunks.forEach((chunk, i) => {
            reader.push(chunk);
            // Either drain after every read (as the socket handler does) or now and then.
            if (drainAfterEach || i % 3 === 2) pull();
          });
          pull();
          expect(reader.pending).toBe(0);
          expect(got.length).toBe(encoded.length);
          got.forEach((frameGot, i) => {
            const expected = encoded[i]!.expected;
            expect(frameGot.type).toBe(expected.type);
            // As returned, and still now, after every later push.
            expect(frameGot.copy.equals(expected.body)).toBe(true);
            expect(frameGot.body.equals(expected.body)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads chunks that all come in one reused buffer (onread): settle() keeps what is not yet a frame', () => {
    fc.assert(
      fc.property(
        fc.array(frameSpecArb, { minLength: 1, maxLength: 25 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        (specs, points) => {
          const encoded = specs.map(encode);
          const stream = Buffer.concat(encoded.flatMap((e) => e.wire));
          const reader = new FrameReader(Math.max(...encoded.map((e) => e.expected.body.length)));
          const chunks = cut(stream, points);
          const readBuffer = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
          const got: { type: number; copy: Buffer }[] = [];
          for (const chunk of chunks) {
            chunk.copy(readBuffer);
            reader.push(readBuffer.subarray(0, chunk.length), true);
            // Bodies from the read buffer are used before the next read, as the receiver does.
            for (let f = reader.next(); f !== undefined; f = reader.next()) got.push({ type: f.type, copy: Buffer.from(f.body) });
            reader.settle();
            // The next read writes over all of it: a frame held across reads must not be there.
            readBuffer.fill(0xee);
          }
          expect(reader.pending).toBe(0);
          expect(got.map((f) => f.type)).toEqual(encoded.map((e) => e.expected.type));
          got.forEach((frameGot, i) => expect(frameGot.copy.equals(encoded[i]!.expected.body)).toBe(true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every body it returned intact until it is released, and reuses the memory of released ones', () => {
    fc.assert(
      fc.property(
        fc.array(frameSpecArb, { minLength: 1, maxLength: 25 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (specs, points, picks) => {
          const encoded = specs.map(encode);
          const stream = Buffer.concat(encoded.flatMap((e) => e.wire));
          const maxBody = Math.max(...encoded.map((e) => e.expected.body.length));
          const reader = new FrameReader(maxBody);
          const held: { body: Buffer; expected: Buffer }[] = [];
          let read = 0;
          let pick = 0;
          for (const chunk of cut(stream, points)) {
            reader.push(chunk);
            for (let f = reader.next(); f !== undefined; f = reader.next()) held.push({ body: f.body, expected: encoded[read++]!.expected.body });
            // Release some held bodies, in any order (the receiver releases in its own order).
            const releases = held.length === 0 ? 0 : (picks[pick++] ?? 0) % (held.length + 1);
            for (let k = 0; k < releases; k++) {
              const [done] = held.splice((picks[pick++] ?? 0) % held.length, 1);
              expect(done!.body.equals(done!.expected)).toBe(true);
              reader.release(done!.body);
            }
            for (const h of held) expect(h.body.equals(h.expected)).toBe(true);
          }
          expect(read).toBe(encoded.length);
          for (const h of held) expect(h.body.equals(h.expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('puts large frames together in one buffer, reused once their bodies are released', () => {
    const body = Buffer.alloc(300 << 10, 0x61);
    const wire = frame(FrameType.ACK, body);
    const reader = new FrameReader(body.length);
    const memories = new Set<ArrayBufferLike>();
    for (let round = 0; round < 20; round++) {
      for (let at = 0; at < wire.length; at += 64 << 10) reader.push(Buffer.from(wire.subarray(at, at + (64 << 10))));
      const f = reader.next()!;
      expect(f.body.equals(body)).toBe(true);
      memories.add(f.body.buffer);
      reader.release(f.body);
    }
    // The first frame put together allocates; later ones write over released memory.
    expect(memories.size).toBeLessThanOrEqual(2);
  });

  it('reads BATCH heads back: seq, flags, line count and lines', () => {
    const reader = new FrameReader(1 << 16);
    const lines = Buffer.from('a\nbb\nccc\n');
    reader.push(Buffer.concat([batchHead(2 ** 40 + 3, BatchFlag.REPLAY, 3, lines.length), lines]));
    const f = reader.next()!;
    expect(f.type).toBe(FrameType.BATCH);
    expect(f.body.length).toBe(BATCH_HEAD_BYTES + lines.length);
    expect(f.body.readDoubleLE(0)).toBe(2 ** 40 + 3);
    expect(f.body[8]).toBe(BatchFlag.REPLAY);
    expect(f.body.readUInt32LE(9)).toBe(3);
    expect(f.body.subarray(BATCH_HEAD_BYTES).equals(lines)).toBe(true);
    expect(parseSeq(f.body)).toBe(2 ** 40 + 3);
    expect(reader.next()).toBeUndefined();
  });

  it('counts the bytes of a partial frame as pending', () => {
    const reader = new FrameReader(1024);
    const wire = ackFrame(7);
    reader.push(wire.subarray(0, 3));
    expect(reader.next()).toBeUndefined();
    expect(reader.pending).toBe(3);
    reader.push(wire.subarray(3, 10));
    expect(reader.next()).toBeUndefined();
    expect(reader.pending).toBe(10);
    reader.push(Buffer.concat([wire.subarray(10), ackFrame(8).subarray(0, 2)]));
    expect(parseSeq(reader.next()!.body)).toBe(7);
    expect(reader.next()).toBeUndefined();
    expect(reader.pending).toBe(2);
  });

  it('takes a frame of exactly maxBody', () => {
    const reader = new FrameReader(100);
    reader.push(frame(FrameType.BATCH, Buffer.alloc(100, 0x61)));
    expect(reader.next()?.body.length).toBe(100);
  });

  it('throws ProtocolError for a frame over maxBody as soon as its header is in, before its body is buffered', () => {
    const reader = new FrameReader(100);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32LE(101, 0);
    header[4] = FrameType.BATCH;
    reader.push(header);
    expect(() => reader.next()).toThrow(ProtocolError);

    // A huge length is refused just the same, with only the header (and a little) read.
    const huge = new FrameReader(1 << 20);
    const big = Buffer.alloc(FRAME_HEADER_BYTES + 10);
    big.writeUInt32LE(0xffffffff, 0);
    big[4] = FrameType.BATCH;
    huge.push(big.subarray(0, 2));
    expect(huge.next()).toBeUndefined();
    huge.push(big.subarray(2));
    expect(() => huge.next()).toThrow(/over the 1048576 agreed/);
  });

  it('throws ProtocolError for an over-large frame behind good ones in the same chunk', () => {
    const reader = new FrameReader(64);
    const over = Buffer.alloc(FRAME_HEADER_BYTES);
    over.writeUInt32LE(65, 0);
    over[4] = FrameType.ACK;
    reader.push(Buffer.concat([ackFrame(1), ackFrame(2), over]));
    expect(parseSeq(reader.next()!.body)).toBe(1);
    expect(parseSeq(reader.next()!.body)).toBe(2);
    expect(() => reader.next()).toThrow(ProtocolError);
  });

  it('follows a change of maxBody (the negotiated size)', () => {
    const reader = new FrameReader(4096);
    reader.maxBody = 16;
    reader.push(frame(FrameType.BATCH, Buffer.alloc(17)));
    expect(() => reader.next()).toThrow(ProtocolError);
  });

  it.each([0, 5, 6, 255])('throws ProtocolError for a frame of unknown type %i, even before its body', (type) => {
    const reader = new FrameReader(1024);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32LE(8, 0);
    header[4] = type;
    reader.push(header);
    expect(() => reader.next()).toThrow(ProtocolError);
    expect(() => reader.next()).toThrow(/unknown type/);
  });

  it('accepts the four known types with empty bodies', () => {
    const reader = new FrameReader(16);
    for (const type of [FrameType.HELLO, FrameType.WELCOME, FrameType.BATCH, FrameType.ACK]) reader.push(frame(type, Buffer.alloc(0)));
    expect([reader.next()?.type, reader.next()?.type, reader.next()?.type, reader.next()?.type]).toEqual([1, 2, 3, 4]);
    expect(reader.next()).toBeUndefined();
  });
});

describe('handshake and sequence numbers', () => {
  const hello: Hello = { v: PROTOCOL_VERSION, session: SESSION, pid: 1234, maxFrame: 1 << 20 };
  const welcome: Welcome = { v: PROTOCOL_VERSION, maxFrame: 1 << 20, lastSeq: 0 };
  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

  it('parseHello takes a good HELLO, as jsonFrame writes it', () => {
    const reader = new FrameReader(4096);
    reader.push(jsonFrame(FrameType.HELLO, hello));
    expect(parseHello(reader.next()!.body)).toEqual(hello);
    expect(parseHello(json({ ...hello, pid: 0, maxFrame: 1024 }))).toEqual({ ...hello, pid: 0, maxFrame: 1024 });
  });

  it.each([
    ['a wrong version', { ...hello, v: 2 }],
    ['version 0', { ...hello, v: 0 }],
    ['version as a string', { ...hello, v: '1' }],
    ['no version', { session: SESSION, pid: 1, maxFrame: 4096 }],
    ['no session', { ...hello, session: undefined }],
    ['a session in upper case', { ...hello, session: SESSION.toUpperCase() }],
    ['a session of 31 digits', { ...hello, session: SESSION.slice(1) }],
    ['a session of 33 digits', { ...hello, session: `${SESSION}0` }],
    ['a session that is not hex', { ...hello, session: `${SESSION.slice(1)}g` }],
    ['a session as a number', { ...hello, session: 12345 }],
    ['a negative pid', { ...hello, pid: -1 }],
    ['a fractional pid', { ...hello, pid: 1.5 }],
    ['no pid', { ...hello, pid: undefined }],
    ['a frame size below 1024', { ...hello, maxFrame: 1023 }],
    ['a fractional frame size', { ...hello, maxFrame: 4096.5 }],
    ['a frame size as a string', { ...hello, maxFrame: '4096' }],
  ])('parseHello refuses %s', (_what, value) => {
    expect(() => parseHello(json(value))).toThrow(ProtocolError);
  });

  it.each([
    ['not JSON', Buffer.from('{"v":1,')],
    ['empty', Buffer.alloc(0)],
    ['JSON null', Buffer.from('null')],
    ['a JSON number', Buffer.from('1')],
    ['a JSON string', Buffer.from('"hello"')],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
  ])('parseHello and parseWelcome refuse a body that is %s', (_what, body) => {
    expect(() => parseHello(body)).toThrow(ProtocolError);
    expect(() => parseWelcome(body)).toThrow(ProtocolError);
    expect(() => parseHello(body)).toThrow(/not a JSON object/);
  });

  it('parseWelcome takes a good WELCOME, lastSeq 0 included', () => {
    expect(parseWelcome(json(welcome))).toEqual(welcome);
    expect(parseWelcome(json({ ...welcome, lastSeq: Number.MAX_SAFE_INTEGER }))).toEqual({ ...welcome, lastSeq: Number.MAX_SAFE_INTEGER });
  });

  it.each([
    ['a wrong version', { ...welcome, v: 2 }],
    ['no version', { maxFrame: 4096, lastSeq: 0 }],
    ['a frame size below 1024', { ...welcome, maxFrame: 1000 }],
    ['no frame size', { v: 1, lastSeq: 0 }],
    ['a negative lastSeq', { ...welcome, lastSeq: -1 }],
    ['a fractional lastSeq', { ...welcome, lastSeq: 2.5 }],
    ['an unsafe lastSeq', { ...welcome, lastSeq: 2 ** 53 }],
    ['no lastSeq', { v: 1, maxFrame: 4096 }],
    ['a lastSeq as a string', { ...welcome, lastSeq: '3' }],
  ])('parseWelcome refuses %s', (_what, value) => {
    expect(() => parseWelcome(json(value))).toThrow(ProtocolError);
  });

  const seqBody = (value: number): Buffer => {
    const body = Buffer.alloc(8);
    body.writeDoubleLE(value, 0);
    return body;
  };

  it('parseSeq takes positive safe integers, from an ACK or a BATCH head', () => {
    for (const seq of [1, 2, 1000, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      expect(parseSeq(seqBody(seq))).toBe(seq);
      expect(parseSeq(ackFrame(seq).subarray(FRAME_HEADER_BYTES))).toBe(seq);
    }
  });

  it.each([0, -0, -1, -(2 ** 40), 0.5, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('parseSeq refuses %d', (seq) => {
    expect(() => parseSeq(seqBody(seq))).toThrow(ProtocolError);
  });

  it('parseSeq refuses a body shorter than 8 bytes', () => {
    for (let n = 0; n < 8; n++) expect(() => parseSeq(Buffer.alloc(n, 1))).toThrow(ProtocolError);
  });

  it('parseSeq refuses any non-positive or non-integer double (property)', () => {
    fc.assert(
      fc.property(fc.double(), (value) => {
        const good = Number.isSafeInteger(value) && value > 0;
        if (good) expect(parseSeq(seqBody(value))).toBe(value);
        else expect(() => parseSeq(seqBody(value))).toThrow(ProtocolError);
      }),
    );
  });

  it('isSession is 32 lower-case hex digits exactly', () => {
    expect(isSession(SESSION)).toBe(true);
    expect(isSession(SESSION.toUpperCase())).toBe(false);
    expect(isSession(`${SESSION}\n`)).toBe(false);
    expect(isSession(undefined)).toBe(false);
  });
});
