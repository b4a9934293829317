/**
 * The producer's text lines against their specification: for every call text-line.ts takes,
 * its line is byte for byte what the general text formatter writes for the record the encoder
 * would have made of the same call (under every template without keys, style, datefmt, time
 * zone and extras setting tried); the calls it refuses are the documented ones. Then the whole
 * way: a backend whose one sink writes text gets line lanes, and threads logging into a small
 * ring with rotation leave every record once, whole, in order, never split across files.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogBackend } from '../../../dist/src/index.js';
import { resolveTextFormat, type TextFormatOptions } from '../../../src/config/text-format-options.js';
import { createTextFormatter } from '../../../src/line/text-format.js';
import { LINE_REFUSED } from '../../../src/producer/json-line.js';
import { TextLineEncoder } from '../../../src/producer/text-line.js';
import { decodeRecord } from '../../../src/record/decoder.js';
import { bytesOver, HEADER_BYTES } from '../../../src/record/descriptor.js';
import { viewShared } from '../../../src/ring/layout.js';
import { tempDir } from '../../support/log-files.js';
import { logMixedCalls } from '../../support/mixed-calls.js';
import { BENCH_RECORD, encodeRecord, toObject, type RecordInput } from '../../support/records.js';
import { formatsOf, inTimeZone, KEYLESS_TEMPLATES, optionsOf, plainRecords, PYTHON, records, zonedRecords } from '../../support/text-records.js';

const context = { pid: 4242, hostname: 'host "one"\n\u2028é' };
const LIMIT = 1 << 20;

interface Pair {
  readonly encoder: TextLineEncoder;
  readonly format: ReturnType<typeof createTextFormatter>;
}

const pairs = new Map<string, Pair>();
function pairFor(options: TextFormatOptions, threadId: number): Pair {
  const id = JSON.stringify([options, threadId]);
  let p = pairs.get(id);
  if (p === undefined) {
    const resolved = resolveTextFormat(options, 'format');
    pairs.set(id, (p = { encoder: TextLineEncoder.for(resolved, context, threadId)!, format: createTextFormatter(resolved, context) }));
    expect(p.encoder).toBeDefined();
  }
  return p;
}

/** The general formatter's line for the same call, as the sink encodes it. */
function expected(p: Pair, input: RecordInput): string {
  const { source, length } = encodeRecord(input);
  return Buffer.from(p.format(decodeRecord(source, 8, length)), 'utf8').toString('utf8');
}

/**
 * The producer's line, or LINE_REFUSED; copied out as a line lane takes it, at an odd offset.
 * `line`: the logger's context, made once as a logger makes it (else one per call).
 */
function produced(p: Pair, input: RecordInput, line = p.encoder.context(input.name, input.bindings as Record<string, unknown> | undefined)): string | typeof LINE_REFUSED {
  if (line === undefined) return LINE_REFUSED;
  const bytes = p.encoder.encode(LIMIT, input.level, input.time, line, input.msg, input.fields, input.args, 0, input.args.length);
  if (bytes === LINE_REFUSED) return LINE_REFUSED;
  const lane = new Uint8Array(bytes + 8);
  p.encoder.writeLine(bytesOver(lane), 3, bytes - HEADER_BYTES);
  return Buffer.from(lane.subarray(3, 3 + bytes - HEADER_BYTES)).toString('utf8');
}

const TEMPLATES = KEYLESS_TEMPLATES;
const formats = formatsOf(TEMPLATES);

/** The property: whatever the encoder takes is the formatter's line. Returns how many it took. */
function holds(runs: number, recordArb: fc.Arbitrary<RecordInput> = records): number {
  let taken = 0;
  fc.assert(
    fc.property(formats, recordArb, (f, arbitrary) => {
      // An encoder is one thread's (its threadName text): a few of them serve.
      const input = { ...arbitrary, threadId: arbitrary.threadId % 3 };
      const p = pairFor(optionsOf(f), input.threadId);
      const line = produced(p, input);
      if (line !== LINE_REFUSED) {
        taken++;
        expect(line).toBe(expected(p, input));
      }
    }),
    { numRuns: runs },
  );
  return taken;
}

const base: RecordInput = { ...BENCH_RECORD, bindings: { worker: 1 }, fields: { i: 5 } };

describe('TextLineEncoder: the lines it writes are the formatter\'s', () => {
  it.each<[string, Partial<RecordInput>]>([
    ['the benchmark record', {}],
    ['no name, no bindings, no fields', { name: undefined, bindings: undefined, fields: undefined }],
    ['no message', { msg: undefined }],
    ['a message that needs every escape', { msg: 'a"b\\c\n\r\t\b\f\0\x1f\x7f\x85\u2028\u2029é😀\ud800 \udc00x\ud83d' }],
    ['keys named like the template\'s fields', { bindings: { level: 1, name: 2, msg: 3 }, fields: { time: 4, message: 5 } }],
    ['a field named like a binding but undefined: the binding stays', { bindings: { a: 1 }, fields: { a: undefined, b: 2 } }],
    ['numbers, bigints, nested containers', { fields: { a: -0, b: NaN, c: 1e21, d: 12345678901234567890n, e: { f: [1, {}, []] } } }],
    ['keys with escapes, __proto__ and integers', { fields: toObject([['__proto__', 1], ['a\nb', 2], ['10', 3], ['2', 4], ['😀', 5]]) }],
    ['every level', { level: 60 }],
    ['long strings', { msg: 'x'.repeat(5000), fields: { s: 'é'.repeat(3000) } }],
  ])('%s', (_, change) => {
    for (const layout of TEMPLATES) {
      const p = pairFor({ ...layout, utc: true }, base.threadId);
      const input = { ...base, ...change };
      const line = produced(p, input);
      expect(line, layout.template).not.toBe(LINE_REFUSED);
      expect(line).toBe(expected(p, input));
    }
  });

  it('holds for arbitrary calls, templates, datefmts and extras (UTC and local time)', () => {
    // Refused: errors, shadowed bindings, lone surrogates in keys, DEL and C1 in the extras,
    // times no Date holds.
    expect(holds(800)).toBeGreaterThan(250);
  });

  it('takes every call with plain keys and values, no shadowed binding, in the range of a Date', () => {
    // What the text's JSON escapes and a JSON line does not (DEL, C1) is refused: left out here.
    const plain = plainRecords(base, (bindings, fields) => !/[\u007f-\u009f]/.test(JSON.stringify([bindings, fields], (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))));
    fc.assert(
      fc.property(formats, plain, (f, input) => {
        const p = pairFor(optionsOf(f), input.threadId);
        const line = produced(p, input);
        expect(line).not.toBe(LINE_REFUSED);
        expect(line).toBe(expected(p, input));
      }),
      { numRuns: 500 },
    );
  });

  it('one encoder across loggers, levels and seconds: the start it keeps in place is always the right one', () => {
    for (const layout of TEMPLATES) {
      const p = pairFor({ ...layout, utc: true }, base.threadId);
      const loggers = [undefined, 'api', 'db'].map((name) => ({ name, line: p.encoder.context(name, base.bindings as Record<string, unknown>)! }));
      // Runs of calls of one logger and level, 37 ms apart: every millisecond digit, seconds changing within runs.
      for (let i = 0; i < 600; i++) {
        const logger = loggers[(i >> 3) % 3]!;
        const input: RecordInput = { ...base, name: logger.name, level: [30, 40][(i >> 4) % 2]!, time: 1_700_000_000_000 + i * 37, msg: i % 5 === 0 ? `m${i}` : 'same' };
        expect(produced(p, input, logger.line)).toBe(expected(p, input));
      }
    }
  });

  it('refuses what it documents, and is not made for templates that name keys', () => {
    const p = pairFor({ template: PYTHON, style: '%', utc: true }, base.threadId);
    expect(produced(p, { ...base, fields: { err: new Error('x') } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, bindings: { e: new TypeError('x') } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, bindings: { a: 1 }, fields: { a: 2 } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, fields: { m: new Map() } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, fields: { s: 'del\x7f' } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, fields: { s: 'c1\x85' } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, bindings: { 's\x9f': 1 } })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, fields: { s: 'not c1 \xa0\xbf' } })).toBe(expected(p, { ...base, fields: { s: 'not c1 \xa0\xbf' } }));
    expect(produced(p, { ...base, args: [1], msg: 'n %d' })).toBe(LINE_REFUSED);
    expect(produced(p, { ...base, time: 8.64e15 })).toBe(LINE_REFUSED);
    expect(TextLineEncoder.for(resolveTextFormat({ template: '{message} {worker}', style: '{' }, 'format'), context, 0)).toBeUndefined();
  });

  describe.each(['America/New_York', 'Australia/Lord_Howe'])('in time zone %s', (zone) => {
    inTimeZone(zone, () => pairs.clear());

    it('holds, DST changes and historical offsets included', () => {
      expect(holds(200, zonedRecords)).toBeGreaterThan(60);
    });
  });
});

describe('text lines through line lanes, the whole way', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('a backend whose one sink writes text gets line lanes; with two sinks, names that route, keys in the template or redaction, record lanes', async () => {
    const cases: [unknown, boolean][] = [
      [{ sinks: [{ type: 'file', path: join(temp.dir, 'a.log'), formatter: 'text' }] }, true],
      [{ sinks: [{ type: 'stdout', formatter: 'text' }] }, true],
      [{ sinks: [{ type: 'file', path: join(temp.dir, 'b.log'), formatter: 'text' }, { type: 'file', path: join(temp.dir, 'c.log') }] }, false],
      [{ sinks: [{ type: 'file', path: join(temp.dir, 'd.log'), formatter: 'text', loggers: ['db'] }] }, false],
      // What producers do not write from values: the consumer renders it from records.
      [{ formatters: { k: { type: 'text', template: '{message} {worker}' } }, sinks: [{ type: 'file', path: join(temp.dir, 'e.log'), formatter: 'k' }] }, false],
      [{ sinks: [{ type: 'file', path: join(temp.dir, 'f.log'), formatter: 'text' }], redact: ['secret'] }, false],
    ];
    for (const [options, lines] of cases) {
      const backend = await createLogBackend(options as Parameters<typeof createLogBackend>[0]);
      expect(viewShared(backend.handle.buffer).lineLanes, JSON.stringify(options)).toBe(lines);
      expect(backend.handle.text !== undefined).toBe(lines);
      await backend.close();
    }
  });

  it('threads logging into a small ring with size rotation: every record once, whole, in order, never split across files, stacks included', async () => {
    const path = join(temp.dir, 'app.log');
    const backend = await createLogBackend({
      formatters: { python: { type: 'text', template: PYTHON, style: '%', utc: true } },
      sinks: [{ type: 'file', path, formatter: 'python', rotate: { maxSize: '256KiB', maxFiles: 1000 } }],
      bufferSize: '64KiB',
    });
    await logMixedCalls(backend.handle, 3, 15000);
    const stats = await backend.close();
    expect(stats.recordsWritten).toBe(45000);
    const rotated = readdirSync(temp.dir).filter((name) => name !== 'app.log').length;
    expect(rotated).toBeGreaterThan(3);
    const files = [...Array.from({ length: rotated }, (_, k) => `${path}.${rotated - k}`), path].map((file) => readFileSync(file, 'utf8'));
    const next = [0, 0, 0];
    for (const content of files) {
      // A file starts with a record's first line: a stack never continues from the last file.
      expect(content.startsWith('\t')).toBe(false);
      const lines = content.split('\n').slice(0, -1);
      for (let at = 0; at < lines.length; at++) {
        const line = lines[at]!;
        const match = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} root (\w+) +(.*) (\{.*\})$/.exec(line);
        expect(match, line).not.toBeNull();
        const [, level, msg, extras] = match!;
        const fields = JSON.parse(extras!) as { worker: number; i?: number; s?: string };
        const i = next[fields.worker]!++;
        // An error's stack follows its record on continuation lines: in the same file.
        const stack = (headline: string): void => {
          expect(lines[++at]).toBe(`\t${headline}`);
          while (lines[at + 1]?.startsWith('\t')) at++;
        };
        if (i % 100 === 7) {
          expect([level, msg, fields]).toEqual(['WARNING', 'an error', { worker: fields.worker, i }]);
          stack(`Error: e${i}`);
        } else if (i % 100 === 8) {
          expect([level, msg]).toEqual(['INFO', `printf ${i}`]);
        } else if (i % 100 === 9) {
          expect([msg, fields]).toEqual(['refused', { worker: fields.worker, m: { i } }]);
        } else if (i % 100 === 10) {
          expect([level, msg, fields]).toEqual(['ERROR', `only ${i}`, { worker: fields.worker }]);
          stack(`Error: only ${i}`);
        } else {
          expect([level, msg, fields]).toEqual(['INFO', 'processed job', { worker: fields.worker, i, s: `é"\n${i}` }]);
        }
      }
    }
    expect(next).toEqual([15000, 15000, 15000]);
  });
});
