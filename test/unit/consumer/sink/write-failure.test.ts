/**
 * What the sinks do when the disk fails, without threads: the retry policy on its own, then the
 * file and stdout sinks over real files with faults injected through their fs port. Retries are
 * real sleeps, made instant by a monitor that only records them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFileSink, type FileSinkOptions, type FsPort } from '../../../../src/consumer/sink/file-sink.js';
import { createStdoutSink } from '../../../../src/consumer/sink/stdout-sink.js';
import {
  describeEvent,
  RETRY_DELAYS_MS,
  WriteRetry,
  type SinkMonitor,
} from '../../../../src/consumer/sink/write-failure.js';
import type { FailureEvent } from '../../../../src/core/episode.js';

let dir = '';
let file = '';

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlog-'));
  file = path.join(dir, 'app.log');
});

afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Recorder extends SinkMonitor {
  readonly events: FailureEvent[];
  readonly sleeps: number[];
  readonly writing: (lines: number) => void;
  readonly inFlight: number[];
}

/** A monitor that records what it is told and sleeps not at all. */
function recorder(): Recorder {
  const events: FailureEvent[] = [];
  const sleeps: number[] = [];
  const inFlight: number[] = [];
  return {
    events,
    sleeps,
    inFlight,
    report: (event) => events.push(event),
    sleep: (ms) => sleeps.push(ms),
    writing: (lines) => inFlight.push(lines),
  };
}

function errno(code: string, syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall });
}

const TOTAL_RETRY_MS = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);

/** node:fs whose writeSync consults `fault` first: return undefined to write for real. */
function faultyFs(fault: (call: number, length: number) => number | Error | undefined): FsPort {
  let call = 0;
  return {
    ...fs,
    writeSync: (fd, buffer, offset, length) => {
      const outcome = fault(++call, length);
      if (outcome instanceof Error) throw outcome;
      return fs.writeSync(fd, buffer, offset, outcome === undefined ? length : Math.min(outcome, length));
    },
  };
}

/** `port` whose ftruncate fails, as it would on a file that cannot be cut: the rest of a torn line is kept instead. */
function noCut(port: FsPort): FsPort {
  return {
    ...port,
    ftruncateSync: () => {
      throw errno('EINVAL', 'ftruncate');
    },
  };
}

function sink(options: Partial<FileSinkOptions> = {}) {
  return createFileSink({ path: file, maxFileBytes: undefined, maxFiles: 5, ...options });
}

const read = (name = file): string => (fs.existsSync(name) ? fs.readFileSync(name, 'utf8') : '');
const lines = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `{"i":${from + i}}\n`);

/** Every line of `text` parses: no torn line anywhere. */
function wholeLines(text: string): unknown[] {
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('WriteRetry: the policy', () => {
  it('retries with back-off from 10 ms doubling to 1 s, and reports the episode once and its end once', () => {
    const monitor = recorder();
    const retry = new WriteRetry('/x/app.log', monitor);
    let calls = 0;
    const ok = retry.run(() => {
      if (++calls <= 4) throw errno('EIO');
    }, 7);
    expect(ok).toBe(true);
    expect(monitor.sleeps).toEqual([10, 20, 40, 80]);
    expect(monitor.events).toHaveLength(2);
    expect(monitor.events[0]).toMatchObject({ type: 'failed', operation: 'write', target: '/x/app.log', retrying: true, error: { code: 'EIO' } });
    expect(monitor.events[1]).toMatchObject({ type: 'recovered', operation: 'write', recordsLost: 0 });
    // The monitor hears of the lines in flight, and of their end.
    expect(monitor.inFlight).toEqual([7, 0]);
  });

  it(`gives up after ${RETRY_DELAYS_MS.length} retries (~${TOTAL_RETRY_MS} ms), then makes one attempt per batch, without waiting, until one works`, () => {
    const monitor = recorder();
    const retry = new WriteRetry('/x/app.log', monitor);
    let failing = true;
    const attempt = (): void => {
      if (failing) throw errno('ENOSPC');
    };
    expect(retry.run(attempt, 1)).toBe(false);
    expect(monitor.sleeps).toEqual([...RETRY_DELAYS_MS]);
    expect(Math.max(...monitor.sleeps)).toBe(1000);
    retry.lost(3);
    for (let batch = 0; batch < 5; batch++) {
      expect(retry.run(attempt, 1)).toBe(false);
      retry.lost(2);
    }
    expect(monitor.sleeps).toHaveLength(RETRY_DELAYS_MS.length);
    failing = false;
    expect(retry.run(attempt, 1)).toBe(true);
    expect(monitor.events.map((event) => event.type)).toEqual(['failed', 'recovered']);
    expect(monitor.events[1]).toMatchObject({ recordsLost: 13 });
    // A new episode retries in full again.
    failing = true;
    expect(retry.run(attempt, 1)).toBe(false);
    expect(monitor.sleeps).toHaveLength(2 * RETRY_DELAYS_MS.length);
    expect(monitor.events.map((event) => event.type)).toEqual(['failed', 'recovered', 'failed']);
  });

  it('stops retrying at the deadline (close and exit are bounded)', () => {
    const monitor = recorder();
    const retry = new WriteRetry('/x/app.log', monitor);
    retry.setDeadline(Date.now() + 35);
    expect(retry.run(() => {
      throw errno('EIO');
    }, 1)).toBe(false);
    // 10 and 20 fit before the deadline; 40 more would not.
    expect(monitor.sleeps).toEqual([10, 20]);
  });

  it('reads an open failure as "open", and says so on stderr', () => {
    const monitor = recorder();
    const retry = new WriteRetry('/x/app.log', monitor, []);
    retry.run(() => {
      throw errno('ENOTDIR', 'open');
    }, 1);
    expect(monitor.events[0]).toMatchObject({ operation: 'open', error: { code: 'ENOTDIR', syscall: 'open' } });
    expect(describeEvent(monitor.events[0]!)).toMatch(/^ringlog: cannot open \/x\/app\.log \(ENOTDIR: injected, open\); retrying/);
  });
});

describe('file sink: a failing disk', () => {
  it('a write that fails a few times is retried: nothing lost, one report for the failure and one for the recovery', () => {
    const monitor = recorder();
    const s = sink({ monitor, fs: faultyFs((call) => (call <= 3 ? errno('EIO') : undefined)) });
    for (const line of lines(0, 100)) s.writeLine(line);
    s.flush();
    s.close();
    expect(read()).toBe(lines(0, 100).join(''));
    expect(s.linesDropped).toBe(0);
    expect(monitor.events.map((event) => event.type)).toEqual(['failed', 'recovered']);
    expect(monitor.sleeps).toEqual([10, 20, 40]);
  });

  it('a write that fails halfway and then works on retry: the half line is taken back and written again whole, nothing twice, nothing torn', () => {
    const monitor = recorder();
    const s = sink({ monitor, fs: faultyFs((call) => (call === 1 ? 13 : call === 2 ? errno('EIO') : undefined)) });
    for (const line of lines(0, 5)) s.writeLine(line);
    s.close();
    expect(read()).toBe(lines(0, 5).join(''));
    expect(s.linesDropped).toBe(0);
  });

  it('a disk that stays full: batches are dropped and counted, the sink never throws, and the next write that works reports the loss', () => {
    const monitor = recorder();
    let full = true;
    const s = sink({ monitor, fs: faultyFs(() => (full ? errno('ENOSPC') : undefined)) });
    for (const line of lines(0, 10)) s.writeLine(line);
    expect(() => s.flush()).not.toThrow();
    for (const line of lines(10, 30)) s.writeLine(line);
    expect(() => s.flush()).not.toThrow();
    expect(s.linesDropped).toBe(30);
    expect(s.pendingLines).toBe(0);
    full = false;
    for (const line of lines(30, 40)) s.writeLine(line);
    s.flush();
    s.close();
    expect(read()).toBe(lines(30, 40).join(''));
    expect(s.bytesWritten).toBe(fs.statSync(file).size);
    expect(monitor.events.map((event) => event.type)).toEqual(['failed', 'recovered']);
    expect(monitor.events[1]).toMatchObject({ recordsLost: 30 });
  });

  it('a write that stops in the middle of a line: that half line is cut off the file at once, and counted with its batch when given up', () => {
    let full = true;
    // Every retry sleep looks at the file: it ends with a whole line all along, not only at the end.
    const seen: string[] = [];
    const monitor = { ...recorder(), sleep: () => void seen.push(read()) };
    // 28 bytes go through, then the disk is full: line 3 of {"i":N}\n (8 bytes each) is torn.
    const s = sink({ monitor, fs: faultyFs((call) => (call === 1 ? 28 : full ? errno('ENOSPC') : undefined)) });
    for (const line of lines(0, 10)) s.writeLine(line);
    s.flush();
    expect(seen).toHaveLength(RETRY_DELAYS_MS.length);
    expect(new Set(seen)).toEqual(new Set([lines(0, 3).join('')]));
    expect(read()).toBe(lines(0, 3).join(''));
    expect(s.linesDropped).toBe(7);
    expect(s.bytesWritten).toBe(24);
    for (const line of lines(10, 12)) s.writeLine(line);
    s.flush();
    expect(s.linesDropped).toBe(9);
    full = false;
    s.writeLine(lines(12, 13)[0]!);
    s.close();
    expect(wholeLines(read())).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 12 }]);
    expect(s.bytesWritten).toBe(fs.statSync(file).size);
    expect(monitor.events[1]).toMatchObject({ type: 'recovered', recordsLost: 9 });
  });

  it('at close, with the disk still full: the file ends with its last whole line (each attempt cuts what it tore)', () => {
    const monitor = recorder();
    // Each write takes 12 bytes and then the disk is full again.
    const s = sink({ monitor, fs: faultyFs((call) => (call % 2 === 1 ? 12 : errno('ENOSPC'))) });
    for (const line of lines(0, 5)) s.writeLine(line);
    s.setDeadline(Date.now());
    s.close();
    expect(read()).toBe(lines(0, 1).join(''));
    expect(s.linesDropped).toBe(4);
  });

  it('where the half line cannot be cut, the rest of that line is kept and written first once writes work, so the file never holds a torn line', () => {
    const monitor = recorder();
    let full = true;
    const s = sink({ monitor, fs: noCut(faultyFs((call) => (call === 1 ? 28 : full ? errno('ENOSPC') : undefined))) });
    for (const line of lines(0, 10)) s.writeLine(line);
    s.flush();
    // Lines 0-2 are on disk, line 3 only in part: its rest waits at the front of the buffer.
    expect(read()).toBe(`${lines(0, 3).join('')}{"i"`);
    expect(s.linesDropped).toBe(6);
    for (const line of lines(10, 12)) s.writeLine(line);
    s.flush();
    expect(s.linesDropped).toBe(8);
    full = false;
    s.writeLine(lines(12, 13)[0]!);
    s.close();
    expect(wholeLines(read())).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 12 }]);
    expect(monitor.events[1]).toMatchObject({ type: 'recovered', recordsLost: 8 });
  });

  it('the rest of a torn line that could not be cut is dropped, not written, when the file is a new one by then', () => {
    const monitor = recorder();
    let full = true;
    const s = sink({ monitor, watchMs: 0, fs: noCut(faultyFs((call) => (call === 1 ? 12 : full ? errno('ENOSPC') : undefined))) });
    for (const line of lines(0, 3)) s.writeLine(line);
    s.flush();
    fs.renameSync(file, `${file}.moved`);
    full = false;
    s.writeLine(lines(3, 4)[0]!);
    s.close();
    expect(read(`${file}.moved`)).toBe('{"i":0}\n{"i"');
    expect(wholeLines(read())).toEqual([{ i: 3 }]);
    expect(s.linesDropped).toBe(2);
  });

  it('at close, what still cannot be written is dropped and counted; close() does not throw', () => {
    const monitor = recorder();
    const s = sink({ monitor, fs: faultyFs(() => errno('EIO')) });
    for (const line of lines(0, 5)) s.writeLine(line);
    s.setDeadline(Date.now());
    expect(() => s.close()).not.toThrow();
    expect(s.linesDropped).toBe(5);
    expect(monitor.sleeps).toEqual([]);
  });

  it('a line larger than the buffer, behind the rest of a torn line, still lands whole', () => {
    const monitor = recorder();
    let full = true;
    const s = sink({ monitor, bufferBytes: 32, fs: noCut(faultyFs((call) => (call === 1 ? 4 : full ? errno('ENOSPC') : undefined))) });
    s.writeLine('{"i":0}\n');
    s.flush();
    full = false;
    const big = `{"big":"${'x'.repeat(100)}"}\n`;
    s.writeLine(big);
    s.close();
    expect(read()).toBe(`{"i":0}\n${big}`);
  });
});

describe('file sink: the file deleted, moved or made unreachable under us', () => {
  it('deleted: the next write after the check opens the path again, creating the file', () => {
    const monitor = recorder();
    const s = sink({ monitor, watchMs: 0 });
    for (const line of lines(0, 3)) s.writeLine(line);
    s.flush();
    fs.unlinkSync(file);
    for (const line of lines(3, 6)) s.writeLine(line);
    s.close();
    expect(wholeLines(read())).toEqual([{ i: 3 }, { i: 4 }, { i: 5 }]);
    expect(monitor.events).toEqual([]);
  });

  it('moved away (logrotate without copytruncate): the old lines stay in the moved file, new ones go to the path', () => {
    const s = sink({ monitor: recorder(), watchMs: 0 });
    for (const line of lines(0, 3)) s.writeLine(line);
    s.flush();
    fs.renameSync(file, `${file}.1`);
    for (const line of lines(3, 5)) s.writeLine(line);
    s.close();
    expect(read(`${file}.1`)).toBe(lines(0, 3).join(''));
    expect(read()).toBe(lines(3, 5).join(''));
  });

  it('checks at most every watchMs (1 s by default), not at every write', () => {
    let stats = 0;
    const port: FsPort = { ...fs, statSync: (p: string) => (stats++, fs.statSync(p)) };
    const s = sink({ monitor: recorder(), fs: port });
    for (let i = 0; i < 50; i++) {
      s.writeLine(lines(i, i + 1)[0]!);
      s.flush();
    }
    s.close();
    expect(stats).toBeLessThanOrEqual(1);
  });

  it('the directory replaced by a regular file: reported as an open failure, lines counted, and all is well once it is a directory again', () => {
    const logDir = path.join(dir, 'logs');
    const logFile = path.join(logDir, 'app.log');
    const monitor = recorder();
    const s = createFileSink({ path: logFile, maxFileBytes: undefined, maxFiles: 5, monitor, watchMs: 0 });
    s.writeLine('{"i":0}\n');
    s.flush();
    fs.rmSync(logDir, { recursive: true });
    fs.writeFileSync(logDir, 'not a directory');
    for (const line of lines(1, 4)) s.writeLine(line);
    s.flush();
    expect(s.linesDropped).toBe(3);
    expect(monitor.events[0]).toMatchObject({ type: 'failed', operation: 'open' });
    expect(['ENOTDIR', 'EEXIST']).toContain((monitor.events[0] as { error: { code: string } }).error.code);
    fs.rmSync(logDir);
    s.writeLine('{"i":4}\n');
    s.close();
    expect(wholeLines(read(logFile))).toEqual([{ i: 4 }]);
    expect(monitor.events[1]).toMatchObject({ type: 'recovered', recordsLost: 3 });
  });

  it('a file that cannot be opened at all: thrown at once when made, unless lazyOpen, when it is reported and tried again at each write', () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, '');
    const under = path.join(blocker, 'app.log');
    expect(() => createFileSink({ path: under, maxFileBytes: undefined, maxFiles: 5 })).toThrow(/ENOTDIR|EEXIST/);
    const monitor = recorder();
    const s = createFileSink({ path: under, maxFileBytes: undefined, maxFiles: 5, monitor, lazyOpen: true });
    s.writeLine('{"i":0}\n');
    expect(() => s.flush()).not.toThrow();
    expect(s.linesDropped).toBe(1);
    expect(monitor.events).toHaveLength(1);
    fs.rmSync(blocker);
    s.writeLine('{"i":1}\n');
    s.close();
    expect(wholeLines(read(under))).toEqual([{ i: 1 }]);
  });
});

describe('file sink: rotation that fails', () => {
  it('a refused rename is reported once; lines go on into the live file, and the rotation is tried again after a back-off', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const monitor = recorder();
    let refuse = true;
    const port: FsPort = {
      ...fs,
      renameSync: (from: string, to: string) => {
        if (refuse) throw errno('EACCES', 'rename');
        fs.renameSync(from, to);
      },
    };
    const s = sink({ monitor, fs: port, maxFileBytes: 16 });
    for (const line of lines(0, 6)) s.writeLine(line);
    s.flush();
    // Nothing lost: every line in the live file, which grew past maxSize.
    expect(read()).toBe(lines(0, 6).join(''));
    expect(s.rotations).toBe(0);
    expect(monitor.events).toHaveLength(1);
    expect(monitor.events[0]).toMatchObject({ type: 'failed', operation: 'rotate', retrying: false });
    refuse = false;
    vi.setSystemTime(Date.now() + 1001);
    s.writeLine(lines(6, 7)[0]!);
    s.close();
    expect(s.rotations).toBe(1);
    expect(read(`${file}.1`)).toBe(lines(0, 6).join(''));
    expect(read()).toBe(lines(6, 7).join(''));
    expect(monitor.events.map((event) => [event.type, event.operation])).toEqual([
      ['failed', 'rotate'],
      ['recovered', 'rotate'],
    ]);
  });
});

describe('file sink: fsync', () => {
  function counting(fail = false) {
    const syncs: number[] = [];
    const port: FsPort = {
      ...fs,
      fsyncSync: (fd: number) => {
        syncs.push(fd);
        if (fail) throw errno('EIO', 'fsync');
        fs.fsyncSync(fd);
      },
    };
    return { port, syncs };
  }

  it('never by default', () => {
    const { port, syncs } = counting();
    const s = sink({ fs: port });
    s.writeLine('a\n');
    s.flush();
    s.idle();
    s.close();
    expect(syncs).toEqual([]);
  });

  it('after every flush that wrote something with fsyncMs 0 (fsync: true)', () => {
    const { port, syncs } = counting();
    const s = sink({ fs: port, fsyncMs: 0 });
    for (let i = 0; i < 3; i++) {
      s.writeLine('a\n');
      s.flush();
    }
    s.flush();
    s.close();
    expect(syncs).toHaveLength(3);
    expect(read()).toBe('a\na\na\n');
  });

  it('at most every fsyncMs while writing, then when idle, and at close', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { port, syncs } = counting();
    const s = sink({ fs: port, fsyncMs: 1000 });
    for (let i = 0; i < 5; i++) {
      s.writeLine('a\n');
      s.flush();
    }
    expect(syncs).toHaveLength(0);
    vi.setSystemTime(Date.now() + 1000);
    s.writeLine('b\n');
    s.flush();
    expect(syncs).toHaveLength(1);
    s.writeLine('c\n');
    s.flush();
    s.idle();
    expect(syncs).toHaveLength(1);
    vi.setSystemTime(Date.now() + 1000);
    s.idle();
    expect(syncs).toHaveLength(2);
    s.writeLine('d\n');
    s.close();
    expect(syncs).toHaveLength(3);
  });

  it('a failing fsync is reported once and never thrown; the lines are still written', () => {
    const { port, syncs } = counting(true);
    const monitor = recorder();
    const s = sink({ fs: port, fsyncMs: 0, monitor });
    for (let i = 0; i < 3; i++) {
      s.writeLine('a\n');
      s.flush();
    }
    s.close();
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    expect(monitor.events).toHaveLength(1);
    expect(monitor.events[0]).toMatchObject({ type: 'failed', operation: 'fsync', retrying: false });
    expect(describeEvent(monitor.events[0]!)).toMatch(/data may not be on disk/);
    expect(read()).toBe('a\na\na\n');
  });
});

describe('stdout sink: a failing descriptor', () => {
  it('EPIPE (the reader went away): lines are dropped and counted, never thrown', () => {
    const monitor = recorder();
    const s = createStdoutSink({
      fd: 1,
      monitor,
      fs: {
        writeSync: () => {
          throw errno('EPIPE');
        },
      },
    });
    for (const line of lines(0, 4)) s.writeLine(line);
    expect(() => s.flush()).not.toThrow();
    s.writeLine('x\n');
    expect(() => s.close()).not.toThrow();
    expect(s.linesDropped).toBe(5);
    expect(monitor.events).toHaveLength(1);
    expect(monitor.events[0]).toMatchObject({ target: 'stdout (fd 1)', error: { code: 'EPIPE' } });
  });
});
