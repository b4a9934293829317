import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createStdoutSink } from '../../../../src/consumer/sink/stdout-sink.js';
import type { WritePort } from '../../../../src/consumer/sink/fd-writer.js';
import { ErrorCode } from '../../../../src/core/errors.js';

let dir = '';
let file = '';
let fd = -1;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlog-'));
  file = path.join(dir, 'stdout.log');
  fd = fs.openSync(file, 'w');
});

afterEach(() => {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

const read = (): string => fs.readFileSync(file, 'utf8');

/** A port that writes for real and records the descriptor and length of each call. */
function recording(limit = Number.POSITIVE_INFINITY) {
  const calls: { fd: number; length: number }[] = [];
  const port: WritePort = {
    writeSync: (target, buffer, offset, length) => {
      calls.push({ fd: target, length });
      return fs.writeSync(fd, buffer, offset, Math.min(length, limit));
    },
  };
  return { calls, port };
}

describe('stdout sink', () => {
  it('writes lines to the given descriptor, whole and in order, on flush', () => {
    const s = createStdoutSink({ fd });
    const lines = Array.from({ length: 3000 }, (_, i) => `{"i":${i},"msg":"é😀\ud800"}\n`);
    for (const line of lines) s.writeLine(line);
    s.flush();
    expect(read()).toBe(lines.join('').replaceAll('\ud800', '\ufffd'));
    expect(s.bytesWritten).toBe(fs.statSync(file).size);
    expect(s.rotations).toBe(0);
    s.close();
  });

  it('buffers until flush', () => {
    const s = createStdoutSink({ fd });
    s.writeLine('a\n');
    expect(read()).toBe('');
    expect(s.bytesWritten).toBe(0);
    s.flush();
    expect(read()).toBe('a\n');
    expect(s.bytesWritten).toBe(2);
    s.close();
  });

  it('writes to fd 1 by default, through writeSync', () => {
    const { calls, port } = recording();
    const s = createStdoutSink({ fs: port });
    s.writeLine('to stdout\n');
    s.close();
    expect(calls).toEqual([{ fd: 1, length: 10 }]);
    expect(read()).toBe('to stdout\n');
  });

  it('shares the write loop: partial writes and EAGAIN', () => {
    let call = 0;
    const port: WritePort = {
      writeSync: (_target, buffer, offset, length) => {
        if (call++ % 2 === 0) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
        return fs.writeSync(fd, buffer, offset, Math.min(length, 4));
      },
    };
    const s = createStdoutSink({ fd, fs: port });
    s.writeLine('0123456789\n');
    s.close();
    expect(read()).toBe('0123456789\n');
    expect(call).toBe(6); // 3 partial writes, each after one EAGAIN
  });

  it('writes earlier lines out when the buffer is full, and takes a line larger than it', () => {
    const { calls, port } = recording();
    const s = createStdoutSink({ fd, fs: port, bufferBytes: 32 });
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    for (const line of lines) s.writeLine(line);
    const big = 'ü'.repeat(100) + '\n';
    s.writeLine(big);
    s.close();
    expect(read()).toBe(lines.join('') + big);
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.at(-1)?.length).toBe(201);
  });

  it('close flushes, is idempotent, and leaves the descriptor open', () => {
    const s = createStdoutSink({ fd });
    s.writeLine('a\n');
    s.close();
    s.close();
    expect(read()).toBe('a\n');
    expect(() => fs.fstatSync(fd)).not.toThrow();
    expect(() => s.writeLine('b\n')).toThrow(expect.objectContaining({ code: ErrorCode.SINK_CLOSED }));
    expect(() => s.flush()).toThrow(expect.objectContaining({ code: ErrorCode.SINK_CLOSED }));
  });

  it.each([
    { case: 'negative fd', options: { fd: -1 }, message: /fd must be a non-negative integer, received -1/ },
    { case: 'fractional fd', options: { fd: 1.5 }, message: /fd must be a non-negative integer, received 1.5/ },
    { case: 'bufferBytes 0', options: { bufferBytes: 0 }, message: /bufferBytes must be a positive integer, received 0/ },
  ])('rejects $case, naming the option', ({ options, message }) => {
    expect(() => createStdoutSink(options)).toThrow(message);
  });
});
