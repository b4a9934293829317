/**
 * Redaction paths, pino's syntax (fast-redact's), compiled once per thread into a small matcher
 * that the encoder (encoder.ts) and the JSON line (producer/json-line-values.ts) consult as they
 * walk a call's values, so that a redacted value is never written: not into the ring, not into a
 * file. The paths address the record as its JSON line shows it: a call's fields and a child's
 * bindings at the top (`password`, `req.headers.authorization`), an error as pino's err object
 * (`err.type`, `err.message`, `err.stack`, its own fields, `err.cause`), an array's items by index.
 *
 * Syntax, as pino documents it (docs/redaction.md there): segments joined by dots, where a
 * segment is a JavaScript identifier or `*`; brackets around a quoted key (`a["b-c"]`,
 * `['x-y'].z`, a backslash escapes the next character), an index (`items[0]`) or `*`
 * (`users[*].ssn`). `*` stands for exactly one key or index, at any position: `*.token` is the
 * `token` of any top-level value, not of any depth (fast-redact's meaning).
 *
 * The matcher is a deterministic automaton over keys: each node says which keys lead where and
 * where any other key leads. Paths that share a prefix share nodes, and a wildcard path is merged
 * into every literal sibling when compiled (`a.b` and `*.c` make the node of `a` lead on with both
 * `b` and `c`), so a walk follows one node per value and never backtracks. A value whose key
 * leads nowhere is written as it would be without redaction, so the cost of a call whose keys
 * match no path is one Map lookup per top-level key (micro benchmark, bench/scenarios/micro.ts).
 *
 * It lives with the codec because the encoder consults it, and record/ imports only core/; the
 * JSON line (producer/) and the option's check (config/redact-options.ts) import it from here.
 */

/** One step of a parsed path: a literal key, or ANY (the `*` wildcard). */
export type PathSegment = string | typeof ANY;
export const ANY = null;

/** The `redact` option as resolved and carried in the handle (structured-cloneable). */
export interface RedactConfig {
  /** Paths as the user wrote them, all valid. */
  readonly paths: readonly string[];
  /** What a redacted value is written as. */
  readonly censor: string;
  /** Leave the key out instead (an array item becomes undefined, as in pino). */
  readonly remove: boolean;
}

/** A state of the matcher: where the walk is in the paths when it reaches a value. */
export interface RedactNode {
  /** The value here is redacted: written as the censor, or left out. */
  readonly censored: boolean;
  /** Where each named key leads (already merged with `any`); undefined when no key is named. */
  readonly keys: ReadonlyMap<string, RedactNode> | undefined;
  /**
   * The lengths of the named keys, as bits (bit min(length, 31)): a key of another length is
   * not among them, which a shift tells sooner than the Map's hash lookup. Encoding
   * `info({ a, b, c }, msg)` with the issue's four paths, in instructions per call (callgrind,
   * `node --single-threaded`, a loop of encode() alone: times were noise on a loaded machine;
   * the timed figure is the redact column of bench/scenarios/micro.ts): JSON line 3,480 without
   * paths, 3,907 with them (+12%), 3,566 with this (+2.5%); encoder 2,903, 3,224 (+11%), 3,029
   * (+4.3%).
   */
  readonly lengths: number;
  /** Where a key not in `keys` leads; undefined: nowhere, the value is written as it is. */
  readonly any: RedactNode | undefined;
}

/** What a thread's encoders use: the compiled paths and what to write instead. */
export interface Redaction {
  /** The node of a call's fields, a printf argument, a child's bindings. */
  readonly root: RedactNode;
  readonly censor: string;
  readonly remove: boolean;
}

/** The node of the value under `key`, or undefined when no path goes on through it. */
export function childOf(node: RedactNode, key: string): RedactNode | undefined {
  const keys = node.keys;
  if (keys === undefined || (node.lengths & lengthBit(key)) === 0) return node.any;
  return keys.get(key) ?? node.any;
}

function lengthBit(key: string): number {
  const length = key.length;
  return 1 << (length < 31 ? length : 31);
}

/**
 * The node of an array's item `index`. Its key, the index's digits, is made only when a named
 * key has as many characters: `*.token` walking a long array makes no strings.
 */
export function itemOf(node: RedactNode, index: number): RedactNode | undefined {
  if (node.keys === undefined) return node.any;
  const digits = index < 10 ? 1 : index < 100 ? 2 : index < 1000 ? 3 : String(index).length;
  if ((node.lengths & (1 << digits)) === 0) return node.any;
  return node.keys.get(String(index)) ?? node.any;
}

export function compileRedaction(config: RedactConfig): Redaction {
  return Object.freeze({ root: compilePaths(config.paths.map(parseRedactPath)), censor: config.censor, remove: config.remove });
}

// ---- parsing ----------------------------------------------------------------------------------

const IDENTIFIER = /[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*/uy;
const INDEX = /0|[1-9][0-9]*/y;

/**
 * The segments of one path; throws a SyntaxError whose message says what is wrong and where
 * (config/redact-options.ts puts the option's name and the path in front of it).
 */
export function parseRedactPath(path: string): PathSegment[] {
  if (path.length === 0) throw new SyntaxError('a path cannot be empty');
  const segments: PathSegment[] = [];
  let at = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`at character ${at + 1}, ${what}`);
  };
  /** A segment after a dot, or at the start: `*` or an identifier, up to the next `.` or `[`. */
  const name = (): void => {
    const rest = /^[^.[\]]*/.exec(path.slice(at))![0];
    if (rest === '*') segments.push(ANY);
    else if (rest === '') fail('expected a key');
    else if (rest.startsWith('*')) {
      // `*` is a segment of its own: `a.*b` is not a pattern.
      at++;
      fail('expected . or [ after *');
    } else {
      IDENTIFIER.lastIndex = 0;
      if (IDENTIFIER.exec(rest)?.[0] !== rest) {
        fail(`'${rest}' is not an identifier: write ["${rest}"]${/^[0-9]+$/.test(rest) ? ` or [${rest}]` : ''}`);
      }
      segments.push(rest);
    }
    at += rest.length;
  };
  /** `[*]`, `[12]`, `["key"]` or `['key']`, from the `[`. */
  const bracket = (): void => {
    at++;
    const char = path[at];
    if (char === '*') {
      segments.push(ANY);
      at++;
    } else if (char === '"' || char === "'") {
      let key = '';
      at++;
      for (;;) {
        if (at >= path.length) fail(`unterminated ${char}`);
        const c = path[at]!;
        if (c === char) break;
        if (c === '\\') {
          at++;
          if (at >= path.length) fail(`unterminated ${char}`);
        }
        key += path[at];
        at++;
      }
      at++;
      segments.push(key);
    } else {
      INDEX.lastIndex = at;
      const match = INDEX.exec(path);
      if (match === null) fail('expected *, an index or a quoted key after [');
      segments.push(match![0]);
      at += match![0].length;
    }
    if (path[at] !== ']') fail('expected ]');
    at++;
  };
  if (path[0] === '[') bracket();
  else name();
  while (at < path.length) {
    if (path[at] === '.') {
      at++;
      name();
    } else if (path[at] === '[') {
      bracket();
    } else {
      fail(segments.at(-1) === ANY ? 'expected . or [ after *' : `unexpected '${path[at]}'`);
    }
  }
  return segments;
}

// ---- compiling --------------------------------------------------------------------------------

/** A node of the trie the paths make, before wildcards are merged into their siblings. */
interface TrieNode {
  readonly id: number;
  terminal: boolean;
  readonly keys: Map<string, TrieNode>;
  any: TrieNode | undefined;
}

const CENSORED: RedactNode = Object.freeze({ censored: true, keys: undefined, lengths: 0, any: undefined });

/**
 * The paths' trie, then the matcher made of it: each matcher node is a set of trie nodes
 * reached by the same keys (the subset construction), made once per distinct set. Paths are
 * finite, so the sets are.
 */
export function compilePaths(paths: readonly (readonly PathSegment[])[]): RedactNode {
  let ids = 0;
  const trie = (): TrieNode => ({ id: ids++, terminal: false, keys: new Map(), any: undefined });
  const root = trie();
  for (const path of paths) {
    let node = root;
    for (const segment of path) {
      if (segment === ANY) node = node.any ??= trie();
      else {
        let next = node.keys.get(segment);
        if (next === undefined) node.keys.set(segment, (next = trie()));
        node = next;
      }
    }
    node.terminal = true;
  }
  const made = new Map<string, RedactNode>();
  const build = (set: readonly TrieNode[]): RedactNode => {
    // A redacted value is redacted whole: paths below it change nothing.
    if (set.some((node) => node.terminal)) return CENSORED;
    const id = set.map((node) => node.id).sort((a, b) => a - b).join(',');
    const known = made.get(id);
    if (known !== undefined) return known;
    const anys = set.flatMap((node) => (node.any === undefined ? [] : [node.any]));
    const names = new Set(set.flatMap((node) => [...node.keys.keys()]));
    const keys = new Map<string, RedactNode>();
    let lengths = 0;
    for (const name of names) {
      keys.set(name, build([...set.flatMap((node) => node.keys.get(name) ?? []), ...anys]));
      lengths |= lengthBit(name);
    }
    const node: RedactNode = Object.freeze({
      censored: false,
      keys: keys.size === 0 ? undefined : keys,
      lengths,
      any: anys.length === 0 ? undefined : build(anys),
    });
    made.set(id, node);
    return node;
  };
  return build([root]);
}
