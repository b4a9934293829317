/**
 * The producer's JSON lines against their specification: for every call json-line.ts takes,
 * its line is byte for byte what the general JSON formatter writes for the record the encoder
 * would have made of the same call; the calls it refuses are the documented ones, and a refusal
 * never throws. Then the whole way: a backend that asks for lines, real threads, a real file.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../src/consumer/decoder.js';
import { createJsonFormatter, renderProcessKeys } from '../src/consumer/json-format.js';
import { createLogBackend } from '../dist/src/index.js';
import { JsonLineEncoder, LINE_REFUSED } from '../src/producer/json-line.js';
import { Flag, HEADER_BYTES, RecordOffset } from '../src/shared/codec.js';
import { tempDir } from './support/log-files.js';
import { encodeRecord, json, jsonWith, key, text, toObject, type Json, type RecordInput } from './support/records.js';

const context = { pid: 4242, hostname: 'host "one"\n\u2028é' };
const format = createJsonFormatter(context);
const LIMIT = 1 << 20;

/** The general formatter's line for the same call. */
function expected(input: RecordInput): string {
  const { source, length } = encodeRecord(input);
  return format(decodeRecord(source, 8, length));
}

/** The producer's line, or LINE_REFUSED; its header checked on the way. */
function produced(input: RecordInput, encoder = new JsonLineEncoder(renderProcessKeys(context), input.threadId)): string | typeof LINE_REFUSED {
  const line = encoder.context(input.name, input.bindings as Record<string, unknown> | undefined);
  if (line === undefined) return LINE_REFUSED;
  const bytes = encoder.encode(LIMIT, input.level, input.time, line, input.msg, input.fields);
  if (bytes === LINE_REFUSED) return LINE_REFUSED;
  const out = new Uint8Array(bytes + 8);
  encoder.write({ u8: out, view: new DataView(out.buffer), buffer: Buffer.from(out.buffer), words: new Int32Array(out.buffer, 0, out.length >> 2) }, 0, bytes);
  const view = new DataView(out.buffer);
  expect(view.getFloat64(RecordOffset.TIME, true)).toBe(input.time);
  expect(view.getUint32(RecordOffset.THREAD_ID, true)).toBe(input.threadId);
  expect(out[RecordOffset.LEVEL]).toBe(input.level);
  expect(out[RecordOffset.FLAGS]).toBe(Flag.LINE);
  expect(view.getUint16(RecordOffset.ARG_COUNT, true)).toBe(0);
  return Buffer.from(out.buffer, HEADER_BYTES, bytes - HEADER_BYTES).toString('utf8');
}

const base: RecordInput = {
  time: 1_700_000_000_123,
  threadId: 3,
  level: 30,
  name: undefined,
  bindings: { worker: 2 },
  msg: 'processed job',
  args: [],
  fields: { i: 17 },
};

describe('JsonLineEncoder: the lines it writes are the formatter\'s', () => {
  it.each<[string, Partial<RecordInput>]>([
    ['the benchmark record', {}],
    ['a name, no bindings, no fields', { name: 'api', bindings: undefined, fields: undefined }],
    ['no message', { msg: undefined }],
    ['a message that needs every escape', { msg: 'a"b\\c\n\r\t\b\f\0\x1f\x7f\u2028\u2029é😀\ud800 \udc00x\ud83d' }],
    ['bindings and fields named like our keys', { name: 'n', bindings: { level: 1, time: 2, pid: 3, hostname: 4, name: 5, ok: 7 }, fields: { level: 1, name: 2, msg: 3, ok2: 4 } }],
    ['a msg field when the record has no message', { msg: undefined, fields: { msg: 'from field' } }],
    ['a field named like a binding but undefined: the binding stays', { bindings: { a: 1 }, fields: { a: undefined, b: 2 } }],
    ['undefined values are left out', { bindings: { a: undefined, b: 1 }, fields: { c: undefined, d: [undefined, null], e: { f: undefined } } }],
    ['numbers: -0, NaN, ±Infinity, floats, int32 edges', { fields: { a: -0, b: NaN, c: Infinity, d: -Infinity, e: 0.1, f: 2 ** 31, g: -(2 ** 31), h: 1e21, i: 5e-324, j: 2147483647, k: 1000000000 } }],
    ['bigints', { fields: { a: 0n, b: -12345678901234567890n, c: 2n ** 70n } }],
    ['nested empty and full containers', { fields: { a: {}, b: [], c: { d: [{}, [], { e: 'x' }] } } }],
    ['a sparse array', { fields: { a: [1, , 3] } }],
    ['null-prototype objects', { fields: Object.assign(Object.create(null), { a: Object.assign(Object.create(null), { b: 1 }) }) }],
    ['a fractional and a negative time', { time: 1.5 }],
    ['a negative time', { time: -5 }],
    ['keys with escapes, __proto__ and integers', { fields: toObject([['__proto__', 1], ['a\nb', 2], ['10', 3], ['2', 4], ['😀', 5]]) }],
    ['every level', { level: 60 }],
    ['long strings', { msg: 'x'.repeat(5000), fields: { s: 'é'.repeat(3000) } }],
  ])('%s', (_, change) => {
    const input = { ...base, ...change };
    expect(produced(input)).toBe(expected(input));
  });

  it('holds for arbitrary calls without printf arguments', () => {
    const records = fc.record({
      time: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double()),
      threadId: fc.nat({ max: 3 }),
      level: fc.constantFrom(10, 20, 30, 40, 50, 60),
      name: fc.option(text, { nil: undefined }),
      bindings: fc.option(fc.array(fc.tuple(key, json), { maxLength: 3 }).map(toObject), { nil: undefined }),
      msg: fc.option(text, { nil: undefined }),
      args: fc.constant([]),
      fields: fc.option(fc.array(fc.tuple(key, json), { maxLength: 4 }).map(toObject), { nil: undefined }),
    });
    // One encoder for the whole run: the line start it keeps in place sees loggers, levels and
    // times change, and so does the message ending it keeps.
    const encoder = new JsonLineEncoder(renderProcessKeys(context), 0);
    let taken = 0;
    fc.assert(
      fc.property(records, (input) => {
        const line = produced({ ...input, threadId: 0 }, encoder);
        if (line !== LINE_REFUSED) {
          taken++;
          expect(line).toBe(expected({ ...input, threadId: 0 }));
        }
      }),
      { numRuns: 1000 },
    );
    // Refused: lone surrogates in keys, shadowed bindings, msg bindings, nesting past the limit.
    expect(taken).toBeGreaterThan(400);
  });

  it('takes every call with plain keys, no shadowed binding and shallow values', () => {
    const plainKey = fc.string({ maxLength: 8 }).filter((k) => k.isWellFormed());
    const plainJson = jsonWith(plainKey, { maxDepth: 3 }).json;
    const records = fc
      .tuple(
        fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k }),
        fc.uniqueArray(fc.tuple(plainKey, plainJson), { maxLength: 4, selector: ([k]) => k }),
        fc.option(text, { nil: undefined }),
      )
      .filter(([bindings, fields]) => !bindings.some(([k]) => k === 'msg' || fields.some(([f]) => f === k)))
      .map(([bindings, fields, msg]): RecordInput => ({ ...base, bindings: toObject(bindings), fields: toObject(fields), msg }));
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    fc.assert(
      fc.property(records, (input) => {
        expect(produced(input, encoder)).toBe(expected(input));
      }),
      { numRuns: 300 },
    );
  });

  it('the same message twice, then others: the kept ending is the right one', () => {
    const encoder = new JsonLineEncoder(renderProcessKeys(context), base.threadId);
    for (const msg of ['a', 'a', 'a', 'b', 'a', 'b', 'b', undefined, 'b', 'c"\n']) {
      const input = { ...base, msg };
      expect(produced(input, encoder)).toBe(expected(input));
    }
  });
});

describe('JsonLineEncoder: what it leaves to the encoder', () => {
  const deep: Json = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  it.each<[string, Partial<RecordInput>]>([
    ['an error field', { fields: { err: new Error('boom') } }],
    ['an error deep in a field', { fields: { a: [{ b: new TypeError('deep') }] } }],
    ['a Map, a Set, a Date', { fields: { m: new Map([[1, 2]]) } }],
    ['a Set', { fields: { s: new Set([1]) } }],
    ['a Date (toJSON)', { fields: { d: new Date(0) } }],
    ['a class instance', { fields: { c: new (class Point { x = 1; })() } }],
    ['a function', { fields: { f: () => 1 } }],
    ['a symbol', { fields: { s: Symbol('s') } }],
    ['a field shadowing a binding', { bindings: { worker: 1 }, fields: { worker: 2 } }],
    ['nesting past the limit', { fields: deep as object }],
    ['a cycle', { fields: cycle }],
    ['a lone surrogate in a key', { fields: toObject([['\ud800', 1]]) }],
    ['a merging value that is an array', { fields: [1, 2] }],
    ['a merging value with toJSON', { fields: { toJSON: () => 'plain' } }],
    ['a getter that throws', { fields: Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } }) }],
    ['a Proxy whose traps throw', { fields: new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } }) }],
    ['a huge array', { fields: { a: new Array(100_000).fill(0) } }],
  ])('%s', (_, change) => {
    expect(produced({ ...base, ...change })).toBe(LINE_REFUSED);
  });

  it.each<[string, string | undefined, object]>([
    ['a binding named msg', undefined, { msg: 'bound' }],
    ['a binding that is an error', undefined, { e: new Error('bound') }],
    ['a binding whose getter throws', 'n', Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } })],
  ])('%s: the logger gets no line context', (_, name, bindings) => {
    expect(new JsonLineEncoder(renderProcessKeys(context), 0).context(name, bindings as Record<string, unknown>)).toBeUndefined();
  });

  it('a line past the limit is refused (room is judged by the worst case of each string)', () => {
    const encoder = new JsonLineEncoder(renderProcessKeys(context), 0);
    const line = encoder.context(undefined, undefined)!;
    const msg = 'x'.repeat(100);
    const bytes = encoder.encode(LIMIT, 30, 1, line, msg, undefined);
    expect(bytes).toBeGreaterThan(100);
    expect(encoder.encode(bytes + 5 * msg.length, 30, 1, line, msg, undefined)).toBe(bytes);
    expect(encoder.encode(bytes - 1, 30, 1, line, msg, undefined)).toBe(LINE_REFUSED);
  });
});

describe('producers write the lines when the backend asks for them', () => {
  let temp: ReturnType<typeof tempDir>;
  let dir: string;
  beforeEach(() => {
    temp = tempDir();
    dir = temp.dir;
  });
  afterEach(() => temp.remove());

  it('asks for lines with JSON sinks only and names that route nothing, not otherwise', async () => {
    const cases: [unknown, boolean][] = [
      [{ file: { path: join(dir, 'a.log') } }, true],
      [{ sinks: [{ type: 'file', path: join(dir, 'b.log') }, { type: 'file', path: join(dir, 'c.log'), level: 'warn' }] }, true],
      [{ sinks: [{ type: 'file', path: join(dir, 'd.log'), formatter: 'text' }] }, false],
      [{ sinks: [{ type: 'file', path: join(dir, 'e.log'), loggers: ['db'] }] }, false],
      [{ file: { path: join(dir, 'f.log') }, loggers: { db: { propagate: false } } }, false],
    ];
    for (const [options, lines] of cases) {
      const backend = await createLogBackend(options as Parameters<typeof createLogBackend>[0]);
      expect(typeof backend.handle.lines === 'string', JSON.stringify(options)).toBe(lines);
      await backend.close();
    }
  });

  it('threads logging into a small ring: every line the formatter would write, each once, in order, with the refused calls between', async () => {
    const path = join(dir, 'app.log');
    const backend = await createLogBackend({ file: { path }, bufferSize: '64KiB' });
    const code = `
      const { workerData } = require('node:worker_threads');
      import(workerData.url).then(({ connect }) => {
        const log = connect(workerData.handle).child({ worker: workerData.id });
        for (let i = 0; i < 20000; i++) {
          if (i % 100 === 7) log.warn({ i, err: new Error('e' + i) }, 'refused');
          else if (i % 100 === 8) log.info('printf %d', i);
          else log.info({ i, s: 'é"\\n' + i }, 'processed job');
        }
      });`;
    const url = new URL('../dist/src/index.js', import.meta.url).href;
    const workers = [0, 1, 2].map((id) => new Worker(code, { eval: true, workerData: { url, handle: backend.handle, id } }));
    await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
    const stats = await backend.close();
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(lines).toHaveLength(60000);
    expect(stats.recordsWritten).toBe(60000);
    const next = [0, 0, 0];
    for (const text of lines) {
      const record = JSON.parse(text) as Record<string, unknown>;
      const worker = record['worker'] as number;
      const i = next[worker]!++;
      expect(Object.keys(record).slice(0, 5)).toEqual(['level', 'time', 'pid', 'hostname', 'worker']);
      if (i % 100 === 7) expect((record['err'] as { message: string }).message).toBe(`e${i}`);
      else if (i % 100 === 8) expect(record['msg']).toBe(`printf ${i}`);
      else expect(record).toMatchObject({ i, s: `é"\n${i}`, msg: 'processed job' });
    }
    expect(next).toEqual([20000, 20000, 20000]);
  });
});
