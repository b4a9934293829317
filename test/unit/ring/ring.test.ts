import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { allocateShared, LaneSlot, viewShared, type SharedViews } from '../../../src/ring/layout.js';
import { FRAME_HEADER_BYTES, frameBytes, NO_SPACE, PADDING, Ring } from '../../../src/ring/ring.js';

function makeRing(capacity: number, start = 0): { ring: Ring; views: SharedViews } {
  const views = viewShared(allocateShared(capacity));
  const ring = new Ring(views);
  ring.reset(start);
  return { ring, views };
}

interface Frame {
  index: number;
  bytes: number;
  producer: number;
}

function readAll(ring: Ring, maxBytes = Number.MAX_SAFE_INTEGER): { frames: Frame[]; consumed: number } {
  const frames: Frame[] = [];
  const consumed = ring.read((index, bytes, producer) => frames.push({ index, bytes, producer }), maxBytes);
  return { frames, consumed };
}

/** Claims, fills with a pattern derived from `seed`, commits; returns the payload index. */
function put(ring: Ring, views: SharedViews, bytes: number, seed: number, producer = 1): number {
  const index = ring.claim(bytes, producer);
  if (index === NO_SPACE) return NO_SPACE;
  fill(views, index, bytes, seed);
  ring.commit(index, bytes);
  return index;
}

function fill(views: SharedViews, index: number, bytes: number, seed: number): void {
  for (let i = 0; i < bytes; i++) views.data[index + i] = (seed * 31 + i) & 0xff;
}

function holds(views: SharedViews, index: number, bytes: number, seed: number): boolean {
  for (let i = 0; i < bytes; i++) if (views.data[index + i] !== ((seed * 31 + i) & 0xff)) return false;
  return true;
}

describe('frames', () => {
  it.each([
    [0, 8],
    [1, 16],
    [8, 16],
    [9, 24],
    [56, 64],
  ])('a %i-byte payload takes a %i-byte frame (8-byte header, 8-byte alignment)', (payload, frame) => {
    expect(frameBytes(payload)).toBe(frame);
  });

  it('limits a payload to an eighth of the ring less the header', () => {
    expect(makeRing(1024).ring.maxPayloadBytes).toBe(128 - FRAME_HEADER_BYTES);
  });
});

describe('claim, commit, read, release', () => {
  it('hands back what was committed, in claim order, with the producer id', () => {
    const { ring, views } = makeRing(256);
    const a = put(ring, views, 5, 1, 7);
    const b = put(ring, views, 0, 2, 8);
    const c = put(ring, views, 13, 3, 9);
    const { frames, consumed } = readAll(ring);
    expect(frames).toEqual([
      { index: a, bytes: 5, producer: 7 },
      { index: b, bytes: 0, producer: 8 },
      { index: c, bytes: 13, producer: 9 },
    ]);
    expect(consumed).toBe(frameBytes(5) + frameBytes(0) + frameBytes(13));
    expect(holds(views, a, 5, 1) && holds(views, c, 13, 3)).toBe(true);
  });

  it('stops at a claim that is not committed yet, even when later claims are', () => {
    const { ring, views } = makeRing(256);
    put(ring, views, 8, 1);
    const pending = ring.claim(8, 2);
    put(ring, views, 8, 3);
    expect(readAll(ring).frames.map((f) => f.producer)).toEqual([1]);
    ring.release(frameBytes(8));
    expect(readAll(ring).frames).toEqual([]);
    fill(views, pending, 8, 2);
    ring.commit(pending, 8);
    expect(readAll(ring).frames.map((f) => f.producer)).toEqual([2, 1]);
  });

  it('zeroes released bytes before moving HEAD, so the next lap starts from "not written"', () => {
    const { ring, views } = makeRing(256);
    put(ring, views, 40, 1);
    put(ring, views, 40, 2);
    const { consumed } = readAll(ring);
    ring.release(consumed);
    expect(views.data.every((byte) => byte === 0)).toBe(true);
    expect(ring.head()).toBe(consumed);
  });

  it('visits at most maxBytes per read (whole frames only)', () => {
    const { ring, views } = makeRing(256);
    for (let i = 0; i < 4; i++) put(ring, views, 8, i);
    const { frames, consumed } = readAll(ring, 17);
    expect(frames).toHaveLength(2);
    expect(consumed).toBe(32);
  });
});

describe('a full ring', () => {
  it('fills to exactly its capacity, then refuses one byte more', () => {
    const { ring, views } = makeRing(256);
    // 8 frames of 32 bytes (24-byte payloads) fill 256 bytes exactly.
    for (let i = 0; i < 8; i++) expect(put(ring, views, 24, i)).not.toBe(NO_SPACE);
    expect(ring.claim(0, 1)).toBe(NO_SPACE);
    // Freeing one frame makes room for exactly one frame of that size.
    ring.release(readAll(ring, 1).consumed);
    expect(ring.claim(25, 1)).toBe(NO_SPACE);
    expect(put(ring, views, 24, 9)).not.toBe(NO_SPACE);
    expect(ring.claim(0, 1)).toBe(NO_SPACE);
  });

  it('waits for space with a timeout and claims once the consumer releases', () => {
    const { ring, views } = makeRing(256);
    for (let i = 0; i < 8; i++) put(ring, views, 24, i);
    expect(ring.claimOrWait(24, 1, 5)).toBe(NO_SPACE);
    expect(ring.producersWaiting()).toBe(false);
    ring.release(readAll(ring, 1).consumed);
    expect(ring.claimOrWait(24, 1, 5)).not.toBe(NO_SPACE);
  });
});

describe('wrap-around', () => {
  it('pads the end when a frame does not fit before it, so every frame is contiguous', () => {
    const { ring, views } = makeRing(256);
    put(ring, views, 200 - FRAME_HEADER_BYTES, 1); // frame of 200 bytes: 56 left before the end
    ring.release(readAll(ring).consumed);
    const index = put(ring, views, 56, 2); // a 64-byte frame: pads 56 bytes, lands at 0
    expect(index).toBe(FRAME_HEADER_BYTES);
    expect(views.data32[200 / 4 + 1]).toBe(PADDING);
    const { frames, consumed } = readAll(ring);
    expect(frames).toEqual([{ index, bytes: 56, producer: 1 }]);
    expect(consumed).toBe(56 + 64);
    expect(holds(views, index, 56, 2)).toBe(true);
  });

  it('uses the space to the end exactly when the frame fits it', () => {
    const { ring, views } = makeRing(256);
    put(ring, views, 192 - FRAME_HEADER_BYTES, 1);
    ring.release(readAll(ring).consumed);
    const index = put(ring, views, 56, 2); // 64 bytes into the last 64: no padding
    expect(index).toBe(192 + FRAME_HEADER_BYTES);
    expect(readAll(ring).consumed).toBe(64);
  });

  it('counts the padding against free space: a wrap that would overrun HEAD is refused', () => {
    const { ring, views } = makeRing(256);
    put(ring, views, 120, 1); // frame 128 at 0
    put(ring, views, 56, 2); // frame 64 at 128
    ring.release(readAll(ring, 1).consumed); // head 128, tail 192: 192 bytes free, 64 to the end
    // A 136-byte frame would fit the free bytes but not with the 64 bytes of padding.
    expect(ring.claim(128, 3)).toBe(NO_SPACE);
    // A 128-byte frame needs 64 padding + 128 = 192: fits exactly.
    expect(ring.claim(120, 3)).toBe(FRAME_HEADER_BYTES);
    expect(ring.claim(0, 4)).toBe(NO_SPACE);
  });
});

describe('32-bit cursors', () => {
  it('crosses the 4 GiB wrap of the cursors without losing or reordering a frame', () => {
    const start = 0xffff_ff00 | 0;
    const { ring, views } = makeRing(256, start);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 100; round++) {
      while (put(ring, views, (next % 5) * 7, next) !== NO_SPACE) next++;
      const seen: number[] = [];
      const consumed = ring.read((index, bytes) => {
        expect(bytes).toBe((expected % 5) * 7);
        expect(holds(views, index, bytes, expected)).toBe(true);
        seen.push(expected++);
      }, 96);
      ring.release(consumed);
    }
    expect(expected).toBeGreaterThan(200);
    expect((ring.head() - start) >>> 0).toBeGreaterThan(0x100); // HEAD passed 2^32 and went on
    expect(ring.head()).toBeGreaterThan(0);
  });
});

describe('seal', () => {
  it('refuses every later claim, while claims made before are still read, up to end()', () => {
    const { ring, views } = makeRing(256);
    put(ring, views, 8, 1, 1);
    const pending = ring.claim(8, 2);
    const end = ring.end();
    ring.seal();
    expect(ring.isSealed()).toBe(true);
    expect(ring.end()).toBe(end);
    expect(ring.claim(0, 3)).toBe(NO_SPACE);
    fill(views, pending, 8, 2);
    ring.commit(pending, 8);
    const { frames, consumed } = readAll(ring);
    expect(frames.map((f) => f.producer)).toEqual([1, 2]);
    ring.release(consumed);
    expect(ring.head()).toBe(end);
    // HEAD has caught up with the last claim: still no claim fits.
    expect(ring.claim(0, 3)).toBe(NO_SPACE);
    expect(ring.isSealed()).toBe(true);
  });

  it('is idempotent, and keeps end() across the 4 GiB wrap of the cursors', () => {
    const { ring, views } = makeRing(256, 0xffff_ffe0 | 0);
    put(ring, views, 40, 1);
    const end = ring.end();
    // 32 bytes of padding to the end of the data region, then the frame at index 0.
    expect(end).toBe((0xffff_ffe0 + 32 + frameBytes(40)) | 0);
    ring.seal();
    ring.seal();
    expect(ring.end()).toBe(end);
    ring.release(readAll(ring).consumed);
    expect(ring.head()).toBe(end);
    expect(ring.claim(0, 1)).toBe(NO_SPACE);
  });

  it('used(): the bytes claimed and not released, open or sealed, across the cursor wrap', () => {
    const { ring, views } = makeRing(256, 0xffff_ffe0 | 0);
    expect(ring.used()).toBe(0);
    put(ring, views, 40, 1);
    // 32 bytes of padding to the end of the data region, then the frame at index 0.
    expect(ring.used()).toBe(32 + frameBytes(40));
    ring.seal();
    expect(ring.used()).toBe(32 + frameBytes(40));
    ring.release(readAll(ring).consumed);
    expect(ring.used()).toBe(0);
  });

  it('used() of a full ring is its capacity', () => {
    const { ring, views } = makeRing(256);
    for (let i = 0; i < 8; i++) put(ring, views, 24, i);
    expect(ring.used()).toBe(256);
  });

  it('an unsealed ring is not sealed, even when full', () => {
    const { ring, views } = makeRing(256);
    for (let i = 0; i < 8; i++) put(ring, views, 24, i);
    expect(ring.isSealed()).toBe(false);
    expect(ring.end()).toBe(256);
  });
});

describe('unblock: skipping a claim whose producer died', () => {
  it('skips a claim left "being written", and the records after it flow again', () => {
    const { ring, views } = makeRing(256);
    ring.claim(20, 1); // never committed
    put(ring, views, 8, 2, 2);
    expect(readAll(ring).frames).toEqual([]);
    expect(ring.unblock()).toBe(true);
    const { frames, consumed } = readAll(ring);
    expect(frames.map((f) => f.producer)).toEqual([2]);
    expect(consumed).toBe(frameBytes(20) + frameBytes(8));
  });

  it('skips a claim whose header was never written, up to the next written header', () => {
    const { ring, views } = makeRing(256);
    // The claimer won the CAS on TAIL and died before writing anything: all its bytes are zero.
    Atomics.store(ring.cursors, LaneSlot.TAIL, frameBytes(30));
    put(ring, views, 8, 2, 2);
    expect(ring.unblock()).toBe(true);
    const { frames, consumed } = readAll(ring);
    expect(frames.map((f) => f.producer)).toEqual([2]);
    expect(consumed).toBe(frameBytes(30) + frameBytes(8));
  });

  it('skips an unwritten claim that runs to TAIL', () => {
    const { ring } = makeRing(256);
    Atomics.store(ring.cursors, LaneSlot.TAIL, frameBytes(30));
    expect(ring.unblock()).toBe(true);
    expect(readAll(ring).consumed).toBe(frameBytes(30));
  });

  it('leaves a claim alone that is committed meanwhile, or when nothing is outstanding', () => {
    const { ring, views } = makeRing(256);
    expect(ring.unblock()).toBe(false);
    put(ring, views, 8, 1);
    expect(ring.unblock()).toBe(false);
    expect(readAll(ring).frames.map((f) => f.producer)).toEqual([1]);
  });

  it('a commit that comes after the skip does not resurrect the record', () => {
    const { ring } = makeRing(256);
    const late = ring.claim(8, 1);
    expect(ring.unblock()).toBe(true);
    ring.commit(late, 8);
    expect(readAll(ring).frames).toEqual([]);
  });
});

describe('protocol model (fast-check)', () => {
  type Op = { kind: 'claim'; bytes: number } | { kind: 'commit'; pick: number } | { kind: 'drain'; maxBytes: number };
  // Frames up to 200 bytes in a 512-byte ring (beyond the producers' limit of 56) so that the
  // ring is often nearly full at a wrap, where the padding decides what fits.
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), bytes: fc.integer({ min: 0, max: 192 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), maxBytes: fc.integer({ min: 1, max: 300 }) }) },
  );

  it('reads exactly the committed prefix of the claims, in claim order, intact, across wraps', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.constantFrom(0, 0x7fff_ff80, 0xffff_ffc0 | 0), (ops, start) => {
        const { ring, views } = makeRing(512, start);
        // The model: claims in order, each with its seed and whether it is committed.
        const claims: { seq: number; index: number; bytes: number; committed: boolean }[] = [];
        let seq = 0;
        let nextRead = 0;
        for (const o of ops) {
          if (o.kind === 'claim') {
            const used = (ring.end() - ring.head()) | 0;
            const toEnd = 512 - (ring.end() & 511);
            const required = frameBytes(o.bytes);
            const index = ring.claim(o.bytes, seq);
            if (index === NO_SPACE) {
              // Refused only when it truly does not fit, counting the padding a wrap needs.
              expect(used + (required > toEnd ? toEnd : 0) + required).toBeGreaterThan(512);
              continue;
            }
            // Accepted: the frame overlaps no frame still waiting to be read.
            const start = index - FRAME_HEADER_BYTES;
            for (const c of claims) {
              const other = c.index - FRAME_HEADER_BYTES;
              expect(start + required <= other || other + frameBytes(c.bytes) <= start).toBe(true);
            }
            fill(views, index, o.bytes, seq);
            claims.push({ seq: seq++, index, bytes: o.bytes, committed: false });
          } else if (o.kind === 'commit') {
            const open = claims.filter((c) => !c.committed);
            const c = open[o.pick % Math.max(open.length, 1)];
            if (c === undefined) continue;
            c.committed = true;
            ring.commit(c.index, c.bytes);
          } else {
            const seen: number[] = [];
            const consumed = ring.read((index, bytes, producer) => {
              const c = claims[seen.length]!;
              expect([producer, index, bytes]).toEqual([c.seq, c.index, c.bytes]);
              expect(holds(views, index, bytes, c.seq)).toBe(true);
              seen.push(producer);
            }, o.maxBytes);
            // Everything read was committed, and the read stopped at an uncommitted claim or the limit.
            expect(seen.every((s, i) => s === nextRead + i)).toBe(true);
            if (claims[seen.length]?.committed === true) expect(consumed).toBeGreaterThanOrEqual(o.maxBytes);
            ring.release(consumed);
            claims.splice(0, seen.length);
            nextRead += seen.length;
          }
        }
        // Finally commit everything and drain: nothing is lost.
        for (const c of claims) if (!c.committed) ring.commit(c.index, c.bytes);
        const rest: number[] = [];
        ring.release(ring.read((_i, _b, producer) => rest.push(producer), Number.MAX_SAFE_INTEGER));
        expect(rest).toEqual(claims.map((c) => c.seq));
        expect(ring.head()).toBe(ring.end());
      }),
      { numRuns: 300 },
    );
  });
});

describe('an open ring never looks sealed, however fast HEAD and TAIL move', () => {
  it('isSealed() and end() while another thread keeps a small ring full and draining', async () => {
    const views = viewShared(allocateShared(4096));
    const ring = new Ring(views);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    // The other thread keeps the ring one frame short of full: it frees a frame, and claims
    // it again at once, so HEAD and TAIL both move between any two loads of this thread.
    const churn = new Worker(
      `const { workerData } = await import('node:worker_threads');
      const { Ring } = await import(workerData.ring);
      const { viewShared } = await import(workerData.layout);
      const ring = new Ring(viewShared(workerData.buffer));
      const stop = new Int32Array(workerData.stop);
      while (Atomics.load(stop, 0) === 0) {
        let index;
        while ((index = ring.claim(40, 1)) !== -1) ring.commit(index, 40);
        ring.release(ring.read(() => {}, 48));
      }`,
      {
        eval: true,
        workerData: {
          ring: new URL('../../../dist/src/ring/ring.js', import.meta.url).href,
          layout: new URL('../../../dist/src/ring/layout.js', import.meta.url).href,
          buffer: views.buffer,
          stop: stop.buffer,
        },
      },
    );
    await new Promise((resolve) => churn.once('online', resolve));
    let sealedSeen = 0;
    let endBehindHead = 0;
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      for (let i = 0; i < 10_000; i++) {
        if (ring.isSealed()) sealedSeen++;
        const head = ring.head();
        if (((ring.end() - head) | 0) < 0) endBehindHead++;
      }
    }
    Atomics.store(stop, 0, 1);
    await new Promise((resolve) => churn.once('exit', resolve));
    expect({ sealedSeen, endBehindHead }).toEqual({ sealedSeen: 0, endBehindHead: 0 });
    ring.seal();
    expect(ring.isSealed()).toBe(true);
  });
});
