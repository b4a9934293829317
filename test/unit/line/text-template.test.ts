import { describe, expect, it } from 'vitest';
import { parseTemplate, TemplateError, type FieldSpec, type TemplatePart } from '../../../src/line/text-template.js';

const spec = (given: Partial<FieldSpec>): FieldSpec => ({ fill: ' ', align: undefined, zero: false, width: 0, precision: undefined, type: undefined, ...given });

describe("parseTemplate, '{' style", () => {
  it.each<[string, TemplatePart[]]>([
    ['{message}', [{ name: 'message', spec: undefined }]],
    ['{asctime} {levelname}: {message}', [{ name: 'asctime', spec: undefined }, ' ', { name: 'levelname', spec: undefined }, ': ', { name: 'message', spec: undefined }]],
    ['{{literal}} {x} }}{{', ['{literal} ', { name: 'x', spec: undefined }, ' }{']],
    ['{a.b} {req-id} {__proto__} {0}', [{ name: 'a.b', spec: undefined }, ' ', { name: 'req-id', spec: undefined }, ' ', { name: '__proto__', spec: undefined }, ' ', { name: '0', spec: undefined }]],
    ['{x!s}', [{ name: 'x', spec: undefined }]],
    ['{x!r}', [{ name: 'x', spec: spec({ type: 'r' }) }]],
    ['{x!r:>10}', [{ name: 'x', spec: spec({ type: 'r', align: '>', width: 10 }) }]],
    ['{x!s:s}', [{ name: 'x', spec: spec({ type: 's' }) }]],
    ['{levelname:<8}', [{ name: 'levelname', spec: spec({ align: '<', width: 8 }) }]],
    ['{levelname:>8}', [{ name: 'levelname', spec: spec({ align: '>', width: 8 }) }]],
    ['{levelname:^9}', [{ name: 'levelname', spec: spec({ align: '^', width: 9 }) }]],
    ['{levelname:*^9}', [{ name: 'levelname', spec: spec({ fill: '*', align: '^', width: 9 }) }]],
    ['{levelname:<<9}', [{ name: 'levelname', spec: spec({ fill: '<', align: '<', width: 9 }) }]],
    ['{x:😀>3}', [{ name: 'x', spec: spec({ fill: '😀', align: '>', width: 3 }) }]],
    ['{msecs:03d}', [{ name: 'msecs', spec: spec({ zero: true, width: 3, type: 'd' }) }]],
    ['{msecs:03}', [{ name: 'msecs', spec: spec({ zero: true, width: 3 }) }]],
    ['{x:<05}', [{ name: 'x', spec: spec({ fill: '0', align: '<', width: 5 }) }]],
    ['{x:_<05}', [{ name: 'x', spec: spec({ fill: '_', align: '<', width: 5 }) }]],
    ['{created:.3f}', [{ name: 'created', spec: spec({ precision: 3, type: 'f' }) }]],
    ['{created:12.3F}', [{ name: 'created', spec: spec({ width: 12, precision: 3, type: 'f' }) }]],
    ['{levelname:.1}', [{ name: 'levelname', spec: spec({ precision: 1 }) }]],
    ['{x:s}', [{ name: 'x', spec: spec({ type: 's' }) }]],
    ['{x:}', [{ name: 'x', spec: spec({}) }]],
    ['%(message)s {message}', ['%(message)s ', { name: 'message', spec: undefined }]],
  ])('%j', (template, parts) => {
    expect(parseTemplate(template, '{')).toEqual(parts);
  });

  it.each<[string, string, string]>([
    ['{asctime {message}', "unclosed '{' at index 0", "write '{{' for a literal '{'"],
    ['{message} {level', "unclosed '{' at index 10", "write '{{' for a literal '{'"],
    ['{message} }', "single '}' at index 10", "write '}}' for a literal '}'"],
    ['{x:{w}}', 'nested field in the format spec at index 3 is not supported', ''],
    ['{}', 'empty field name at index 0', 'name a field, such as message'],
    ['{!r}', 'empty field name at index 0', 'name a field, such as message'],
    ['{ message }', "field name ' message ' at index 0 has surrounding spaces", ''],
    ['{x!a}', "unsupported conversion '!a' at index 0", 'supported: !s, !r'],
    ['{x!}', "unsupported conversion '!' at index 0", 'supported: !s, !r'],
    ['{x:+5}', "unsupported format spec ':+5' for 'x' at index 0", 'supported: [[fill]align][0][width][.precision][type] with align < > ^ and type s d f'],
    ['{x:=5}', "unsupported format spec ':=5' for 'x' at index 0", 'supported: [[fill]align][0][width][.precision][type] with align < > ^ and type s d f'],
    ['{x:,d}', "unsupported format spec ':,d' for 'x' at index 0", 'supported: [[fill]align][0][width][.precision][type] with align < > ^ and type s d f'],
    ['{x:#x}', "unsupported format spec ':#x' for 'x' at index 0", 'supported: [[fill]align][0][width][.precision][type] with align < > ^ and type s d f'],
    ['{x:e}', "unsupported format spec ':e' for 'x' at index 0", 'supported: [[fill]align][0][width][.precision][type] with align < > ^ and type s d f'],
    ['{x:.2d}', 'precision is not allowed with an integer type, at index 0', ''],
    ['{x!r:d}', "'!r' makes text, which type 'd' cannot format, at index 0", ''],
    ['plain text', 'has no fields', 'write one such as {message}'],
    ['%(levelname)s:%(name)s:%(message)s', 'has no fields', "it looks like a '%'-style template (%(levelname)s): set style to '%'"],
    ['%(asctime)s %(levelname)-8s %(message)s', 'has no fields', "it looks like a '%'-style template (%(asctime)s): set style to '%'"],
    ['{{escaped}}', 'has no fields', 'write one such as {message}'],
  ])('rejects %j: %s', (template, message, hint) => {
    expect(() => parseTemplate(template, '{')).toThrow(TemplateError);
    try {
      parseTemplate(template, '{');
    } catch (error) {
      expect((error as TemplateError).message).toBe(message);
      expect((error as TemplateError).hint).toBe(hint);
      expect((error as TemplateError).outOfRange).toBe(false);
    }
  });

  it.each(['{x:1025}', '{x:.101f}', '{x:99999999999999999999}'])('rejects %j as out of range', (template) => {
    try {
      parseTemplate(template, '{');
      expect.unreachable();
    } catch (error) {
      expect((error as TemplateError).outOfRange).toBe(true);
    }
  });

  it('accepts the largest width and precision', () => {
    expect(parseTemplate('{x:1024.100f}', '{')).toEqual([{ name: 'x', spec: spec({ width: 1024, precision: 100, type: 'f' }) }]);
  });
});

describe("parseTemplate, '%' style", () => {
  const right = (given: Partial<FieldSpec>): FieldSpec => spec({ align: '>', ...given });

  it.each<[string, TemplatePart[]]>([
    ['%(message)s', [{ name: 'message', spec: right({ type: 's' }) }]],
    ['%(levelname)s:%(name)s:%(message)s', [{ name: 'levelname', spec: right({ type: 's' }) }, ':', { name: 'name', spec: right({ type: 's' }) }, ':', { name: 'message', spec: right({ type: 's' }) }]],
    ['%(levelname)-8s', [{ name: 'levelname', spec: right({ align: '<', width: 8, type: 's' }) }]],
    ['%(levelname)8s', [{ name: 'levelname', spec: right({ width: 8, type: 's' }) }]],
    ['%(msecs)03d', [{ name: 'msecs', spec: right({ zero: true, width: 3, type: 'd' }) }]],
    ['%(msecs)-03d', [{ name: 'msecs', spec: right({ align: '<', width: 3, type: 'd' }) }]],
    ['%(levelno)i %(levelno)u', [{ name: 'levelno', spec: right({ type: 'd' }) }, ' ', { name: 'levelno', spec: right({ type: 'd' }) }]],
    ['%(created)f', [{ name: 'created', spec: right({ type: 'f' }) }]],
    ['%(created).3F', [{ name: 'created', spec: right({ precision: 3, type: 'f' }) }]],
    ['%(message).5s', [{ name: 'message', spec: right({ precision: 5, type: 's' }) }]],
    ['%(message).s', [{ name: 'message', spec: right({ precision: 0, type: 's' }) }]],
    ['%(user)r', [{ name: 'user', spec: right({ type: 'r' }) }]],
    ['100%% %(a.b)s {x}', ['100% ', { name: 'a.b', spec: right({ type: 's' }) }, ' {x}']],
  ])('%j', (template, parts) => {
    expect(parseTemplate(template, '%')).toEqual(parts);
  });

  it.each<[string, string, string]>([
    ['%s', "'%' at index 0 starts no field", "write a field such as %(message)s, or '%%' for a '%'"],
    ['%(message)s 100%', "'%' at index 15 starts no field", "write a field such as %(message)s, or '%%' for a '%'"],
    ['%(message', "unclosed '%(' at index 0", ''],
    ['%()s', 'empty field name at index 0', 'name a field, such as message'],
    ['%(message)', "'%(message)' at index 0 has no conversion type", 'write %(message)s'],
    ['%(message)-8', "'%(message)' at index 0 has no conversion type", 'write %(message)s'],
    ['%(levelno)x', "unsupported conversion '%(levelno)x' at index 0", 'supported types: s r d i u f F'],
    ['%(levelno)5g', "unsupported conversion '%(levelno)5g' at index 0", 'supported types: s r d i u f F'],
    ['%(levelno)*d', "unsupported conversion '%(levelno)*' at index 0", 'supported types: s r d i u f F'],
    ['%(levelno)+d', "unsupported flag '+' in '%(levelno)+d' at index 0", 'supported flags: - 0'],
    ['%(levelno)#d', "unsupported flag '#' in '%(levelno)#d' at index 0", 'supported flags: - 0'],
    ['%(levelno).2d', 'precision is not allowed with an integer type, at index 0', ''],
    ['{asctime} {message}', 'has no fields', "it looks like a '{'-style template ({asctime}): set style to '{'"],
    ['100%%', 'has no fields', 'write one such as %(message)s'],
  ])('rejects %j: %s', (template, message, hint) => {
    try {
      parseTemplate(template, '%');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).message).toBe(message);
      expect((error as TemplateError).hint).toBe(hint);
    }
  });
});
