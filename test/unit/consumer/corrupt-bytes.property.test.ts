/**
 * Bytes that are not what they should be never take the consumer down (issue 13, part 3).
 *
 * Any thread of the process can write into the SharedArrayBuffer: a bug, a stray write, a
 * producer of another ringlog version. Here random and damaged payloads and frame headers go
 * through the consumer's real read path: the real Ring over a small shared buffer laid out by
 * layout.ts, the real Router with real file sinks and formatters (the JSON line, a text line
 * with asctime, and a routed configuration mixing both), driven as bench/lib/internals.ts's
 * openDrainRig drives a consumer without threads (`drainBatch()` on this thread, files in a
 * fresh temp folder). Each record must end as a rendered line or one counted failed record;
 * nothing may escape `drainBatch()`, no drain may go on forever, and the ring must come back:
 * every byte consumed is zeroed, HEAD reaches the end of the claims, and records logged after
 * the damage are written.
 *
 * A second part holds the byte renderers to their specification on damaged bytes (a line they
 * write is the general formatter's line for the same bytes), and a third damages the ring's own
 * frame headers.
 *
 * The runs are bounded and seeded, so a failure replays (fast-check prints the seed and path):
 * about 2,000 runs, some 1,600 records through the consumer, in ~4 s on 2 cores. To fuzz
 * longer: `FUZZ_RUNS=20000 npx vitest run test/unit/consumer/corrupt-bytes.property.test.ts`
 * (the runs of every property scale with it), and `FUZZ_SEED=<n>` for other sequences.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/config/options.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import { loadFormatterModules } from '../../../src/consumer/formats.js';
import { openRouter } from '../../../src/consumer/open-router.js';
import type { BackendOptions } from '../../../src/index.js';
import { resolveTextFormat } from '../../../src/config/text-format-options.js';
import { createJsonFormatter } from '../../../src/line/json-format.js';
import { createTextFormatter } from '../../../src/line/text-format.js';
import { JsonLineRenderer, NOT_RENDERED } from '../../../src/line/json-bytes.js';
import { TextLineRenderer } from '../../../src/line/text-bytes.js';
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, Tag } from '../../../src/record/descriptor.js';
import { decodeRecord } from '../../../src/record/decoder.js';
import { allocateShared, Stat, viewShared, type SharedViews } from '../../../src/ring/layout.js';
import { FRAME_HEADER_BYTES, NO_SPACE, PADDING, Ring } from '../../../src/ring/ring.js';
import { encodeRecord, jsonWith, key, text } from '../../support/records.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
const SEED = Number(process.env['FUZZ_SEED'] ?? 13);
const PRODUCER = 7;

/** A ring and its consumer on this thread, as openDrainRig builds them, and what the checks need. */
interface Rig {
  readonly ring: Ring;
  readonly views: SharedViews;
  readonly consumer: Consumer;
  readonly reports: string[];
  counts(): { lines: number; failed: number };
}

async function openRig(options: BackendOptions): Promise<Rig> {
  const resolved = resolveOptions(options);
  const modules = await loadFormatterModules(resolved.formats);
  const views = viewShared(allocateShared(resolved.bufferBytes, resolved.lanes));
  const reports: string[] = [];
  const router = openRouter(resolved, {
    monitor: { report: (event) => void reports.push(String(event.type)), sleep: () => {}, writing: () => {} },
    modules,
    onFormatFailure: () => {},
  });
  const consumer = new Consumer(views, router, 0);
  const { stats } = views;
  return {
    ring: new Ring(views),
    views,
    consumer,
    reports,
    counts: () => ({
      lines: Number(Atomics.load(stats, Stat.RECORDS_WRITTEN)),
      failed: Number(Atomics.load(stats, Stat.RECORDS_FAILED)),
    }),
  };
}

/**
 * Drains until nothing is left, as the consumer's loop and finish() do: a claim that stays
 * uncommitted is skipped with `unblock()` (what the consumer does after a second). A drain
 * that does not end within one batch per frame the ring can hold is a spin.
 */
function drainAll(rig: Rig): void {
  const { ring } = rig;
  const most = ring.capacity / FRAME_HEADER_BYTES + 4;
  for (let turn = 0; ; turn++) {
    if (turn > most) throw new Error(`the drain did not end after ${turn} turns`);
    if (rig.consumer.drainBatch() > 0) continue;
    if (ring.head() === ring.end()) return;
    if (!ring.unblock()) throw new Error('nothing to read and nothing to skip, yet HEAD is not at the end of the claims');
  }
}

/** Claims a frame (draining first when the ring is full), copies the payload in, commits. */
function put(rig: Rig, payload: Uint8Array): number {
  let index = rig.ring.claim(payload.length, PRODUCER);
  if (index === NO_SPACE) {
    drainAll(rig);
    index = rig.ring.claim(payload.length, PRODUCER);
  }
  expect(index).not.toBe(NO_SPACE);
  rig.views.data.set(payload, index);
  rig.ring.commit(index, payload.length);
  return index;
}

/** The ring is back to normal: drained to the end of the claims, every byte zeroed. */
function expectRingClean(rig: Rig): void {
  expect(rig.ring.head()).toBe(rig.ring.end());
  expect(rig.views.data32.every((word) => word === 0)).toBe(true);
}

/** Feeds each payload as one record and checks that it ends as lines written or one failed record. */
function feed(rig: Rig, payloads: readonly Uint8Array[]): void {
  for (const payload of payloads) {
    const before = rig.counts();
    put(rig, payload);
    drainAll(rig);
    const after = rig.counts();
    const failed = after.failed - before.failed;
    const lines = after.lines - before.lines;
    // One record: written (to one sink or more), or counted failed, never both nor neither.
    expect({ lines: lines > 0, failed }).toEqual(lines > 0 ? { lines: true, failed: 0 } : { lines: false, failed: 1 });
  }
  expectRingClean(rig);
}

// ---- payloads -------------------------------------------------------------------------------

/** Lengths that break readers: zero, one, what a buffer holds, 2^31 +- 1, 2^32 - 1, a billion. */
const hostileU32 = fc.oneof(
  fc.constantFrom(0, 1, 4, 5, 255, 4096, 65_535, 1e9, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_ffff),
  fc.nat({ max: 64 }),
  fc.nat(),
);
const u32Bytes = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];

/** Bytes that are not UTF-8: lone continuation bytes, overlong forms, surrogates, truncated sequences. */
const badUtf8 = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.constantFrom(
    [0x80],
    [0xc0, 0xaf],
    [0xe0, 0x80, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x80],
    [0xf0, 0x9f, 0x98],
    [0xc2],
    [0xef, 0xbf, 0xbd],
    [0xe2, 0x80, 0xa8],
  ).map((bytes) => Uint8Array.from(bytes)),
);

/** One piece of a value stream: tags known and unknown, counts and lengths that lie, strings, nesting. */
const token: fc.Arbitrary<number[]> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((tag) => [tag]),
  fc.integer({ min: Tag.UNDEFINED, max: Tag.ERROR }).map((tag) => [tag]),
  hostileU32.map(u32Bytes),
  fc.tuple(fc.constantFrom(Tag.STRING, Tag.BIGINT), badUtf8).map(([tag, bytes]) => [tag, ...u32Bytes(bytes.length), ...bytes]),
  fc.tuple(fc.constantFrom(Tag.STRING, Tag.BIGINT), hostileU32, badUtf8).map(([tag, length, bytes]) => [tag, ...u32Bytes(length), ...bytes]),
  fc.tuple(fc.constantFrom(Tag.ARRAY, Tag.OBJECT), hostileU32).map(([tag, count]) => [tag, ...u32Bytes(count)]),
  // Nesting deeper than any encoder writes: arrays of one array, objects of one object.
  fc.tuple(fc.constantFrom(Tag.ARRAY, Tag.OBJECT), fc.integer({ min: 8, max: 1200 })).map(([tag, depth]) => {
    const one = tag === Tag.ARRAY ? [Tag.ARRAY, 1, 0, 0, 0] : [Tag.OBJECT, 1, 0, 0, 0, 0, 0, 0, 0];
    return Array.from({ length: depth }, () => one).flat();
  }),
);

const header = fc.record({
  time: fc.oneof(fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 8.64e15, 8.64e15 + 1, -8.64e15 - 1, 1e300), fc.double(), fc.constant(1_700_000_000_123)),
  threadId: fc.nat(),
  level: fc.oneof(fc.constantFrom(10, 20, 30, 40, 50, 60), fc.integer({ min: 0, max: 255 })),
  flags: fc.oneof(fc.constantFrom(0, Flag.HAS_FIELDS), fc.integer({ min: 0, max: 255 })),
  argCount: fc.oneof(fc.constant(0), fc.nat({ max: 4 }), fc.constant(0xffff)),
});
type Header = typeof header extends fc.Arbitrary<infer T> ? T : never;

function withHeader(head: Header, body: ArrayLike<number>): Uint8Array {
  const payload = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(payload.buffer);
  view.setFloat64(RecordOffset.TIME, head.time, true);
  view.setUint32(RecordOffset.THREAD_ID, head.threadId, true);
  payload[RecordOffset.LEVEL] = head.level;
  payload[RecordOffset.FLAGS] = head.flags;
  view.setUint16(RecordOffset.ARG_COUNT, head.argCount, true);
  payload.set(body, HEADER_BYTES);
  return payload;
}

/** A header and a stream of tokens: what a producer of another version, or a stray write, might leave. */
const garbageRecord = fc.tuple(header, fc.array(token, { maxLength: 12 })).map(([head, tokens]) => withHeader(head, tokens.flat()));

/** Payloads shorter than a header, or of bytes at random. */
const shortOrRandom = fc.oneof(fc.uint8Array({ maxLength: HEADER_BYTES - 1 }), fc.uint8Array({ minLength: HEADER_BYTES, maxLength: 300 }));

/** LINE-flagged records: finished lines, with or without their newline, of any bytes. */
const lineRecord = fc
  .tuple(header, fc.uint8Array({ maxLength: 200 }), fc.boolean())
  .map(([head, line, newline]) => withHeader({ ...head, flags: head.flags | Flag.LINE }, newline ? [...line, 0x0a] : [...line, 0x41]));

/** Records the real encoder makes (support/records.ts lays them out as Producer.emit does). */
const { json, object } = jsonWith(key, { maxDepth: 3, maxLength: 4 });
const validRecord = fc
  .record({
    time: fc.oneof(fc.constant(1_700_000_000_123), fc.double()),
    threadId: fc.nat({ max: 3 }),
    level: fc.constantFrom(10, 20, 30, 40, 50, 60),
    name: fc.option(fc.oneof(text, fc.constantFrom('db', 'db.pool', 'http')), { nil: undefined }),
    bindings: fc.option(object, { nil: undefined }),
    msg: fc.option(text, { nil: undefined }),
    args: fc.array(json, { maxLength: 2 }),
    fields: fc.option(fc.oneof(object, fc.constant({ err: new Error('boom') })), { nil: undefined }),
  })
  .map((input) => {
    const { source, length } = encodeRecord(input);
    return source.u8.slice(8, 8 + length);
  });

/** What may happen to a valid record's bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: hostileU32 }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('argCount' as const), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ kind: fc.constant('flags' as const), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('tag' as const), at: fc.nat(), value: fc.integer({ min: Tag.ERROR + 1, max: 255 }) }),
  // In place, so that the structure holds and a string ends up holding bytes that are not UTF-8.
  fc.record({ kind: fc.constant('utf8' as const), at: fc.nat(), bytes: badUtf8 }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(payload: Uint8Array, change: Mutation): Uint8Array {
  const out = payload.slice();
  // Past the header: the header's own bytes have their cases above.
  const at = (n: number, room: number): number => HEADER_BYTES + (out.length > HEADER_BYTES + room ? n % (out.length - HEADER_BYTES - room) : 0);
  switch (change.kind) {
    case 'byte':
      if (out.length > 0) out[change.at % out.length] = change.value;
      return out;
    case 'u32':
      if (out.length >= HEADER_BYTES + 4) new DataView(out.buffer).setUint32(at(change.at, 3), change.value, true);
      return out;
    case 'truncate':
      return out.slice(0, change.at % (out.length + 1));
    case 'extend':
      return Uint8Array.from([...out, ...change.bytes]);
    case 'argCount':
      if (out.length >= HEADER_BYTES) new DataView(out.buffer).setUint16(RecordOffset.ARG_COUNT, change.value, true);
      return out;
    case 'flags':
      if (out.length >= HEADER_BYTES) out[RecordOffset.FLAGS] = change.value;
      return out;
    case 'tag':
      if (out.length > HEADER_BYTES) out[at(change.at, 0)] = change.value;
      return out;
    case 'utf8': {
      if (out.length <= HEADER_BYTES) return out;
      const from = at(change.at, change.bytes.length);
      out.set(change.bytes.subarray(0, Math.max(0, out.length - from)), from);
      return out;
    }
  }
}

const mutatedRecord = fc.tuple(validRecord, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([payload, changes]) => changes.reduce(mutate, payload));

const payload = fc.oneof(
  { weight: 4, arbitrary: garbageRecord },
  { weight: 4, arbitrary: mutatedRecord },
  { weight: 1, arbitrary: validRecord },
  { weight: 1, arbitrary: lineRecord },
  { weight: 1, arbitrary: shortOrRandom },
);

// ---- the configurations -----------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'ringlog-corrupt-'));
const configs: readonly [string, (dir: string) => BackendOptions][] = [
  ['the JSON line (one file)', (d) => ({ bufferSize: '64KiB', file: { path: join(d, 'json.log') } })],
  [
    'a text line with asctime (one file)',
    (d) => ({
      bufferSize: '64KiB',
      formatters: { text: { type: 'text', template: '%(asctime)s %(levelname)-8s [%(name)s] %(message)s %(missing)s', style: '%', extras: 'json' } },
      sinks: [{ type: 'file', path: join(d, 'text.log'), formatter: 'text' }],
    }),
  ],
  [
    'routes: JSON and text sinks by logger name and level',
    (d) => ({
      bufferSize: '64KiB',
      formatters: { brief: { type: 'text', template: '{asctime} {levelname} {name} {message} w{worker}', extras: 'none' } },
      sinks: [
        { name: 'all', type: 'file', path: join(d, 'all.log') },
        { name: 'db', type: 'file', path: join(d, 'db.log'), loggers: ['db'], formatter: 'brief' },
        { name: 'errors', type: 'file', path: join(d, 'errors.log'), level: 'error', formatter: 'brief' },
      ],
      loggers: { 'db.pool': { level: 'debug' } },
    }),
  ],
];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(configs)('the consumer read path, %s', (name, optionsIn) => {
  let rig: Rig;
  const folder = join(dir, name.replace(/\W+/g, '-'));

  beforeAll(async () => {
    rig = await openRig(optionsIn(folder));
  });

  afterAll(() => {
    rig.consumer.finish(0);
    expect(rig.reports).toEqual([]);
    // Every file ends with a whole line, whatever went through it.
    for (const file of ['json.log', 'text.log', 'all.log', 'db.log', 'errors.log']) {
      let content: string;
      try {
        content = readFileSync(join(folder, file), 'latin1');
      } catch {
        continue;
      }
      expect(content === '' || content.endsWith('\n')).toBe(true);
    }
  });

  it('renders or counts every record, whatever its payload', () => {
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 6 }), (payloads) => feed(rig, payloads)),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it.each<[string, number[]]>([
    ['a string whose length runs past the record', [Tag.STRING, ...u32Bytes(0xffff_fff0), 0x61]],
    ['an array of four billion items', [Tag.ARRAY, ...u32Bytes(0xffff_ffff), Tag.NULL]],
    ['an object of four billion members', [Tag.OBJECT, ...u32Bytes(0xffff_ffff), ...u32Bytes(0), Tag.NULL]],
    ['an unknown tag', [Tag.UNDEFINED, Tag.UNDEFINED, 0xee]],
    ['invalid UTF-8 in the message', [Tag.UNDEFINED, Tag.UNDEFINED, Tag.STRING, ...u32Bytes(4), 0xff, 0xc0, 0xed, 0xa0]],
    ['a truncated string', [Tag.UNDEFINED, Tag.UNDEFINED, Tag.STRING, ...u32Bytes(10), 0x61, 0x62]],
    ['bigint digits that are not digits', [Tag.UNDEFINED, Tag.UNDEFINED, Tag.BIGINT, ...u32Bytes(2), 0x31, 0x78]],
  ])('%s', (_, body) => {
    feed(rig, [withHeader({ time: 1, threadId: 1, level: 30, flags: 0, argCount: 0 }, body)]);
    feed(rig, [withHeader({ time: 1, threadId: 1, level: 30, flags: Flag.HAS_FIELDS, argCount: 0xffff }, body)]);
  });

  it('counts a record nested deeper than any encoder writes, as deep as the ring allows', () => {
    // Arrays of one array, filling the largest record: thousands of levels.
    const room = rig.ring.maxPayloadBytes - HEADER_BYTES - 3;
    const depth = Math.floor(room / 5);
    const body = [Tag.UNDEFINED, Tag.UNDEFINED, ...Array.from({ length: depth }, () => [Tag.ARRAY, 1, 0, 0, 0]).flat(), Tag.NULL];
    feed(rig, [withHeader({ time: 1, threadId: 1, level: 30, flags: 0, argCount: 1 }, body)]);
    feed(rig, [withHeader({ time: 1, threadId: 1, level: 30, flags: 0, argCount: 0 }, [Tag.UNDEFINED, Tag.UNDEFINED, ...body.slice(2)])]);
  });

  it('writes valid records after all of it', () => {
    const before = rig.counts();
    const valid = fc.sample(validRecord, { numRuns: 20, seed: SEED });
    feed(rig, valid);
    expect(rig.counts().failed).toBe(before.failed);
  });
});

describe('the consumer read path, with records of a megabyte', () => {
  it.each(configs)('counts a record nested 200,000 deep: %s', async (name, optionsIn) => {
    const folder = join(dir, `deep-${name.replace(/\W+/g, '-')}`);
    const rig = await openRig({ ...optionsIn(folder), bufferSize: '8MiB', lanes: 1 });
    const depth = Math.floor((rig.ring.maxPayloadBytes - HEADER_BYTES - 8) / 5);
    expect(depth).toBeGreaterThan(200_000);
    const nested = Array.from({ length: depth }, () => [Tag.ARRAY, 1, 0, 0, 0]).flat();
    feed(rig, [withHeader({ time: 1, threadId: 1, level: 30, flags: Flag.HAS_FIELDS, argCount: 0 }, [Tag.UNDEFINED, Tag.OBJECT, 1, 0, 0, 0, 1, 0, 0, 0, 0x61, ...nested, Tag.NULL, Tag.UNDEFINED, Tag.OBJECT, 0, 0, 0, 0])]);
    feed(rig, [withHeader({ time: 1, threadId: 1, level: 30, flags: 0, argCount: 1 }, [Tag.UNDEFINED, Tag.UNDEFINED, Tag.UNDEFINED, ...nested, Tag.NULL])]);
    rig.consumer.finish(0);
  });
});

// ---- the byte renderers against their specification, on damaged bytes ----------------------

/**
 * A line a byte renderer writes is, by its contract, the general formatter's line for the same
 * record. Damaged bytes must not open a gap between the two: when the renderer takes a record,
 * the decoder must take it too, and the formatter write the same bytes.
 */
describe('the byte renderers on damaged records', () => {
  const context = { pid: 4242, hostname: 'h' };
  const resolved = resolveTextFormat({ template: '%(asctime)s %(levelname)-8s [%(name)s] %(message)s %(a)s', style: '%', extras: 'json' }, 'format');
  const renderers = [
    ['JSON', new JsonLineRenderer(context), createJsonFormatter(context)],
    ['text', new TextLineRenderer(resolved, context), createTextFormatter(resolved, context)],
  ] as const;

  it.each(renderers)('%s: a line it renders is the formatter\'s line', (_, renderer, format) => {
    fc.assert(
      fc.property(payload, (bytes) => {
        const source = bytesOver(Uint8Array.from([...bytes, ...new Uint8Array(64).fill(Tag.STRING)]));
        const length = bytes.length;
        const lineBytes = renderer.render(source, 0, length);
        if (lineBytes === NOT_RENDERED) return;
        const line = renderer.output.buffer.toString('latin1', 0, lineBytes);
        const expected = Buffer.from(format(decodeRecord(source, 0, length)), 'utf8').toString('latin1');
        expect(line).toBe(expected);
      }),
      { numRuns: RUNS * 4, seed: SEED },
    );
  });
});

// ---- frame headers --------------------------------------------------------------------------

/**
 * The ring's own headers damaged: the length word of one committed frame (or its producer
 * word) replaced. What the ring defends against: a length no claim makes (shorter than a frame
 * header, past the end of the data region, past the end of the claims, a record frame larger
 * than a record may be, a negative length of a "claim" that never ends): the consumer skips to
 * the next place a frame is known to start (the end of the data region, or the end of the
 * claims) and counts one failed record. What it cannot: a stray write that forges a plausible
 * committed header (then the frame's bytes are read as a record, and decoded or counted as
 * above), or one that marks a frame as padding (its record is skipped unseen).
 */
describe('the ring, with a damaged frame header', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await openRig({ bufferSize: '4KiB', file: { path: join(dir, 'frames', 'frames.log') } });
  });

  afterAll(() => rig.consumer.finish(0));

  const lengthWord = fc.oneof(
    fc.constantFrom(1, 7, 8, 9, 15, 16, 4096, 4097, 0x7fff_ffff, -1, -8, -4096, -0x8000_0000, 0),
    fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
    fc.integer({ min: -600, max: 600 }),
  );
  const damage = fc.oneof(
    fc.record({ word: fc.constant('length' as const), value: lengthWord }),
    fc.record({ word: fc.constant('producer' as const), value: fc.oneof(fc.constant(PADDING), fc.integer()) }),
  );

  it('skips what it cannot read, never reads out of the ring, never spins, and comes back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: HEADER_BYTES + 1, max: 500 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        damage,
        fc.nat({ max: 4096 / 8 - 1 }),
        (sizes, which, change, start) => {
          // From anywhere in the ring, so frames wrap and padding frames appear.
          drainAll(rig);
          rig.ring.reset(start * 8);
          const indexes: number[] = [];
          for (const size of sizes) {
            const body = new Uint8Array(size - HEADER_BYTES).fill(0x61);
            const record = withHeader({ time: 1, threadId: 1, level: 30, flags: Flag.LINE, argCount: 0 }, [...body.subarray(1), 0x0a]);
            const index = rig.ring.claim(record.length, PRODUCER);
            if (index === NO_SPACE) break;
            rig.views.data.set(record, index);
            rig.ring.commit(index, record.length);
            indexes.push(index);
          }
          if (indexes.length === 0) return;
          const slot = (indexes[which % indexes.length]! - FRAME_HEADER_BYTES) >> 2;
          if (change.word === 'length') Atomics.store(rig.views.data32, slot, change.value);
          else rig.views.data32[slot + 1] = change.value;

          const before = rig.counts();
          drainAll(rig);
          const after = rig.counts();
          // Each frame is a line or a failure, except those skipped with the damaged one.
          expect(after.lines - before.lines + after.failed - before.failed).toBeLessThanOrEqual(indexes.length + 1);
          expectRingClean(rig);

          // Records logged afterwards are read as ever.
          const line = withHeader({ time: 2, threadId: 1, level: 30, flags: Flag.LINE, argCount: 0 }, [0x6f, 0x6b, 0x0a]);
          feed(rig, [line, line]);
        },
      ),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('does not take a committed header past the end of the claims for a frame', () => {
    drainAll(rig);
    const head = rig.ring.head();
    // A stray write into free space, right where the next frame goes.
    Atomics.store(rig.views.data32, (head & (rig.ring.capacity - 1)) >> 2, 64);
    expect(rig.consumer.drainBatch()).toBe(0);
    expect(rig.ring.hasCommitted()).toBe(false);
    // The next claim there writes its own header over it.
    const line = withHeader({ time: 2, threadId: 1, level: 30, flags: Flag.LINE, argCount: 0 }, [0x6f, 0x6b, 0x0a]);
    feed(rig, [line]);
  });
});
