/**
 * The spill file on its own, in a temporary directory: created mode 0600 under a 0700
 * directory, its entries read back in order as appended, the cap refusing (and not writing) an
 * entry that would pass it, a torn last entry read as the end; and adoptOrphans taking the
 * files of processes that no longer run (renamed to carry this pid) and only those.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptOrphans, SPILL_ENTRY_HEAD_BYTES, SpillFile } from '../../../src/forward/spill.js';

const SESSION = '00112233445566778899aabbccddeeff';
const OTHER = 'ffeeddccbbaa99887766554433221100';
/** The file's header: 'RLSPILL1' and the session's 16 bytes. */
const HEADER_BYTES = 24;

let dir: string;
const open: SpillFile[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringlog-spill-'));
});

afterEach(() => {
  for (const file of open.splice(0)) file.close();
  rmSync(dir, { recursive: true, force: true });
});

function track<T extends SpillFile | undefined>(file: T): T {
  if (file !== undefined) open.push(file);
  return file;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids that no process has now (above the usual pid_max of 2^22). */
function deadPids(count: number): number[] {
  const pids: number[] = [];
  for (let pid = 2 ** 22 + 12345; pids.length < count; pid += 7) if (!isRunning(pid)) pids.push(pid);
  return pids;
}

/** Every entry from the first, as read() gives them. */
function readAll(file: SpillFile): { seq: number; lines: number; bytes: string }[] {
  const entries: { seq: number; lines: number; bytes: string }[] = [];
  for (let entry = file.read(file.firstEntry); entry !== undefined; entry = file.read(entry.end)) {
    entries.push({ seq: entry.seq, lines: entry.lines, bytes: entry.bytes.toString('latin1') });
  }
  return entries;
}

/** A spill file as another process would have left it: its name, and entries under `session`. */
function leave(name: string, session: string, entries: [seq: number, lines: string][]): string {
  const path = join(dir, name);
  const parts = [Buffer.from('RLSPILL1'), Buffer.from(session, 'hex')];
  for (const [seq, lines] of entries) {
    const head = Buffer.alloc(SPILL_ENTRY_HEAD_BYTES);
    head.writeUInt32LE(Buffer.byteLength(lines), 0);
    head.writeUInt32LE(lines.split('\n').length - 1, 4);
    head.writeDoubleLE(seq, 8);
    parts.push(head, Buffer.from(lines));
  }
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

describe('SpillFile', () => {
  it('is created as <pid>-<session>.spill, mode 0600, in a directory it creates mode 0700', () => {
    const spillDir = join(dir, 'a', 'b.spill');
    const file = track(SpillFile.create(spillDir, SESSION, 1 << 20));
    expect(file.path).toBe(join(spillDir, `${process.pid}-${SESSION}.spill`));
    expect(file.session).toBe(SESSION);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(statSync(spillDir).mode & 0o777).toBe(0o700);
    expect(file.size).toBe(HEADER_BYTES);
    expect(file.firstEntry).toBe(HEADER_BYTES);
    expect(statSync(file.path).size).toBe(HEADER_BYTES);
    expect(file.read(file.firstEntry)).toBeUndefined();
  });

  it('reads back the entries appended, in order, with their seq, lines and bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ seq: fc.integer({ min: 1, max: 2 ** 40 }), lines: fc.nat({ max: 1000 }), bytes: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 30 }),
        (entries) => {
          const file = SpillFile.create(dir, SESSION, Number.MAX_SAFE_INTEGER);
          try {
            for (const e of entries) expect(file.append(e.seq, e.lines, e.bytes)).toBe(true);
            const total = HEADER_BYTES + entries.reduce((n, e) => n + SPILL_ENTRY_HEAD_BYTES + e.bytes.length, 0);
            expect(file.size).toBe(total);
            expect(statSync(file.path).size).toBe(total);
            const expected = entries.map((e) => ({ seq: e.seq, lines: e.lines, bytes: Buffer.from(e.bytes).toString('latin1') }));
            expect(readAll(file)).toEqual(expected);
            // And as a process taking it over reads it.
            const again = SpillFile.adopt(file.path, Number.MAX_SAFE_INTEGER)!;
            try {
              expect(again.session).toBe(SESSION);
              expect(again.size).toBe(total);
              expect(readAll(again)).toEqual(expected);
            } finally {
              again.close();
            }
          } finally {
            file.remove();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gives each entry its end offset, the next one starting there', () => {
    const file = track(SpillFile.create(dir, SESSION, 1 << 20));
    file.append(1, 2, Buffer.from('a\nb\n'));
    file.append(2, 1, Buffer.from('ccc\n'));
    const first = file.read(file.firstEntry)!;
    expect(first.end).toBe(HEADER_BYTES + SPILL_ENTRY_HEAD_BYTES + 4);
    const second = file.read(first.end)!;
    expect(second).toMatchObject({ seq: 2, lines: 1, end: first.end + SPILL_ENTRY_HEAD_BYTES + 4 });
    expect(second.bytes.toString()).toBe('ccc\n');
    expect(file.read(second.end)).toBeUndefined();
  });

  it('refuses an entry that would pass maxBytes, writing nothing; takes one that reaches it exactly', () => {
    const max = HEADER_BYTES + SPILL_ENTRY_HEAD_BYTES + 10;
    const file = track(SpillFile.create(dir, SESSION, max));
    expect(file.append(1, 1, Buffer.from('123456789\n'))).toBe(true);
    expect(file.size).toBe(max);
    expect(file.append(2, 1, Buffer.from('\n'))).toBe(false);
    expect(file.append(3, 0, Buffer.alloc(0))).toBe(false);
    expect(file.size).toBe(max);
    expect(statSync(file.path).size).toBe(max);
    expect(readAll(file)).toEqual([{ seq: 1, lines: 1, bytes: '123456789\n' }]);

    const small = track(SpillFile.create(join(dir, 'small'), SESSION, HEADER_BYTES + SPILL_ENTRY_HEAD_BYTES + 3));
    expect(small.append(1, 1, Buffer.from('abcd\n'))).toBe(false);
    expect(statSync(small.path).size).toBe(HEADER_BYTES);
    expect(small.append(1, 1, Buffer.from('ab\n'))).toBe(true);
  });

  it('reads a torn last entry (the file cut short by a crash) as the end', () => {
    const file = SpillFile.create(dir, SESSION, 1 << 20);
    file.append(1, 1, Buffer.from('one\n'));
    file.append(2, 1, Buffer.from('two\n'));
    file.append(3, 2, Buffer.from('three\nfour\n'));
    const full = file.size;
    file.close();
    // Cut in the last entry's lines, in its head, and right after the second entry.
    for (const cut of [3, SPILL_ENTRY_HEAD_BYTES + 11 - 5, SPILL_ENTRY_HEAD_BYTES + 11]) {
      truncateSync(file.path, full - cut);
      const torn = SpillFile.adopt(file.path, 1 << 20)!;
      try {
        expect(readAll(torn)).toEqual([
          { seq: 1, lines: 1, bytes: 'one\n' },
          { seq: 2, lines: 1, bytes: 'two\n' },
        ]);
      } finally {
        torn.close();
      }
    }
  });

  it('adopt() refuses a file that is not a spill file (wrong magic, too short)', () => {
    writeFileSync(join(dir, 'x'), Buffer.concat([Buffer.from('RLSPILL2'), Buffer.alloc(16)]));
    writeFileSync(join(dir, 'y'), Buffer.from('RLSPILL1'));
    expect(SpillFile.adopt(join(dir, 'x'), 1 << 20)).toBeUndefined();
    expect(SpillFile.adopt(join(dir, 'y'), 1 << 20)).toBeUndefined();
  });

  it('remove() closes and deletes the file, and may be called twice', () => {
    const file = SpillFile.create(dir, SESSION, 1 << 20);
    file.append(1, 1, Buffer.from('x\n'));
    file.remove();
    file.remove();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('adoptOrphans', () => {
  it('takes the files of pids that no longer run, renamed to carry this pid, with their entries', () => {
    const [dead1, dead2] = deadPids(2) as [number, number];
    leave(`${dead1}-${SESSION}.spill`, SESSION, [
      [1, 'a\n'],
      [2, 'b\nc\n'],
    ]);
    leave(`${dead2}-${OTHER}.spill`, OTHER, [[7, 'z\n']]);
    const adopted = adoptOrphans(dir);
    adopted.forEach(track);
    expect(adopted.map((f) => f.path).sort()).toEqual([join(dir, `${dead1}-${SESSION}.spill.${process.pid}`), join(dir, `${dead2}-${OTHER}.spill.${process.pid}`)].sort());
    expect(readdirSync(dir).sort()).toEqual([`${dead1}-${SESSION}.spill.${process.pid}`, `${dead2}-${OTHER}.spill.${process.pid}`].sort());
    const bySession = new Map(adopted.map((f) => [f.session, f]));
    expect(readAll(bySession.get(SESSION)!)).toEqual([
      { seq: 1, lines: 1, bytes: 'a\n' },
      { seq: 2, lines: 2, bytes: 'b\nc\n' },
    ]);
    expect(readAll(bySession.get(OTHER)!)).toEqual([{ seq: 7, lines: 1, bytes: 'z\n' }]);
    // Taken now: a second look finds nothing more (they carry this pid).
    expect(adoptOrphans(dir)).toEqual([]);
  });

  it('takes a file an adopter that ended had taken (.spill.<dead pid>), keeping the writer pid in its name', () => {
    const [dead] = deadPids(1) as [number];
    leave(`${process.ppid}-${SESSION}.spill.${dead}`, SESSION, [[1, 'x\n']]);
    const adopted = adoptOrphans(dir);
    adopted.forEach(track);
    expect(adopted.map((f) => f.path)).toEqual([join(dir, `${process.ppid}-${SESSION}.spill.${process.pid}`)]);
  });

  it('does not take the files of running pids, its own, or ones a running process adopted', () => {
    const [dead] = deadPids(1) as [number];
    const names = [
      `${process.ppid}-${SESSION}.spill`,
      `${process.pid}-${OTHER}.spill`,
      `${dead}-${SESSION}.spill.${process.ppid}`,
      `${dead}-${OTHER}.spill.${process.pid}`,
    ];
    for (const name of names) leave(name, SESSION, [[1, 'x\n']]);
    expect(isRunning(process.ppid)).toBe(true);
    expect(adoptOrphans(dir)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
  });

  it('ignores names that are not spill files', () => {
    const [dead] = deadPids(1) as [number];
    const names = [
      'notes.txt',
      `${dead}-${SESSION}.spill.tmp`,
      `${dead}-${SESSION.toUpperCase()}.spill`,
      `${dead}-${SESSION.slice(1)}.spill`,
      `x${dead}-${SESSION}.spill`,
      `${dead}_${SESSION}.spill`,
      `${dead}-${SESSION}.spil`,
      `${dead}-${SESSION}.spill.`,
      `-${SESSION}.spill`,
    ];
    for (const name of names) leave(name, SESSION, [[1, 'x\n']]);
    expect(adoptOrphans(dir)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
  });

  it('sets aside a taken file without a spill header: deleted when shorter than one, renamed .corrupt otherwise', () => {
    const [dead1, dead2] = deadPids(2) as [number, number];
    // A process that died while creating its file left a few bytes; something else took the name.
    writeFileSync(join(dir, `${dead1}-${SESSION}.spill`), Buffer.from('RLSP'));
    writeFileSync(join(dir, `${dead2}-${OTHER}.spill`), Buffer.alloc(4096, 0x41));
    expect(adoptOrphans(dir)).toEqual([]);
    const corrupt = `${dead2}-${OTHER}.spill.${process.pid}.corrupt`;
    expect(readdirSync(dir)).toEqual([corrupt]);
    // Not taken again by the next start.
    expect(adoptOrphans(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([corrupt]);
  });

  it('finds nothing in a directory that does not exist', () => {
    expect(adoptOrphans(join(dir, 'missing'))).toEqual([]);
  });
});
