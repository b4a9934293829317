/**
 * The import rules of src/ (STYLE.md 2b), read from the source: which folder may import which,
 * no cycles between files or folders, and a producer that never loads the consumer side. A pool
 * worker calling `connect()` loads what src/producer/logger.ts reaches at run time, so that set
 * must stay small; the table below is where a new dependency between folders is decided.
 *
 * The checks are pure functions over a graph of files; they run on a small synthetic graph
 * first, so that a rule that could never fail shows up here and not in review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * 'type': erased from the JavaScript (`import type`, `export type`, `import('./x.js').T`).
 * 'dynamic': `import('./x.js')`, loaded when it runs. 'runtime': every other import, including
 * `import { type X } from`, which verbatimModuleSyntax compiles to `import {} from './x.js'`:
 * the module is still loaded.
 */
type Kind = 'runtime' | 'type' | 'dynamic';

interface Edge {
  readonly from: string;
  /** The src file it resolves to, or undefined when there is none. */
  readonly to: string | undefined;
  readonly specifier: string;
  readonly kind: Kind;
}

/** Deepest first where they nest: a file belongs to the first folder its path starts with. */
const FOLDERS = [
  'core', 'ring', 'record', 'line', 'producer',
  'consumer/format', 'consumer/rotate', 'consumer/sink', 'consumer',
  'compress', 'forward', 'config', 'main', 'bin', 'index',
] as const;
type Folder = (typeof FOLDERS)[number];

/** A folder that a folder may import: from any import, or only from imports of these kinds. */
type Allowed = Folder | { readonly folder: Folder; readonly only: readonly Kind[] };

/** What each folder may import besides itself. */
const RULES: Record<Folder, readonly Allowed[]> = {
  core: [],
  ring: ['core'],
  record: ['core'],
  line: ['core', 'record'],
  producer: ['core', 'ring', 'record', 'line'],
  'consumer/format': ['core', 'record', 'line'],
  'consumer/rotate': ['core', 'compress'],
  compress: ['core'],
  // The forward sink fills the outbox (forward/outbox.ts) that the sender thread empties.
  'consumer/sink': ['core', 'record', 'consumer/rotate', 'compress', 'forward'],
  consumer: [
    'core', 'ring', 'record', 'line',
    'consumer/format', 'consumer/sink', 'consumer/rotate', 'compress', 'forward',
  ],
  // The sender and receiver threads: sockets, the outbox, and (receiver) the ring's records.
  forward: ['core', 'ring', 'record'],
  // config may read what the consumer declares; the consumer never imports config.
  config: [
    'core', 'record', 'line', 'producer',
    'consumer/format', 'consumer/sink', 'consumer/rotate', 'consumer', 'compress',
    { folder: 'forward', only: ['type'] },
  ],
  main: FOLDERS.filter((f) => f !== 'index' && f !== 'main' && f !== 'bin'),
  // `ringlog aggregate`: reads a config file and runs a backend.
  bin: ['core', 'config', { folder: 'main', only: ['dynamic', 'type'] }, 'index'],
  // The entry loads the producer side only; createLogBackend loads the backend when called.
  index: [
    'core', 'producer',
    { folder: 'config', only: ['type'] },
    { folder: 'main', only: ['type', 'dynamic'] },
  ],
};

const PRODUCER_ROOT = 'src/producer/logger.ts';
/** What a producer thread must never load. */
const PRODUCER_FORBIDDEN: readonly Folder[] = FOLDERS.filter(
  (f) => f.startsWith('consumer') || f === 'config' || f === 'main' || f === 'compress' || f === 'forward' || f === 'bin',
);

// ---- reading the source ----------------------------------------------------------------------

/** Every relative import and export specifier of one file, with its kind. */
function importsOf(path: string, text: string): { specifier: string; kind: Kind }[] {
  const found: { specifier: string; kind: Kind }[] = [];
  const add = (node: ts.Expression | undefined, kind: Kind): void => {
    if (node === undefined || !ts.isStringLiteral(node) || !/^\.\.?\//.test(node.text)) return;
    found.push({ specifier: node.text, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly === true ? 'type' : 'runtime');
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'runtime');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], 'dynamic');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'type');
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  return found;
}

/** Specifiers name the emitted .js; the graph is of the .ts files they are built from. */
function buildGraph(files: ReadonlyMap<string, string>): Edge[] {
  return [...files].flatMap(([from, text]) =>
    importsOf(from, text).map(({ specifier, kind }) => {
      const target = posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, '.ts');
      return { from, to: files.has(target) ? target : undefined, specifier, kind };
    }),
  );
}

function folderOf(file: string): Folder | undefined {
  if (file === 'src/index.ts') return 'index';
  return FOLDERS.find((f) => f !== 'index' && file.startsWith(`src/${f}/`));
}

/** The import as an edge between two folders, or undefined within one folder or outside them. */
function folderEdge(e: Edge): readonly [Folder, Folder] | undefined {
  const from = folderOf(e.from);
  const to = e.to === undefined ? undefined : folderOf(e.to);
  return from === undefined || to === undefined || from === to ? undefined : [from, to];
}

// ---- the checks: pure functions of the graph -------------------------------------------------

function unresolved(edges: readonly Edge[]): string[] {
  return edges
    .filter((e) => e.to === undefined)
    .map((e) => `${e.from} -> ${e.specifier}: no such file in src/`);
}

function folderViolations(
  files: Iterable<string>,
  edges: readonly Edge[],
  rules: Record<Folder, readonly Allowed[]>,
): string[] {
  const problems = [...files]
    .filter((f) => folderOf(f) === undefined)
    .map((f) => `${f}: in no folder of the table`);
  for (const e of edges) {
    const [from, to] = folderEdge(e) ?? [];
    if (from === undefined || to === undefined) continue;
    const rule = rules[from].find((a) => (typeof a === 'string' ? a : a.folder) === to);
    if (rule !== undefined && (typeof rule === 'string' || rule.only.includes(e.kind))) continue;
    const why =
      rule === undefined
        ? `${from} may not import ${to}`
        : `${from} may import ${to} only by ${rule.only.join(' or ')} imports`;
    problems.push(`${e.from} -> ${e.specifier} (${e.kind}): ${why}`);
  }
  return problems;
}

interface Tangle {
  /** One cycle through the group, a -> b -> ... -> a: a shortest one from its first node. */
  readonly cycle: readonly string[];
  /** Every node of the group (a strongly connected component), sorted. */
  readonly nodes: readonly string[];
}

/** Each group of nodes that reach one another (Tarjan's components), with one cycle through it. */
function tangles(edges: ReadonlyMap<string, readonly string[]>): Tangle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: Tangle[] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group = new Set<string>();
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.add(w);
    } while (w !== v);
    if (group.size > 1 || (edges.get(v) ?? []).includes(v)) {
      found.push({ cycle: cycleWithin(v, group, edges), nodes: [...group].sort() });
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  return found;
}

/** A shortest path from `start` back to itself inside `group`, breadth first. */
function cycleWithin(
  start: string,
  group: ReadonlySet<string>,
  edges: ReadonlyMap<string, readonly string[]>,
): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let k = 0; k < queue.length; k++) {
    const v = queue[k]!;
    for (const w of edges.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at: string | undefined = v; at !== start && at !== undefined; at = parent.get(at)) {
          path.splice(1, 0, at);
        }
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function adjacency(pairs: Iterable<readonly [string, string]>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [a, b] of pairs) {
    const next = map.get(a) ?? [];
    if (!next.includes(b)) next.push(b);
    map.set(a, next);
  }
  return map;
}

/** Static imports, type-only ones included: a dynamic import runs after both files are loaded. */
function fileCycles(edges: readonly Edge[]): Tangle[] {
  const pairs = edges.flatMap((e) => (e.to !== undefined && e.kind !== 'dynamic' ? [[e.from, e.to] as const] : []));
  return tangles(adjacency(pairs));
}

/** The graph of the folder table: every import, dynamic and type-only ones too. */
function folderCycles(edges: readonly Edge[]): Tangle[] {
  return tangles(adjacency(edges.flatMap((e) => {
    const pair = folderEdge(e);
    return pair === undefined ? [] : [pair];
  })));
}

/** Every file loaded at run time from `root` (imports not type-only), each with its importer. */
function runtimeClosure(root: string, edges: readonly Edge[]): Map<string, string> {
  const pairs = edges.flatMap((e) => (e.to !== undefined && e.kind !== 'type' ? [[e.from, e.to] as const] : []));
  const next = adjacency(pairs);
  const parent = new Map<string, string>([[root, root]]);
  const queue = [root];
  for (let k = 0; k < queue.length; k++) {
    for (const w of next.get(queue[k]!) ?? []) {
      if (parent.has(w)) continue;
      parent.set(w, queue[k]!);
      queue.push(w);
    }
  }
  return parent;
}

const within = (file: string, folders: readonly Folder[]): boolean => {
  const folder = folderOf(file);
  return folder !== undefined && folders.includes(folder);
};

/**
 * Where the closure enters a forbidden folder: each runtime import of a forbidden file by a
 * permitted file of the closure, with the chain that loads the importer. (What the forbidden
 * files load in turn goes once these imports go.)
 */
function forbiddenEntries(root: string, edges: readonly Edge[], forbidden: readonly Folder[]): string[] {
  const closure = runtimeClosure(root, edges);
  return edges
    .filter((e) => e.kind !== 'type' && e.to !== undefined && closure.has(e.from))
    .filter((e) => !within(e.from, forbidden) && within(e.to!, forbidden))
    .map((e) => {
      const chain = [e.from];
      while (chain[0] !== root) chain.unshift(closure.get(chain[0]!)!);
      return `${[...chain, e.to].join(' -> ')} (${e.kind})`;
    });
}

function expectNone(problems: readonly string[], title: string): void {
  expect(problems.length, `${title}:\n  ${problems.join('\n  ')}\n`).toBe(0);
}

const path = ({ cycle }: Tangle): string => cycle.join(' -> ');
/** The cycle, and the group when it holds more than the cycle: all of it when that is short. */
const describeTangle = ({ cycle, nodes }: Tangle): string => {
  if (nodes.length === cycle.length - 1) return path({ cycle, nodes });
  const among = nodes.length <= 12 ? nodes.join(', ') : `${nodes.length} files that reach one another`;
  return `${path({ cycle, nodes })}\n    (one of the cycles among ${among})`;
};

// ---- the checks on a synthetic graph: each one can fail --------------------------------------

describe('the checker, on a synthetic graph', () => {
  const files = new Map<string, string>([
    ['src/core/a.ts', `import { r } from '../ring/r.js'; // core may import nothing`],
    ['src/ring/r.ts', `import type { A } from '../core/a.js';\nimport {\n  x,\n  y,\n} from './s.js';`],
    ['src/ring/s.ts', `export { r } from './r.js';\n// import '../main/m.js';\nconst t = "import '../main/m.js'";`],
    [
      'src/producer/logger.ts',
      `import { type T } from '../line/l.js';\nimport type { C } from '../config/c.js';\n` +
        `export type { M } from '../main/m.js';`,
    ],
    ['src/line/l.ts', `export const l = () => import('../consumer/k.js');\nlet t: typeof import('../record/d.js');`],
    ['src/consumer/k.ts', `import { c } from '../config/c.js';\nimport { gone } from './gone.js';`],
    ['src/config/c.ts', `import { k } from '../consumer/k.js';`],
    [
      'src/index.ts',
      `export type { C } from './config/c.js';\nexport { c } from './config/c.js';\n` +
        `const m = import('./main/m.js');`,
    ],
    ['src/main/m.ts', `export const m = 1;`],
    ['src/record/d.ts', ``],
    ['src/stray.ts', ``],
  ]);
  const edges = buildGraph(files);
  const kinds = (from: string): string[] =>
    edges.filter((e) => e.from === from).map((e) => `${e.specifier} ${e.kind}`);

  it('reads every kind of import, multi-line too, and not the ones in comments or strings', () => {
    expect(kinds('src/ring/r.ts')).toEqual(['../core/a.js type', './s.js runtime']);
    expect(kinds('src/ring/s.ts')).toEqual(['./r.js runtime']);
    expect(kinds('src/producer/logger.ts')).toEqual([
      '../line/l.js runtime',
      '../config/c.js type',
      '../main/m.js type',
    ]);
    expect(kinds('src/line/l.ts')).toEqual(['../consumer/k.js dynamic', '../record/d.js type']);
    expect(kinds('src/index.ts')).toEqual([
      './config/c.js type',
      './config/c.js runtime',
      './main/m.js dynamic',
    ]);
    expect(unresolved(edges)).toEqual(['src/consumer/k.ts -> ./gone.js: no such file in src/']);
  });

  it('reports every import the table does not allow, and files outside its folders', () => {
    expect(folderViolations(files.keys(), edges, RULES)).toEqual([
      'src/stray.ts: in no folder of the table',
      'src/core/a.ts -> ../ring/r.js (runtime): core may not import ring',
      'src/producer/logger.ts -> ../config/c.js (type): producer may not import config',
      'src/producer/logger.ts -> ../main/m.js (type): producer may not import main',
      'src/line/l.ts -> ../consumer/k.js (dynamic): line may not import consumer',
      'src/consumer/k.ts -> ../config/c.js (runtime): consumer may not import config',
      'src/index.ts -> ./config/c.js (runtime): index may import config only by type imports',
    ]);
  });

  it('finds one cycle per tangle of files, type imports included, dynamic ones not', () => {
    expect(fileCycles(edges).map(path)).toEqual([
      'src/config/c.ts -> src/consumer/k.ts -> src/config/c.ts',
      'src/core/a.ts -> src/ring/r.ts -> src/core/a.ts',
    ]);
    const lazy = new Map([
      ['src/core/a.ts', `import './b.js';`],
      ['src/core/b.ts', `export const a = () => import('./a.js');`],
    ]);
    expect(fileCycles(buildGraph(lazy))).toEqual([]);
  });

  it('finds cycles between folders, and none for a file cycle within one folder', () => {
    expect(folderCycles(edges).map(path)).toEqual(['config -> consumer -> config', 'core -> ring -> core']);
    const inRing = new Map([
      ['src/ring/r.ts', `import './s.js';`],
      ['src/ring/s.ts', `import './r.js';`],
    ]);
    expect(folderCycles(buildGraph(inRing))).toEqual([]);
  });

  it('follows runtime and dynamic imports from the producer, { type X } ones too, not import type', () => {
    const closure = runtimeClosure('src/producer/logger.ts', edges);
    expect([...closure.keys()]).toEqual([
      'src/producer/logger.ts',
      'src/line/l.ts',
      'src/consumer/k.ts',
      'src/config/c.ts',
    ]);
    expect(forbiddenEntries('src/producer/logger.ts', edges, PRODUCER_FORBIDDEN)).toEqual([
      'src/producer/logger.ts -> src/line/l.ts -> src/consumer/k.ts (dynamic)',
    ]);
  });
});

// ---- the checks on src/ ----------------------------------------------------------------------

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = new Map(
  readdirSync(`${root}src`, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => posix.join('src', name.split('\\').join('/')))
    .sort()
    .map((file) => [file, readFileSync(`${root}${file}`, 'utf8')] as const),
);
const graph = buildGraph(sources);

describe('src/ imports', () => {
  it('name files that exist', () => {
    expectNone(unresolved(graph), 'imports that resolve to no file');
  });

  it('(a) go only where the folder table allows', () => {
    expectNone(folderViolations(sources.keys(), graph, RULES), 'imports the folder table does not allow');
  });

  it('(b) form no cycle between files', () => {
    expectNone(fileCycles(graph).map(describeTangle), 'file cycles, one path each');
  });

  it('(c) form no cycle between folders', () => {
    expectNone(folderCycles(graph).map(describeTangle), 'folder cycles, one path each');
  });

  it(`(d) never load consumer, config, main or compress code from ${PRODUCER_ROOT} at run time`, () => {
    expect(sources.has(PRODUCER_ROOT), `${PRODUCER_ROOT} is missing`).toBe(true);
    const closure = runtimeClosure(PRODUCER_ROOT, graph);
    const loaded = [...closure.keys()].filter((f) => within(f, PRODUCER_FORBIDDEN)).length;
    expectNone(
      forbiddenEntries(PRODUCER_ROOT, graph, PRODUCER_FORBIDDEN),
      `where the producer's ${closure.size} modules reach code it must not load (${loaded} such files)`,
    );
  });
});
