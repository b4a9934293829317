/**
 * Redaction paths (src/record/redact.ts): the parser against pino's syntax, the compiled matcher
 * against a naive reading of the paths, and the encoder's redacted records against what pino
 * itself writes for the same object and paths.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createJsonFormatter } from '../../../src/line/json-format.js';
import { decodeRecord } from '../../../src/record/decoder.js';
import {
  ANY,
  childOf,
  compilePaths,
  compileRedaction,
  itemOf,
  parseRedactPath,
  type PathSegment,
  type RedactNode,
} from '../../../src/record/redact.js';
import { BENCH_RECORD, encodeRecord, toObject, type Json } from '../../support/records.js';

describe('parseRedactPath', () => {
  it.each<[string, PathSegment[]]>([
    ['password', ['password']],
    ['req.headers.authorization', ['req', 'headers', 'authorization']],
    ['*.token', [ANY, 'token']],
    ['users[*].ssn', ['users', ANY, 'ssn']],
    ['a.*.b', ['a', ANY, 'b']],
    ['a[*]', ['a', ANY]],
    ['*', [ANY]],
    ['a["b-c"]', ['a', 'b-c']],
    ["a['b-c'].d", ['a', 'b-c', 'd']],
    ['["a-b"].c', ['a-b', 'c']],
    ['a["*"]', ['a', '*']],
    ['a["with \\"quotes\\" and \\\\"]', ['a', 'with "quotes" and \\']],
    ['a[""]', ['a', '']],
    ['a["x.y[z]"]', ['a', 'x.y[z]']],
    ['items[0].secret', ['items', '0', 'secret']],
    ['items[10][2]', ['items', '10', '2']],
    ['$a._b.ä1', ['$a', '_b', 'ä1']],
  ])('%s', (path, segments) => {
    expect(parseRedactPath(path)).toEqual(segments);
  });

  it.each<[string, string]>([
    ['', 'a path cannot be empty'],
    ['a.', 'at character 3, expected a key'],
    ['a..b', 'at character 3, expected a key'],
    ['.a', 'at character 1, expected a key'],
    ['a.b-c', `at character 3, 'b-c' is not an identifier: write ["b-c"]`],
    ['a.0', `at character 3, '0' is not an identifier: write ["0"] or [0]`],
    ['a.*b', 'at character 4, expected . or [ after *'],
    ['a*', `at character 1, 'a*' is not an identifier: write ["a*"]`],
    ['*a', 'at character 2, expected . or [ after *'],
    ['a[*]b', 'at character 5, expected . or [ after *'],
    ['a[0]b', "at character 5, unexpected 'b'"],
    ['a[b]', 'at character 3, expected *, an index or a quoted key after ['],
    ['a[01]', 'at character 4, expected ]'],
    ['a["b"', 'at character 6, expected ]'],
    ['a["b]', 'at character 6, unterminated "'],
    ['a[*', 'at character 4, expected ]'],
    ['a b', `at character 1, 'a b' is not an identifier: write ["a b"]`],
    ['a]', "at character 2, unexpected ']'"],
  ])('refuses %j: %s', (path, message) => {
    expect(() => parseRedactPath(path)).toThrow(new SyntaxError(message));
  });

  it('reads back every path written in its syntax', () => {
    const segment = fc.oneof(
      fc.constant(ANY),
      fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,5}$/),
      fc.string({ maxLength: 6 }),
      fc.nat({ max: 20 }).map(String),
    );
    const write = (segments: readonly PathSegment[]): string =>
      segments
        .map((s, i) => {
          if (s === ANY) return i === 0 || Math.random() < 0.5 ? (i === 0 ? '*' : '.*') : '[*]';
          if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) return i === 0 ? s : `.${s}`;
          if (/^(0|[1-9][0-9]*)$/.test(s)) return `[${s}]`;
          return `["${s.replace(/["\\]/g, '\\$&')}"]`;
        })
        .join('');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        expect(parseRedactPath(write(segments))).toEqual(segments);
      }),
    );
  });
});

/** Whether `keys`, followed from the root, reach a redacted value: the paths read naively. */
function naive(paths: readonly (readonly PathSegment[])[], keys: readonly string[]): boolean {
  return paths.some((path) => path.length <= keys.length && path.every((s, i) => s === ANY || s === keys[i]));
}

/** The same by the matcher, as the encoder walks: one node per key, nowhere once it leads nowhere. */
function matched(root: RedactNode, keys: readonly string[]): boolean {
  let node: RedactNode | undefined = root;
  for (const key of keys) {
    node = /^\d+$/.test(key) && Math.random() < 0.5 ? itemOf(node, Number(key)) : childOf(node, key);
    if (node === undefined) return false;
    if (node.censored) return true;
  }
  return false;
}

const KEYS = ['a', 'b', 'c', '0', '1'];

describe('compilePaths', () => {
  it('agrees with the paths read naively, for every key sequence', () => {
    const segment = fc.oneof(fc.constantFrom(...KEYS), fc.constant(ANY));
    const paths = fc.array(fc.array(segment, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(paths, fc.array(fc.array(fc.constantFrom(...KEYS, 'd'), { maxLength: 5 }), { maxLength: 20 }), (paths, walks) => {
        const root = compilePaths(paths);
        expect(root.censored).toBe(false);
        for (const keys of walks) expect(matched(root, keys)).toBe(naive(paths, keys));
      }),
      { numRuns: 500 },
    );
  });

  it('makes one node per set of places: literal paths share prefixes, a wildcard joins its siblings', () => {
    const root = compilePaths([['a', 'b'], [ANY, 'c'], ['a', 'b', 'x']]);
    const a = childOf(root, 'a')!;
    expect(childOf(a, 'b')?.censored).toBe(true);
    expect(childOf(a, 'c')?.censored).toBe(true);
    expect(childOf(a, 'x')).toBeUndefined();
    // Any other top-level key leads only to `c`.
    expect(childOf(childOf(root, 'zz')!, 'b')).toBeUndefined();
    expect(childOf(childOf(root, 'zz')!, 'c')?.censored).toBe(true);
    // An item by its index, of any number of digits; other items go where any key goes.
    const items = compilePaths([['a', '12', 'x'], ['a', '1234'], ['a', ANY, 'y']]);
    const list = childOf(items, 'a')!;
    expect(childOf(itemOf(list, 12)!, 'x')?.censored).toBe(true);
    expect(childOf(itemOf(list, 12)!, 'y')?.censored).toBe(true);
    expect(itemOf(list, 1234)?.censored).toBe(true);
    expect(itemOf(list, 123)).toBe(itemOf(list, 5));
    expect(childOf(itemOf(list, 5)!, 'x')).toBeUndefined();
    // Without a wildcard, a key that no path names leads nowhere at once: the cost of a miss.
    const literal = compilePaths([['password'], ['req', 'headers', 'authorization']]);
    expect(literal.any).toBeUndefined();
    expect(childOf(literal, 'i')).toBeUndefined();
  });
});

/**
 * pino itself, for the same paths and object: what its line holds besides its own keys. Its
 * redaction is fast-redact's (now @pinojs/redact); the encoder's record, rendered as the JSON
 * line, must say the same.
 */
function pinoLine(paths: string[], remove: boolean, fields: object): unknown {
  let line = '';
  const logger = pino({ redact: { paths, censor: 'CENSORED', remove }, base: null, timestamp: false }, { write: (s: string) => void (line = s) });
  logger.info(fields);
  const { level: _level, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
}

function ringlogLine(paths: string[], remove: boolean, fields: object): unknown {
  const redaction = compileRedaction({ paths, censor: 'CENSORED', remove });
  const input = { ...BENCH_RECORD, bindings: undefined, msg: undefined, fields };
  const { source, length } = encodeRecord(input, 8, redaction);
  const format = createJsonFormatter({ pid: 1, hostname: 'h' });
  const { level: _l, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(format(decodeRecord(source, 8, length))) as Record<string, unknown>;
  return rest;
}

describe('redacted records say what pino says', () => {
  const writePath = (segments: readonly PathSegment[]): string =>
    segments.map((s, i) => (s === ANY ? (i === 0 ? '*' : '[*]') : /^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  // Values without undefined (pino would write the censor for a key that holds undefined;
  // ringlog leaves undefined out, redacted or not) and without our own keys.
  const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null));
  const { value } = fc.letrec<{ value: Json; object: Json; array: Json }>((tie) => ({
    value: fc.oneof({ maxDepth: 3, depthIdentifier: 'v' }, leaf, tie('object'), tie('array')),
    object: fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 4, selector: ([k]) => k, depthIdentifier: 'v' }).map(toObject),
    array: fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'v' }),
  }));
  const fields = fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), value), { maxLength: 4, selector: ([k]) => k }).map(toObject);
  // One difference is left out: pino lets a path that starts with a key (`a.b`) override a lone
  // `*` for that key, whose value it then writes; ringlog redacts it, as `*` says.
  const paths = fc
    .array(fc.array(fc.oneof(fc.constantFrom(...KEYS), fc.constant(ANY)), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
    .filter((paths) => paths.length === 1 || !paths.some((p) => p.length === 1 && p[0] === ANY));

  it.each([false, true])('for random objects and paths (remove: %s)', (remove) => {
    fc.assert(
      fc.property(paths.map((p) => p.map(writePath)), fields, (paths, fields) => {
        expect(ringlogLine(paths, remove, fields)).toEqual(pinoLine(paths, remove, fields));
      }),
      { numRuns: 400 },
    );
  });
});
