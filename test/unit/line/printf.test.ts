import { format } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMessage } from '../../../src/line/printf.js';
import { ErrorValue, type ObjectValue, type Value } from '../../../src/record/log-record.js';

function obj(entries: Record<string, Value>): ObjectValue {
  return Object.assign(Object.create(null) as ObjectValue, entries);
}

const err = new ErrorValue('TypeError', 'bad thing', 'TypeError: bad thing\n    at x', obj({ code: 'E1' }), undefined);

describe('formatMessage: no template', () => {
  it('is undefined without arguments', () => {
    expect(formatMessage(undefined, [])).toBeUndefined();
  });

  it.each<[readonly Value[], string]>([
    [['a'], 'a'],
    [['a', 'b'], 'a b'],
    [[1, 'a', true], '1 a true'],
    [[null, undefined, 2n, -0], 'null undefined 2n -0'],
    [[obj({ a: 1 })], '{"a":1}'],
    [[err, 'x'], 'TypeError: bad thing x'],
    [['%s', 'x'], '%s x'],
  ])('joins %o with spaces', (args, expected) => {
    expect(formatMessage(undefined, args)).toBe(expected);
  });
});

describe('formatMessage: no arguments', () => {
  it.each([[''], ['hello'], ['100%'], ['100%%'], ['%s %d'], ['%']])('returns %o unchanged, as pino and util.format do', (template) => {
    expect(formatMessage(template, [])).toBe(template);
    expect(format(template)).toBe(template);
  });

  it('returns the very same string (no allocation on the fast path)', () => {
    const template = ['hel', 'lo'].join('');
    expect(Object.is(formatMessage(template, []), template)).toBe(true);
  });
});

describe('formatMessage: placeholders', () => {
  it.each<[string, readonly Value[], string]>([
    // %s
    ['%s', ['str'], 'str'],
    ['%s', [42], '42'],
    ['%s', [-0], '-0'],
    ['%s', [0], '0'],
    ['%s', [1.5e300], '1.5e+300'],
    ['%s', [NaN], 'NaN'],
    ['%s', [-Infinity], '-Infinity'],
    ['%s', [123n], '123n'],
    ['%s', [-5n], '-5n'],
    ['%s', [true], 'true'],
    ['%s', [null], 'null'],
    ['%s', [undefined], 'undefined'],
    ['%s', [[1, 'a', null]], '[1,"a",null]'],
    ['%s', [obj({ a: 1, b: 'x' })], '{"a":1,"b":"x"}'],
    ['%s', [err], 'TypeError: bad thing'],
    ['%s', ['a\nb'], 'a\nb'],
    // %d
    ['%d', [42], '42'],
    ['%d', [4.5], '4.5'],
    ['%d', [-0], '-0'],
    ['%d', [123n], '123n'],
    ['%d', ['42'], '42'],
    ['%d', ['0x10'], '16'],
    ['%d', [''], '0'],
    ['%d', ['abc'], 'NaN'],
    ['%d', ['-0'], '-0'],
    ['%d', [true], '1'],
    ['%d', [false], '0'],
    ['%d', [undefined], 'NaN'],
    ['%d', [null], '0'],
    ['%d', [[1]], 'NaN'],
    ['%d', [obj({})], 'NaN'],
    ['%d', [err], 'NaN'],
    // %i
    ['%i', [4.7], '4'],
    ['%i', [-4.7], '-4'],
    ['%i', [-0.5], '-0'],
    ['%i', ['42.9'], '42'],
    ['%i', ['1e3'], '1000'],
    ['%i', [123456789012345678901234567890n], '123456789012345678901234567890n'],
    ['%i', [Infinity], 'Infinity'],
    ['%i', [true], '1'],
    ['%i', [null], '0'],
    ['%i', [[]], 'NaN'],
    ['%i', ['x'], 'NaN'],
    // %f
    ['%f', [1.5], '1.5'],
    ['%f', [-0], '-0'],
    ['%f', ['3.5px'], '3.5'],
    ['%f', ['  2.25'], '2.25'],
    ['%f', ['px'], 'NaN'],
    ['%f', [12n], '12'],
    ['%f', [true], 'NaN'],
    ['%f', [null], 'NaN'],
    ['%f', [undefined], 'NaN'],
    ['%f', [obj({ a: 1 })], 'NaN'],
    // %j %o %O
    ['%j', [obj({ a: [1, 2], b: null })], '{"a":[1,2],"b":null}'],
    ['%j', ['s"q'], '"s\\"q"'],
    ['%j', ['line\nbreak'], '"line\\nbreak"'],
    ['%j', [12n], '12'],
    ['%j', [NaN], 'null'],
    ['%j', [undefined], 'undefined'],
    ['%j', [[undefined]], '[null]'],
    ['%j', [err], '{"type":"TypeError","message":"bad thing","stack":"TypeError: bad thing\\n    at x","code":"E1"}'],
    ['%o', [obj({ a: 1 })], '{"a":1}'],
    ['%O', [obj({ a: 1 })], '{"a":1}'],
    ['%o', [true], 'true'],
    // %%
    ['%%', [1], '% 1'],
    ['100%% of %s', ['x'], '100% of x'],
    ['%%s', ['x'], '%s x'],
    ['%%%s', ['x'], '%x'],
    ['%s%%', ['x'], 'x%'],
  ])('%o with %o → %o', (template, args, expected) => {
    expect(formatMessage(template, args)).toBe(expected);
  });
});

describe('formatMessage: missing, extra and unknown', () => {
  it.each<[string, readonly Value[], string]>([
    ['%s and %s', ['a'], 'a and %s'],
    ['%s %d %j', [1], '1 %d %j'],
    ['%d%%%s', [1], '1%%s'],
    ['a %s', ['b', 'c', 3, null, 1n, -0], 'a b c 3 null 1n -0'],
    ['no placeholders', ['x', 2], 'no placeholders x 2'],
    ['x', [obj({ k: 'v' }), [1], err], 'x {"k":"v"} [1] TypeError: bad thing'],
    ['%x %s', ['a'], '%x a'],
    ['%c%s', ['a'], '%ca'],
    ['50%', ['a'], '50% a'],
    ['%', ['a'], '% a'],
    ['%s', ['a', 'b\nc'], 'a b\nc'],
    ['', ['a', 'b'], ' a b'],
    ['%s', [undefined, undefined], 'undefined undefined'],
  ])('%o with %o → %o', (template, args, expected) => {
    expect(formatMessage(template, args)).toBe(expected);
  });
});

describe('formatMessage agrees with util.format', () => {
  // Where the two are specified alike: primitive arguments; %s %d %j %%, literal text and stray
  // '%'; leftovers. (%o/%O use inspect in Node, %i uses parseInt, %j throws on bigint.)
  const piece = fc.constantFrom('%s', '%d', '%%', '%', '%x', 'a', ' ', 'é', '\n', '%%s');
  const primitive = fc.oneof(
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.bigInt(),
    fc.boolean(),
    fc.constantFrom(null, undefined, -0, NaN, Infinity, '', '0x1f', ' 12 '),
  );

  it('for %s %d %% and leftovers over primitives (property)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(primitive, { minLength: 1, maxLength: 5 }), (pieces, args) => {
        const template = pieces.join('');
        expect(formatMessage(template, args)).toBe(format(template, ...args));
      }),
    );
  });

  it('for %j over JSON primitives (property)', () => {
    const json = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    fc.assert(
      fc.property(fc.array(fc.constantFrom('%j', ' ', 'x', '%%'), { maxLength: 6 }), fc.array(json, { minLength: 1, maxLength: 4 }), (pieces, args) => {
        const template = pieces.join('');
        expect(formatMessage(template, args)).toBe(format(template, ...args));
      }),
    );
  });

  it('never loses an argument: with %s and %j, every string argument appears, in order (property)', () => {
    const text = fc.stringMatching(/^[a-z]{1,6}$/);
    const textPiece = fc.constantFrom('%s', '%j', '%%', '%', '%x', 'Q', ' ', '%%s');
    fc.assert(
      fc.property(fc.array(textPiece, { maxLength: 8 }), fc.array(text, { minLength: 1, maxLength: 5 }), (pieces, args) => {
        const out = formatMessage(pieces.join(''), args) ?? '';
        let from = 0;
        for (const arg of args) {
          const at = out.indexOf(arg, from);
          expect(at).toBeGreaterThanOrEqual(0);
          from = at + arg.length;
        }
      }),
    );
  });
});
