/**
 * examples/mplog.ts, the logging cookbook's multiprocessing example, run as a user would run it
 * (in a process of its own, writing into a fresh folder), and its four outputs checked exactly
 * against what the workers say they logged: the console has the INFO and above of every logger,
 * mplog.log every record, mplog-foo.log every record of foo and its descendants and nothing
 * else, mplog-errors.log every ERROR and CRITICAL record and nothing else. Each record once.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Counts } from '../../examples/mplog.js';
import { tempDir } from '../support/log-files.js';

const example = fileURLToPath(new URL('../../dist/examples/mplog.js', import.meta.url));

/** Python's level names, as the text format writes them, for ringlog's. */
const PYTHON = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' } as const;
type Level = keyof typeof PYTHON;
const LEVELS = Object.keys(PYTHON) as Level[];

const DETAILED = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\S+) +(DEBUG|INFO|WARNING|ERROR|CRITICAL) +(Thread-\d+) +Message no\. (\d+)$/;
const SIMPLE = /^(\S+) +(DEBUG|INFO|WARNING|ERROR|CRITICAL) +(Thread-\d+) +Message no\. (\d+)$/;

/** Counts of the lines by logger and Python level name; each (thread, message number) once. */
function tally(lines: string[], pattern: RegExp): Map<string, number> {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match === null) throw new Error(`a line that is not the example's: ${JSON.stringify(line)}`);
    const [, name, level, thread, no] = match;
    const record = `${thread} ${no}`;
    expect(seen.has(record)).toBe(false);
    seen.add(record);
    counts.set(`${name} ${level}`, (counts.get(`${name} ${level}`) ?? 0) + 1);
  }
  return counts;
}

/** What a file should hold: the logged counts of the loggers and levels it takes. */
function expected(logged: Counts, takes: (name: string, level: Level) => boolean): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [name, byLevel] of Object.entries(logged)) {
    for (const level of LEVELS) {
      const n = byLevel[level] ?? 0;
      if (n > 0 && takes(name, level)) counts.set(`${name} ${PYTHON[level]}`, n);
    }
  }
  return counts;
}

function fileLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.split('\n').slice(0, -1);
}

describe('examples/mplog.ts: the logging cookbook, multiprocessing', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('writes the console and the three files exactly as the cookbook configures them', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const run = spawnSync(process.execPath, [example, dir], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const logged = JSON.parse(readFileSync(join(dir, 'mplog-counts.json'), 'utf8')) as Counts;
    let total = 0;
    for (const byLevel of Object.values(logged)) for (const n of Object.values(byLevel)) total += n;
    expect(total).toBe(1000);
    expect(Object.keys(logged).sort()).toEqual(['foo', 'foo.bar', 'foo.bar.baz', 'spam', 'spam.ham', 'spam.ham.eggs']);

    const stdout = run.stdout.split('\n').slice(0, -1);
    const summary = stdout.pop();
    expect(summary).toMatch(/^mplog: 10 workers logged 1000 records, written as \d+ lines to the console and /);
    const isFoo = (name: string): boolean => name === 'foo' || name.startsWith('foo.');
    const atLeast = (level: Level, min: Level): boolean => LEVELS.indexOf(level) >= LEVELS.indexOf(min);

    const outputs: [string, string[], RegExp, (name: string, level: Level) => boolean][] = [
      ['console', stdout, SIMPLE, (_name, level) => atLeast(level, 'info')],
      ['mplog.log', fileLines(join(dir, 'mplog.log')), DETAILED, () => true],
      ['mplog-foo.log', fileLines(join(dir, 'mplog-foo.log')), DETAILED, (name) => isFoo(name)],
      ['mplog-errors.log', fileLines(join(dir, 'mplog-errors.log')), DETAILED, (_name, level) => atLeast(level, 'error')],
    ];
    let lines = 0;
    for (const [output, content, pattern, takes] of outputs) {
      expect({ output, counts: tally(content, pattern) }).toEqual({ output, counts: expected(logged, takes) });
      lines += content.length;
    }
    expect(summary).toContain(`written as ${lines} lines`);
  });
});
