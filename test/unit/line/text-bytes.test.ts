/**
 * The text byte renderer against its specification, the general text formatter: for every
 * record it takes, its line must be byte for byte the formatter's line encoded as UTF-8 (under
 * every template, style, datefmt, time zone and extras setting tried); the records it leaves
 * must be the documented ones (printf arguments, errors, a field shadowing a binding, keys
 * with U+FFFD, times a Date cannot hold, damage); and the common records must be taken.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/record/decoder.js';
import { createLineFormats } from '../../../src/consumer/formats.js';
import { TextLineRenderer, NOT_RENDERED } from '../../../src/line/text-bytes.js';
import { resolveTextFormat, type TextFormatOptions } from '../../../src/config/text-format-options.js';
import { createTextFormatter } from '../../../src/line/text-format.js';
import { bytesOver, Flag, RecordOffset } from '../../../src/record/descriptor.js';
import { BENCH_RECORD, encodeRecord, toObject, type RecordInput } from '../../support/records.js';
import { DATEFMTS, formatsOf, inTimeZone, optionsOf, plainRecords, PYTHON, records, TEMPLATES, zonedRecords } from '../../support/text-records.js';

const context = { pid: 4242, hostname: 'host "one"\n\u2028é' };

interface Pair {
  readonly options: TextFormatOptions;
  readonly renderer: TextLineRenderer;
  readonly format: ReturnType<typeof createTextFormatter>;
}

function pair(options: TextFormatOptions): Pair {
  const resolved = resolveTextFormat(options, 'format');
  return { options, renderer: new TextLineRenderer(resolved, context), format: createTextFormatter(resolved, context) };
}

/** The formatter's line for the record, as the sink encodes it. */
function expected(p: Pair, input: RecordInput): Buffer {
  const { source, length } = encodeRecord(input);
  return Buffer.from(p.format(decodeRecord(source, 8, length)), 'utf8');
}

/** The renderer's line, or NOT_RENDERED; also checks renderInto and the bound. */
function rendered(p: Pair, input: RecordInput): Buffer | typeof NOT_RENDERED {
  const { source, length } = encodeRecord(input);
  const bytes = p.renderer.render(source, 8, length);
  if (bytes === NOT_RENDERED) return NOT_RENDERED;
  const line = Buffer.from(p.renderer.output.u8.subarray(0, bytes));
  expect(bytes).toBeLessThanOrEqual(p.renderer.maxLineBytes(length));
  // Into a caller's buffer, at an odd offset, with exactly the bound free.
  const out = new Uint8Array(3 + p.renderer.maxLineBytes(length));
  expect(p.renderer.renderInto(source, 8, length, out, 3)).toBe(bytes);
  expect(Buffer.from(out.subarray(3, 3 + bytes)).equals(line)).toBe(true);
  return line;
}

/** Readable first, then exact: the decoded texts, then the bytes. */
function expectSame(line: Buffer, want: Buffer): void {
  expect(line.toString('utf8')).toBe(want.toString('utf8'));
  expect(line.equals(want)).toBe(true);
}

const base: RecordInput = { ...BENCH_RECORD, bindings: { worker: 1 }, fields: { i: 5 } };

const pairs = new Map<string, Pair>();
function pairFor(options: TextFormatOptions): Pair {
  const id = JSON.stringify(options);
  let p = pairs.get(id);
  if (p === undefined) pairs.set(id, (p = pair(options)));
  return p;
}

const formats = formatsOf(TEMPLATES);

/** The property: whatever the renderer takes is the formatter's line. Returns how many it took. */
function holds(runs: number, recordArb: fc.Arbitrary<RecordInput> = records): number {
  let taken = 0;
  fc.assert(
    fc.property(formats, recordArb, (f, input) => {
      const p = pairFor(optionsOf(f));
      const line = rendered(p, input);
      if (line !== NOT_RENDERED) {
        taken++;
        expectSame(line, expected(p, input));
      }
    }),
    { numRuns: runs },
  );
  return taken;
}

describe('TextLineRenderer: the lines it writes are the formatter\'s', () => {
  const python = pair({ template: PYTHON, style: '%', utc: true });

  it('writes the benchmark record as Python would', () => {
    const line = rendered(python, base);
    expect(line).not.toBe(NOT_RENDERED);
    expect((line as Buffer).toString()).toBe('2023-11-14 22:13:20,123 root INFO     processed job {"worker":1,"i":5}\n');
    expectSame(line as Buffer, expected(python, base));
  });

  it.each<[string, Partial<RecordInput>]>([
    ['the benchmark record', {}],
    ['a name, no bindings, no fields', { name: 'api', bindings: undefined, fields: undefined }],
    ['no message', { msg: undefined }],
    ['a message that needs every escape', { msg: 'a"b\\c\n\r\t\b\f\0\x1f\x7f\u0080\u0085\u009f\u00a0\u2028\u2029\u2027é😀\ud800' }],
    ['a name that needs escapes', { name: 'n\u001b[31m\u2029\u0085' }],
    ['extras that need jsonSafe', { fields: { 'k\u007f\u0085': 'v\u0080\u009f\u2028\n"' } }],
    ['bindings and fields named like JSON keys', { name: 'n', bindings: { level: 1, time: 2, pid: 3, hostname: 4, name: 5, msg: 6 }, fields: { levelno: 1, created: 2, message: 3 } }],
    ['undefined values are left out', { bindings: { a: undefined, b: 1 }, fields: { c: undefined, d: [undefined, null], e: { f: undefined } } }],
    ['only undefined extras: no braces', { bindings: { a: undefined }, fields: { c: undefined } }],
    ['a field shadowing nothing, a binding shadowed by an undefined field', { bindings: { a: 1 }, fields: { a: undefined, b: 2 } }],
    ['numbers: -0, NaN, ±Infinity, floats, int32 edges', { fields: { a: -0, b: NaN, c: Infinity, d: -Infinity, e: 0.1, f: 2 ** 31, g: -(2 ** 31), h: 1e21, i: 5e-324 } }],
    ['bigints', { fields: { a: 0n, b: -12345678901234567890n, c: 2n ** 70n } }],
    ['nested empty and full containers', { fields: { a: {}, b: [], c: { d: [{}, [], { e: 'x' }] } } }],
    ['a Map and a Set', { fields: { m: new Map<unknown, unknown>([[1, 'a'], ['1', 'b'], ['z', 1], ['2', 2]]), s: new Set([1, 'x']) } }],
    ['keys with escapes, __proto__ and integers', { fields: toObject([['__proto__', 1], ['a\nb', 2], ['10', 3], ['2', 4]]) }],
    ['a negative time', { time: -5 }],
    ['a fractional time', { time: 1_700_000_000_999.75 }],
    ['a level without a name', { level: 35 }],
    ['the main thread', { threadId: 0 }],
  ])('%s', (_, change) => {
    const input = { ...base, ...change };
    for (const layout of TEMPLATES) {
      for (const datefmt of DATEFMTS) {
        const p = pairFor(optionsOf({ layout, datefmt, utc: true, extras: 'json' }));
        const line = rendered(p, input);
        if (line !== NOT_RENDERED) expectSame(line, expected(p, input));
        else if (layout === TEMPLATES[0] && datefmt === undefined) expect.fail(`not taken: ${JSON.stringify(change)}`);
      }
    }
  });

  it('escapes a character at every place of a word, after runs that need nothing', () => {
    const specials = ['\n', '\t', '\u001f', '\u0000', '\u007f', '\u0080', '\u009f', '\u2028', '\u2029', '"', '\\', '~', ' ', 'é', '\ufffd', '😀'];
    for (const layout of [TEMPLATES[0]!, TEMPLATES[5]!, TEMPLATES[6]!]) {
      const p = pairFor(optionsOf({ layout, datefmt: undefined, utc: true, extras: 'json' }));
      for (let before = 0; before < 9; before++) {
        for (const special of specials) {
          const s = `${'abcdefghi'.slice(0, before)}${special}${'jklmnopqrstu'.slice(0, before + 3)}${special}`;
          // (A key with U+FFFD goes the general way.)
          const input = { ...base, name: s, msg: s, fields: special === '\ufffd' ? { a: s } : { a: s, [s]: 1 } };
          const line = rendered(p, input);
          expect(line).not.toBe(NOT_RENDERED);
          expectSame(line as Buffer, expected(p, input));
        }
      }
    }
  });

  it('holds for arbitrary records, templates, datefmts and extras (UTC and local time)', () => {
    const taken = holds(1500);
    // The rest have a key with a lone surrogate (the arbitraries are rich in them), an error-free
    // shadowed binding, or a time no Date holds.
    expect(taken).toBeGreaterThan(600);
  });

  it('takes every record that has plain keys and no shadowed binding', () => {
    const plain = plainRecords(base);
    fc.assert(
      fc.property(formats, plain, (f, input) => {
        const p = pairFor(optionsOf(f));
        const line = rendered(p, input);
        expect(line).not.toBe(NOT_RENDERED);
        expectSame(line as Buffer, expected(p, input));
      }),
      { numRuns: 500 },
    );
  });

  describe.each(['America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Europe/Amsterdam'])('in time zone %s', (zone) => {
    inTimeZone(zone, () => pairs.clear());

    it('holds, DST changes and historical offsets included', () => {
      holds(300, zonedRecords);
    });
  });

  it('keeps rendering correctly when one logger\'s records come from several threads, levels and seconds', () => {
    for (const layout of TEMPLATES) {
      const p = pair({ ...layout, utc: false });
      for (let i = 0; i < 40; i++) {
        const input = { ...base, threadId: i % 3, level: [30, 40, 30, 50, 7][i % 5]!, time: base.time + [0, 1, 999, -1000, 1000][i % 7 % 5]! + i };
        const line = rendered(p, input);
        expect(line).not.toBe(NOT_RENDERED);
        expectSame(line as Buffer, expected(p, input));
      }
    }
  });

  it('keeps rendering correctly when a thread alternates between loggers and seconds', () => {
    for (const layout of TEMPLATES) {
      const p = pair({ ...layout, utc: false });
      const inputs = [
        base,
        { ...base, bindings: { worker: 3 }, time: base.time + 1000 },
        { ...base, name: 'x', bindings: undefined, time: base.time - 1 },
        { ...base, name: 'x', bindings: { err: 1, lineno: 7 }, fields: { a: 'A' }, threadId: 0 },
        base,
      ];
      for (const input of [...inputs, ...inputs]) {
        const line = rendered(p, input);
        expect(line).not.toBe(NOT_RENDERED);
        expectSame(line as Buffer, expected(p, input));
      }
    }
  });
});

describe('TextLineRenderer: what it leaves to the formatter', () => {
  const python = pair({ template: PYTHON, style: '%' });
  const keyed = pair({ template: '{message} {a} {i:>4}', style: '{' });

  it.each<[string, Partial<RecordInput>]>([
    ['a time that is not a number', { time: NaN }],
    ['a time no Date holds', { time: 8.64e15 + 1 }],
    ['a time at the end of what a Date holds', { time: -8.64e15 }],
  ])('with asctime, %s', (_, change) => {
    expect(rendered(python, { ...base, ...change })).toBe(NOT_RENDERED);
    // Without asctime, the time is only a number.
    const line = rendered(keyed, { ...base, ...change });
    expect(line).not.toBe(NOT_RENDERED);
    expectSame(line as Buffer, expected(keyed, { ...base, ...change }));
  });

  it.each<[string, Partial<RecordInput>]>([
    ['printf arguments', { msg: 'took %d ms', args: [12] }],
    ['an error field', { fields: { err: new Error('boom') } }],
    ['an error without a message', { msg: undefined, fields: { err: new Error('boom') } }],
    ['an error deep in a field', { fields: { a: [{ b: new TypeError('deep') }] } }],
    ['an error in the bindings', { bindings: { e: new Error('bound') } }],
    ['a field shadowing a binding', { bindings: { worker: 1 }, fields: { worker: 2 } }],
    ['a merging value that is not an object', { fields: { toJSON: () => 'plain' } }],
    ['keys that collide once their lone surrogates are replaced', { fields: toObject([['\ud800', 1], ['\udc00', 2]]) }],
    ['a binding key with a lone surrogate', { bindings: toObject([['\ud800', 1]]) }],
  ])('%s', (_, change) => {
    expect(rendered(python, { ...base, ...change })).toBe(NOT_RENDERED);
    expect(rendered(keyed, { ...base, ...change })).toBe(NOT_RENDERED);
  });

  it('a record whose payload is a finished line', () => {
    const { source, length } = encodeRecord(base);
    source.u8[8 + RecordOffset.FLAGS] = Flag.LINE;
    expect(python.renderer.render(source, 8, length)).toBe(NOT_RENDERED);
  });

  it('a record cut short at any length, or with bytes left over', () => {
    const input = { ...base, name: 'n', bindings: { a: [1, 'x', { b: 2n }], worker: 'w' }, fields: { i: 1, s: 'text', x: 2.5, big: 10n } };
    for (const layout of TEMPLATES) {
      for (const extras of ['json', 'none'] as const) {
        const p = pair({ ...layout, extras });
        const { source, length } = encodeRecord(input);
        for (let cut = 0; cut < length; cut++) {
          expect(p.renderer.render(source, 8, cut), `cut at ${cut}`).toBe(NOT_RENDERED);
          // Cut where the memory ends too: a read past the record would throw.
          const exact = bytesOver(source.u8.slice(0, 8 + cut));
          expect(p.renderer.render(exact, 8, cut), `cut at ${cut}, memory ending there`).toBe(NOT_RENDERED);
        }
        expect(p.renderer.render(source, 8, length + 1)).toBe(NOT_RENDERED);
        // A fresh renderer, whose context cache has not seen the whole record first.
        const fresh = pair({ ...layout, extras });
        for (let cut = length - 1; cut >= 0; cut--) expect(fresh.renderer.render(source, 8, cut), `fresh, cut at ${cut}`).toBe(NOT_RENDERED);
        expect(p.renderer.render(source, 8, length)).toBeGreaterThan(0);
        expect(fresh.renderer.render(source, 8, length)).toBeGreaterThan(0);
      }
    }
  });

  it('never throws on bytes that are not a record', () => {
    const p = pair({ template: '{asctime} {name} {message} {a} {i:5d}', extras: 'json' });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 200 }), (bytes) => {
        const u8 = new Uint8Array(bytes.length + 8);
        u8.set(bytes);
        u8[14] = 0;
        u8[15] = 0;
        const line = p.renderer.render(bytesOver(u8), 0, bytes.length);
        expect(line === NOT_RENDERED || line > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('createLineFormats', () => {
  it('gives the text format its byte renderer', () => {
    const text = resolveTextFormat({ template: PYTHON, style: '%' }, 'format');
    const [format] = createLineFormats([{ type: 'text', text }], [undefined], context, () => {});
    expect(format!.renderer).toBeInstanceOf(TextLineRenderer);
  });
});
