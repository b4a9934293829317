/**
 * build/bundle-entry.mjs on a small module graph of the forms tsc emits: the bundled entry
 * exports what the modules did, a module imported by its own path afterwards is the same
 * instance as the entry's, module order and import.meta.url hold, and forms it does not take
 * fail with the file named. (The whole suite then runs on the bundled dist/src/index.js.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const { bundleEntry, BUNDLE, LAZY_BUNDLE } = (await import(new URL('../../../build/bundle-entry.mjs', import.meta.url).href)) as {
  bundleEntry: (dir: string) => string[];
  BUNDLE: string;
  LAZY_BUNDLE: string;
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function graph(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ringlog-bundle-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const FILES = {
  'index.js': [
    "export { Thing, make } from './a/thing.js';",
    "export { LIMIT as MAX } from './core/limits.js';",
    "export async function later() { return (await import('./late.js')).late; }",
    '',
  ].join('\n'),
  'core/limits.js': "export const LIMIT = 7;\nexport const ORDER = [];\nORDER.push('limits');\n",
  'core/where.js': "import { ORDER } from './limits.js';\nORDER.push('where');\nexport const here = import.meta.url;\n",
  'a/thing.js': [
    "import { threadId } from 'node:worker_threads';",
    "import * as limits from '../core/limits.js';",
    "import { here as where } from '../core/where.js';",
    "limits.ORDER.push('thing');",
    'export class Thing { constructor() { this.limit = limits.LIMIT; this.thread = threadId; this.where = where; } }',
    'export function make() { return new Thing(); }',
    '//# sourceMappingURL=thing.js.map',
    '',
  ].join('\n'),
  'late.js': "import { Thing } from './a/thing.js';\nexport const late = new Thing();\n",
};

describe('bundle-entry', () => {
  it('puts the modules the entry reaches into one file, in dependency order, one instance each', async () => {
    const dir = graph(FILES);
    expect(bundleEntry(dir)).toEqual(['core/limits.js', 'core/where.js', 'a/thing.js']);
    expect(readFileSync(join(dir, 'a/thing.js'), 'utf8')).toContain(`from '../${BUNDLE}'`);
    const entry = (await import(pathToFileURL(join(dir, 'index.js')).href)) as Record<string, unknown> & {
      make: () => { limit: number; thread: number; where: string };
      Thing: new () => unknown;
      later: () => Promise<unknown>;
    };
    expect(entry.MAX).toBe(7);
    const made = entry.make();
    expect(made).toMatchObject({ limit: 7, thread: 0 });
    // import.meta.url stays the module's own.
    expect(made.where).toBe(pathToFileURL(join(dir, 'core/where.js')).href);
    // A module imported by its path (as the dynamic import's does) is the entry's instance.
    expect(await entry.later()).toBeInstanceOf(entry.Thing);
    const limits = (await import(pathToFileURL(join(dir, 'core/limits.js')).href)) as { ORDER: string[] };
    expect(limits.ORDER).toEqual(['limits', 'where', 'thing']);
    // Bundling twice without a fresh tsc output is an error, not a broken tree.
    expect(() => bundleEntry(dir)).toThrow(/bundled already/);
  });

  it('runs a module that only namespace imports reach at its first use, from a file of its own', async () => {
    const dir = graph({
      'index.js': "export { make, textOf } from './a/thing.js';\n",
      'core/order.js': 'export const ORDER = [];\n',
      'a/thing.js': [
        "import * as text from '../t/text.js';",
        "import { ORDER } from '../core/order.js';",
        "ORDER.push('thing');",
        'export function make() { return 1; }',
        'export function textOf(x) { return text.render(x) + text.SUFFIX; }',
        '',
      ].join('\n'),
      't/text.js': [
        "import { ORDER } from '../core/order.js';",
        "import { pad } from './pad.js';",
        "ORDER.push('text');",
        "export const SUFFIX = '!';",
        'export function render(x) { return pad(String(x)); }',
        '',
      ].join('\n'),
      't/pad.js': "import { ORDER } from '../core/order.js';\nORDER.push('pad');\nexport const pad = (s) => '[' + s + ']';\n",
    });
    expect(bundleEntry(dir)).toEqual(['core/order.js', 't/pad.js', 't/text.js', 'a/thing.js']);
    // The lazy modules' code is not in the bundle a worker loads.
    expect(readFileSync(join(dir, BUNDLE), 'utf8')).not.toContain("ORDER.push('text')");
    expect(readFileSync(join(dir, LAZY_BUNDLE), 'utf8')).toContain("ORDER.push('text')");
    const entry = (await import(pathToFileURL(join(dir, 'index.js')).href)) as { make: () => number; textOf: (x: unknown) => string };
    const { ORDER } = (await import(pathToFileURL(join(dir, 'core/order.js')).href)) as { ORDER: string[] };
    expect(entry.make()).toBe(1);
    expect(ORDER).toEqual(['thing']);
    expect(entry.textOf(5)).toBe('[5]!');
    expect(ORDER).toEqual(['thing', 'pad', 'text']);
    expect(entry.textOf(6)).toBe('[6]!');
    expect(ORDER).toEqual(['thing', 'pad', 'text']);
    // Imported by its path, a lazy module is the same instance.
    const text = (await import(pathToFileURL(join(dir, 't/text.js')).href)) as { SUFFIX: string };
    expect(text.SUFFIX).toBe('!');
    expect(ORDER).toEqual(['thing', 'pad', 'text']);
  });

  it('refuses a lazy namespace used other than as ns.x, naming the file', () => {
    const dir = graph({ 'index.js': "export { x } from './m.js';\n", 'm.js': "import * as t from './t.js';\nexport const x = t;\n", 't.js': 'export const y = 1;\n' });
    expect(() => bundleEntry(dir)).toThrow('bundle-entry: m.js:2: a lazy namespace (t) used other than as t.x is not supported');
  });

  it.each([
    ['export default', 'export default 1;\n'],
    ['an export that is not const', 'export let x = 1;\n'],
    ['a dynamic import inside the bundle', "export const f = () => import('./x.js');\n"],
  ])('refuses %s, naming the file', (what, text) => {
    const dir = graph({ 'index.js': "export { x } from './m.js';\n", 'm.js': text });
    expect(() => bundleEntry(dir)).toThrow(`bundle-entry: m.js:1: ${what} is not supported`);
  });
});
