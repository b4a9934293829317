import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeText, firstUnsafe, jsonSafe } from '../../../src/line/text-escape.js';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('escapeText', () => {
  it.each<[string, string]>([
    ['plain é 😀 \\ "', 'plain é 😀 \\ "'],
    ['\n\r\t', '\\n\\r\\t'],
    ['\u0000\u0007\u001b\u001f', '\\x00\\x07\\x1b\\x1f'],
    ['\u007f\u0080\u0085\u009b\u009f\u00a0', '\\x7f\\x80\\x85\\x9b\\x9f\u00a0'],
    ['\u2028\u2029\u2027\u202a', '\\u2028\\u2029\u2027\u202a'],
  ])('%j → %j', (text, expected) => {
    expect(escapeText(text)).toBe(expected);
  });

  it('leaves no unsafe character, and returns safe text unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeText(text);
        expect(escaped).not.toMatch(UNSAFE);
        if (!UNSAFE.test(text)) expect(escaped).toBe(text);
      }),
    );
  });
});

describe('jsonSafe', () => {
  it('escapes DEL and C1 as JSON escapes, keeping the JSON valid and its value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const json = jsonSafe(JSON.stringify(text));
        expect(json).not.toMatch(/[\u007f-\u009f]/);
        expect(JSON.parse(json)).toBe(text);
      }),
    );
    expect(jsonSafe('"\u007f\u0085"')).toBe('"\\u007f\\u0085"');
  });
});

describe('firstUnsafe', () => {
  it('says where the first unsafe character is', () => {
    expect(firstUnsafe('{message}')).toBeUndefined();
    expect(firstUnsafe('ab\tc\n')).toEqual({ index: 2, codePoint: 9 });
    expect(firstUnsafe('x\u2028')).toEqual({ index: 1, codePoint: 0x2028 });
  });
});
