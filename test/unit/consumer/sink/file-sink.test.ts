import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFileSink } from '../../../../src/consumer/sink/file-sink.js';
import type { FileSinkOptions, FsPort } from '../../../../src/consumer/sink/file-sink.js';
import { countLines, EAGAIN_RETRY_LIMIT, lastRecordEnd, recordEnd } from '../../../../src/consumer/sink/fd-writer.js';
import { bytesOver } from '../../../../src/record/descriptor.js';
import { ErrorCode } from '../../../../src/core/errors.js';

let dir = '';
let file = '';

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlog-'));
  file = path.join(dir, 'app.log');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const realFs: FsPort = fs;

function sink(options: Partial<FileSinkOptions> = {}) {
  return createFileSink({ path: file, maxFileBytes: undefined, maxFiles: 5, ...options });
}

/** node:fs with another writeSync. */
const withWriteSync = (writeSync: FsPort['writeSync']): FsPort => ({ ...realFs, writeSync });

/** node:fs, recording the length of each writeSync call. */
function recordingFs(): { fs: FsPort; calls: number[] } {
  const calls: number[] = [];
  const port = withWriteSync((fd, buffer, offset, length) => {
    calls.push(length);
    return fs.writeSync(fd, buffer, offset, length);
  });
  return { fs: port, calls };
}

const read = (index = 0): string => fs.readFileSync(index === 0 ? file : `${file}.${index}`, 'utf8');
const exists = (index: number): boolean => fs.existsSync(`${file}.${index}`);

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** The files of the sink, oldest first, as written (bytes). */
function filesOldestFirst(): Buffer[] {
  const rotated = fs.readdirSync(dir).filter((name) => name !== 'app.log').length;
  const files: Buffer[] = [];
  for (let index = rotated; index >= 1; index--) files.push(fs.readFileSync(`${file}.${index}`));
  files.push(fs.readFileSync(file));
  return files;
}

describe('file sink: lines', () => {
  it('lands every line whole and in order', () => {
    const s = sink();
    const lines = Array.from({ length: 5000 }, (_, i) => `{"i":${i},"msg":"line ${i}"}\n`);
    for (const line of lines) s.writeLine(line);
    s.close();
    expect(read()).toBe(lines.join(''));
    expect(s.bytesWritten).toBe(Buffer.byteLength(lines.join('')));
    expect(s.rotations).toBe(0);
  });

  it('buffers until flush, then writes everything in one call', () => {
    const { fs: port, calls } = recordingFs();
    const s = sink({ fs: port });
    s.writeLine('a\n');
    s.writeLine('b\n');
    expect(read()).toBe('');
    expect(s.bytesWritten).toBe(0);
    s.flush();
    expect(read()).toBe('a\nb\n');
    expect(s.bytesWritten).toBe(4);
    expect(calls).toEqual([4]);
    s.flush();
    expect(calls).toEqual([4]);
    s.close();
  });

  it('creates the missing directory of the path', () => {
    file = path.join(dir, 'deep', 'er', 'app.log');
    const s = sink();
    s.writeLine('x\n');
    s.close();
    expect(read()).toBe('x\n');
  });

  it('reopening an existing file appends to it', () => {
    fs.writeFileSync(file, 'old\n');
    const s = sink();
    s.writeLine('new\n');
    s.close();
    expect(read()).toBe('old\nnew\n');
    expect(s.bytesWritten).toBe(4);
  });
});

describe('file sink: rotation', () => {
  // maxFileBytes is 10; `files` lists the files' contents, oldest first.
  it.each([
    { case: 'a line that exactly fills the file stays', lines: ['abcd\n', 'efgh\n'], files: ['abcd\nefgh\n'] },
    { case: 'one more byte rotates', lines: ['abcd\n', 'efghi\n'], files: ['abcd\n', 'efghi\n'] },
    { case: 'a full file rotates for the next line', lines: ['abcd\n', 'efgh\n', 'i\n'], files: ['abcd\nefgh\n', 'i\n'] },
  ])('$case', ({ lines, files }) => {
    const s = sink({ maxFileBytes: 10 });
    for (const line of lines) s.writeLine(line);
    s.close();
    expect(filesOldestFirst().map(String)).toEqual(files);
    expect(s.rotations).toBe(files.length - 1);
  });

  it('counts bytes already flushed to the file, not only buffered ones', () => {
    const s = sink({ maxFileBytes: 10 });
    s.writeLine('abcd\n');
    s.flush();
    s.writeLine('efgh\n');
    s.flush();
    s.writeLine('i\n');
    s.close();
    expect([read(1), read()]).toEqual(['abcd\nefgh\n', 'i\n']);
  });

  it('counts the size of an existing file after a restart', () => {
    fs.writeFileSync(file, 'old\n');
    const s = sink({ maxFileBytes: 8 });
    s.writeLine('abc\n'); // 4 + 4 = 8: stays
    s.writeLine('d\n'); // 10 > 8: rotates
    s.close();
    expect([read(1), read()]).toEqual(['old\nabc\n', 'd\n']);
  });

  it('rotates at once when a restart finds the file already over the limit', () => {
    fs.writeFileSync(file, 'x'.repeat(20) + '\n');
    const s = sink({ maxFileBytes: 8 });
    s.writeLine('a\n');
    s.close();
    expect([read(1), read()]).toEqual(['x'.repeat(20) + '\n', 'a\n']);
  });

  it('keeps at most maxFiles rotated files, deleting the oldest', () => {
    const s = sink({ maxFileBytes: 4, maxFiles: 2 });
    for (let i = 0; i < 10; i++) s.writeLine(`${i}\n`); // two lines per file
    s.close();
    expect([read(2), read(1), read()]).toEqual(['4\n5\n', '6\n7\n', '8\n9\n']);
    expect(exists(3)).toBe(false);
    expect(s.rotations).toBe(4);
    expect(s.bytesWritten).toBe(20);
  });

  it('a line larger than maxFileBytes gets a file of its own', () => {
    const big = 'x'.repeat(30) + '\n';
    const s = sink({ maxFileBytes: 4 });
    s.writeLine(big); // empty file: no rotation
    s.writeLine('a\n');
    s.writeLine(big);
    s.writeLine('b\n');
    s.close();
    expect([read(3), read(2), read(1), read()]).toEqual([big, 'a\n', big, 'b\n']);
    expect(s.rotations).toBe(3);
  });

  it('counts multi-byte UTF-8 in bytes, not UTF-16 units', () => {
    // 'éé\n' is 3 units but 5 bytes; with 'a\n' it makes 7 bytes > 6, though only 5 units.
    const s = sink({ maxFileBytes: 6 });
    s.writeLine('éé\n');
    s.writeLine('a\n');
    s.writeLine('😀\n'); // 3 units, 5 bytes: 2 + 5 > 6
    s.close();
    expect([read(2), read(1), read()]).toEqual(['éé\n', 'a\n', '😀\n']);
  });

  it('counts a lone surrogate as the 3 bytes of U+FFFD', () => {
    // '\ud800\n' is 2 units, written as 4 bytes: two of them are 8 bytes > 6.
    const s = sink({ maxFileBytes: 6 });
    s.writeLine('\ud800\n');
    s.writeLine('\udfff\n');
    s.close();
    expect(fs.readFileSync(`${file}.1`)).toEqual(Buffer.from([0xef, 0xbf, 0xbd, 0x0a]));
    expect(fs.readFileSync(file)).toEqual(Buffer.from([0xef, 0xbf, 0xbd, 0x0a]));
    expect(s.bytesWritten).toBe(8);
  });

  it('shifts ~1000 existing files, drops the oldest, leaves files above maxFiles alone', () => {
    const maxFiles = 1000;
    for (let index = 1; index <= maxFiles; index++) fs.writeFileSync(`${file}.${index}`, `${index}\n`);
    fs.writeFileSync(`${file}.1005`, 'beyond\n'); // above maxFiles: never touched
    const s = sink({ maxFileBytes: 2, maxFiles });
    s.writeLine('a\n');
    s.writeLine('b\n'); // first rotation
    s.writeLine('c\n'); // second rotation
    s.close();
    expect(read()).toBe('c\n');
    expect(read(1)).toBe('b\n');
    expect(read(2)).toBe('a\n');
    expect(read(3)).toBe('1\n');
    expect(read(1000)).toBe('998\n');
    expect(exists(1001)).toBe(false);
    expect(read(1005)).toBe('beyond\n');
    expect(s.rotations).toBe(2);
  });

  it('never rotates without maxFileBytes', () => {
    const s = sink({ maxFileBytes: undefined });
    for (let i = 0; i < 100; i++) s.writeLine('x'.repeat(100) + '\n');
    s.close();
    expect(s.rotations).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['app.log']);
  });

  it('random lines: files are packed greedily, each ends a line, nothing lost', () => {
    const char = fc.oneof(
      fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udc00', '"'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const line = fc.string({ unit: char, maxLength: 40 }).map((text) => `${text}\n`);
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 60 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (lines, maxFileBytes, bufferBytes, flushAfter) => {
          fs.rmSync(dir, { recursive: true, force: true });
          const s = sink({ maxFileBytes, maxFiles: 100, bufferBytes });
          lines.forEach((text, i) => {
            s.writeLine(text);
            if (flushAfter[i] === true) s.flush();
          });
          s.close();

          // Reference model: a new file starts exactly when the line would overflow a non-empty one.
          const expected: Buffer[][] = [[]];
          let size = 0;
          for (const text of lines) {
            const bytes = Buffer.from(text, 'utf8');
            if (size > 0 && size + bytes.length > maxFileBytes) {
              expected.push([]);
              size = 0;
            }
            expected[expected.length - 1]?.push(bytes);
            size += bytes.length;
          }
          expect(filesOldestFirst()).toEqual(expected.map((file) => Buffer.concat(file)));
          expect(s.rotations).toBe(expected.length - 1);
          expect(s.bytesWritten).toBe(Buffer.byteLength(lines.join('')));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('file sink: buffering', () => {
  it('writes out earlier lines when the buffer is full, never more than the buffer at once', () => {
    const { fs: port, calls } = recordingFs();
    const s = sink({ bufferBytes: 64, fs: port });
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`);
    for (const line of lines) s.writeLine(line);
    expect(calls.length).toBeGreaterThan(10); // written out before any flush()
    expect(Math.max(...calls)).toBeLessThanOrEqual(64);
    s.close();
    expect(read()).toBe(lines.join(''));
  });

  it('a single line larger than the buffer still lands whole, and the buffer shrinks back', () => {
    const { fs: port, calls } = recordingFs();
    const s = sink({ bufferBytes: 16, fs: port });
    const big = '€'.repeat(100) + '\n'; // 301 bytes
    s.writeLine('a\n');
    s.writeLine(big);
    s.writeLine('b\n');
    s.flush();
    // The big line's buffer is just its size: it goes out alone, then 'b' is back in 16 bytes.
    expect(calls).toEqual([2, 301, 2]);
    // Still 16 bytes: 6 lines of 3 bytes do not fit in one write.
    for (let i = 0; i < 6; i++) s.writeLine('cd\n');
    s.close();
    expect(calls.slice(3).every((length) => length <= 16)).toBe(true);
    expect(read()).toBe('a\n' + big + 'b\n' + 'cd\n'.repeat(6));
  });

  it('a line whose worst case (3 bytes per unit) exceeds the buffer but whose bytes fit needs no flush', () => {
    const { fs: port, calls } = recordingFs();
    const s = sink({ bufferBytes: 64, fs: port });
    s.writeLine('a\n');
    s.writeLine('x'.repeat(40) + '\n'); // 41 units * 3 > 62 free, but 41 bytes fit
    s.flush();
    expect(calls).toEqual([43]);
    s.close();
  });
});

describe('file sink: write errors', () => {
  it('loops over partial writes', () => {
    let calls = 0;
    const s = sink({
      fs: withWriteSync((fd, buffer, offset, length) => {
        calls++;
        return fs.writeSync(fd, buffer, offset, Math.min(length, 3));
      }),
    });
    const lines = ['hello\n', 'wörld\n', '😀😀\n'];
    for (const line of lines) s.writeLine(line);
    s.close();
    expect(read()).toBe(lines.join(''));
    expect(calls).toBe(Math.ceil(Buffer.byteLength(lines.join('')) / 3));
    expect(s.bytesWritten).toBe(Buffer.byteLength(lines.join('')));
  });

  it('retries after EAGAIN and after a zero-byte write', () => {
    const results = ['eagain', 2, 0, 'eagain', 'eagain'] as const;
    let call = 0;
    const s = sink({
      fs: withWriteSync((fd, buffer, offset, length) => {
        const next = results[call++];
        if (next === 'eagain') throw errno('EAGAIN');
        return fs.writeSync(fd, buffer, offset, next ?? length);
      }),
    });
    s.writeLine('abcdef\n');
    s.close();
    expect(read()).toBe('abcdef\n');
    expect(call).toBe(6);
  });

  it('other errors propagate', () => {
    const s = sink({
      fs: withWriteSync(() => {
        throw errno('EIO');
      }),
    });
    s.writeLine('a\n');
    expect(() => s.flush()).toThrow(expect.objectContaining({ code: 'EIO' }));
  });

  it('counts only consecutive EAGAINs: progress starts the count again', () => {
    let call = 0;
    const s = sink({
      fs: withWriteSync((fd, buffer, offset) => {
        call++;
        // A full run of EAGAINs, one byte, then one more EAGAIN: over the limit only in total.
        if (call === EAGAIN_RETRY_LIMIT + 1) return fs.writeSync(fd, buffer, offset, 1);
        if (call <= EAGAIN_RETRY_LIMIT + 2) throw errno('EAGAIN');
        return fs.writeSync(fd, buffer, offset, 1);
      }),
    });
    s.writeLine('a\n');
    s.close();
    expect(read()).toBe('a\n');
  });

  it(`gives up after ${EAGAIN_RETRY_LIMIT} consecutive EAGAINs`, () => {
    let calls = 0;
    const s = sink({
      fs: withWriteSync(() => {
        calls++;
        throw errno('EAGAIN');
      }),
    });
    s.writeLine('a\n');
    expect(() => s.flush()).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    expect(calls).toBe(EAGAIN_RETRY_LIMIT + 1);
  });
});

describe('file sink: lifecycle and options', () => {
  it('close flushes, is idempotent, and closes the descriptor once', () => {
    const closed: number[] = [];
    const closeSync = (fd: number): void => {
      closed.push(fd);
      fs.closeSync(fd);
    };
    const s = sink({ fs: { ...realFs, closeSync } });
    s.writeLine('a\n');
    s.close();
    s.close();
    expect(read()).toBe('a\n');
    expect(closed).toHaveLength(1);
    expect(() => s.writeLine('b\n')).toThrow(expect.objectContaining({ code: ErrorCode.SINK_CLOSED }));
    expect(() => s.flush()).toThrow(expect.objectContaining({ code: ErrorCode.SINK_CLOSED }));
  });

  it('closes each rotated descriptor exactly once', () => {
    const opened: number[] = [];
    const closed: number[] = [];
    const openSync = (file: string, flags: string): number => {
      const fd = fs.openSync(file, flags);
      opened.push(fd);
      return fd;
    };
    const closeSync = (fd: number): void => {
      closed.push(fd);
      fs.closeSync(fd);
    };
    const s = sink({ maxFileBytes: 2, fs: { ...realFs, openSync, closeSync } });
    for (let i = 0; i < 4; i++) s.writeLine(`${i}\n`);
    s.close();
    expect(opened).toHaveLength(4);
    expect(closed).toEqual(opened);
  });

  it.each([
    { case: 'bufferBytes 0', options: { bufferBytes: 0 }, message: /bufferBytes must be .* received 0/ },
  ])('rejects $case, naming the option', ({ options, message }) => {
    expect(() => sink(options)).toThrow(message);
  });
});

describe('file sink: runs of records from a line lane (writeLines)', () => {
  /** A record: one line, and continuation lines (a stack) that start with a tab. */
  const record = fc
    .tuple(fc.stringMatching(/^[a-z0-9 {}":,]{0,30}$/), fc.array(fc.stringMatching(/^[a-z0-9 :]{0,20}$/), { maxLength: 3 }))
    .map(([first, rest]) => `{${first}\n${rest.map((line) => `\t${line}\n`).join('')}`);

  it('(fast-check) rotates between records, never inside one, and loses, repeats or reorders nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 8, max: 200 }), (runs, maxFileBytes) => {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const s = sink({ maxFileBytes, maxFiles: 1000 });
        for (const run of runs) {
          const bytes = Buffer.from(run.join(''));
          const padded = Buffer.alloc(bytes.length + 16, 0x21);
          bytes.copy(padded, 5);
          s.writeLines(bytesOver(padded), 5, bytes.length, run.length);
        }
        s.close();
        const files = filesOldestFirst();
        expect(Buffer.concat(files).toString()).toBe(runs.flat().join(''));
        for (const content of files) {
          // Every file starts with a record's first line, and holds whole records.
          if (content.length > 0) expect(content[0]).not.toBe(0x09);
          if (content.length > 0) expect(content[content.length - 1]).toBe(0x0a);
          // Past the size only when one record alone is larger.
          const records = content.toString().split(/\n(?!\t)/).filter((each) => each !== '');
          if (records.length > 1) expect(content.length).toBeLessThanOrEqual(maxFileBytes);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('records in a run of lines (countLines, recordEnd, lastRecordEnd)', () => {
  const run = Buffer.from('{a\n\tat x\n\tat y\n{b\n{c\n\tat z\n');
  it('counts a line and its continuation lines as one record', () => {
    expect(countLines(run, 0, run.length)).toBe(3);
    expect(countLines(run, 0, 15)).toBe(1);
  });
  it('finds where a record ends, and the last record end before a point', () => {
    expect(recordEnd(run, 0, run.length)).toBe(15);
    expect(recordEnd(run, 15, run.length)).toBe(18);
    expect(recordEnd(run, 18, run.length)).toBe(run.length);
    expect(lastRecordEnd(run, 0, 14, run.length)).toBe(0);
    expect(lastRecordEnd(run, 0, 17, run.length)).toBe(15);
    expect(lastRecordEnd(run, 0, 18, run.length)).toBe(18);
    expect(lastRecordEnd(run, 0, run.length, run.length)).toBe(run.length);
  });
});
