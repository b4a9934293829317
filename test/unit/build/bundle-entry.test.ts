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

const { bundleEntry, BUNDLE } = (await import(new URL('../../../build/bundle-entry.mjs', import.meta.url).href)) as {
  bundleEntry: (dir: string) => string[];
  BUNDLE: string;
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

  it.each([
    ['export default', 'export default 1;\n'],
    ['an export that is not const', 'export let x = 1;\n'],
    ['a dynamic import inside the bundle', "export const f = () => import('./x.js');\n"],
  ])('refuses %s, naming the file', (what, text) => {
    const dir = graph({ 'index.js': "export { x } from './m.js';\n", 'm.js': text });
    expect(() => bundleEntry(dir)).toThrow(`bundle-entry: m.js:1: ${what} is not supported`);
  });
});
