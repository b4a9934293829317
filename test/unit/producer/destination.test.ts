/**
 * pino's destination (src/producer/destination.ts) against a real ring with no consumer: what
 * each write commits (Flag.LINE records holding the line's exact UTF-8 bytes, the level read
 * from the line), how a string that is not one whole line becomes whole lines, the oversized
 * notice, onFull, the sink floor, a closed backend, and the stream contract pino relies on.
 */
import { threadId } from 'node:worker_threads';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { singleSinkTable, type RouteTable } from '../../../src/core/routes.js';
import { destination, levelOf, UNKNOWN_LINE_LEVEL } from '../../../src/producer/destination.js';
import type { LogHandle } from '../../../src/producer/handle.js';
import { decodeRecord } from '../../../src/record/decoder.js';
import { bytesOver, Flag, HEADER_BYTES, RecordOffset } from '../../../src/record/descriptor.js';
import { allocateShared, LAYOUT_VERSION, Slot, State, viewShared } from '../../../src/ring/layout.js';
import { Ring } from '../../../src/ring/ring.js';

interface Committed {
  readonly level: number;
  readonly flags: number;
  readonly threadId: number;
  readonly argCount: number;
  /** The line's bytes (Flag.LINE), or the notice's message (an encoded record). */
  readonly bytes: Buffer;
  readonly msg: string | undefined;
}

/** A fresh ring (4 KiB, records up to 512 bytes) and its handle; each test gets its own Producer. */
function ring(options: Partial<Pick<LogHandle, 'onFull' | 'routes' | 'maxRecordSize'>> = {}) {
  const buffer = allocateShared(4096);
  const handle: LogHandle = { ringlog: LAYOUT_VERSION, buffer, level: 'info', onFull: 'drop', maxRecordSize: 512, ...options };
  const views = viewShared(buffer);
  const reader = new Ring(views);
  const data = bytesOver(views.data);
  /** Reads and releases everything committed so far. */
  const take = (): Committed[] => {
    const records: Committed[] = [];
    const consumed = reader.read((index, length) => {
      const flags = data.u8[index + RecordOffset.FLAGS]!;
      const line = (flags & Flag.LINE) !== 0;
      records.push({
        level: data.u8[index + RecordOffset.LEVEL]!,
        flags,
        threadId: data.view.getUint32(index + RecordOffset.THREAD_ID, true),
        argCount: data.view.getUint16(index + RecordOffset.ARG_COUNT, true),
        bytes: Buffer.from(data.u8.slice(index + HEADER_BYTES, index + length)),
        msg: line ? undefined : (decodeRecord(data, index, length).msg as string),
      });
    }, views.capacity);
    reader.release(consumed);
    return records;
  };
  return { handle, control: views.control, take };
}

const lines = (records: readonly Committed[]): string[] => records.map((r) => r.bytes.toString('utf8'));

describe('levelOf: the level of a line, from its start', () => {
  it.each<[string, number]>([
    ['{"level":30,"time":1}', 30],
    ['{"level":10,', 10],
    ['{"level":60}', 60],
    ['{"level":35,"msg":"a custom level keeps its place"}', 35],
    ['{"level":0,', 0],
    ['{"level":1000,', 0xff],
    ['{"level":"warn","time":1}', 40],
    ['{"level":"fatal"}', 60],
  ])('%s -> %d', (line, level) => {
    expect(levelOf(line)).toBe(level);
  });

  it.each([
    '{"severity":"INFO","time":1}',
    '{"time":1,"level":30}',
    '{"level":"audit",',
    '{"level":"info"',
    '{"level":"in\\"fo",',
    '{"level":-10,',
    '{"level":3.5,',
    '{"level":3e1,',
    '{"level":,',
    '{"level":30',
    '{"level":null,',
    ' {"level":30,',
    'plain text',
    '',
  ])('%j: unknown', (line) => {
    expect(levelOf(line)).toBe(UNKNOWN_LINE_LEVEL);
  });
});

describe('destination(handle).write', () => {
  it("commits pino's line as one Flag.LINE record: its bytes, its level, this thread", () => {
    const { handle, take } = ring();
    const line = '{"level":40,"time":1700000000000,"pid":1,"hostname":"h","msg":"héllo 😀"}\n';
    expect(destination(handle).write(line)).toBe(true);
    const [record, ...rest] = take();
    expect(rest).toEqual([]);
    expect(record!.bytes.equals(Buffer.from(line, 'utf8'))).toBe(true);
    expect(record!.level).toBe(40);
    expect(record!.flags).toBe(Flag.LINE);
    expect(record!.threadId).toBe(threadId);
    expect(record!.argCount).toBe(0);
  });

  it('writes lone surrogates as Node writes them to a file (U+FFFD)', () => {
    const { handle, take } = ring();
    const line = '{"level":30,"msg":"\ud800 and \udfff"}\n';
    destination(handle).write(line);
    expect(take()[0]!.bytes.equals(Buffer.from(line, 'utf8'))).toBe(true);
  });

  it('makes one record per line, each with its own level, and ends an unfinished line', () => {
    const { handle, take } = ring();
    const dest = destination(handle);
    dest.write('{"level":30,"msg":"a"}\n{"level":50,"msg":"b"}\n');
    dest.write('{"level":40,"msg":"c"}');
    dest.write('x\n\ny');
    dest.write('');
    const records = take();
    expect(lines(records)).toEqual(['{"level":30,"msg":"a"}\n', '{"level":50,"msg":"b"}\n', '{"level":40,"msg":"c"}\n', 'x\n', '\n', 'y\n']);
    expect(records.map((r) => r.level)).toEqual([30, 50, 40, UNKNOWN_LINE_LEVEL, UNKNOWN_LINE_LEVEL, UNKNOWN_LINE_LEVEL]);
  });

  it('writes what is not a string as its string, as sonic-boom does', () => {
    const { handle, take } = ring();
    destination(handle).write(Buffer.from('{"level":20}\n') as unknown as string);
    expect(lines(take())).toEqual(['{"level":20}\n']);
  });

  it('replaces a line larger than maxRecordSize by the oversized notice at its level, and counts it', () => {
    const { handle, control, take } = ring();
    const dest = destination(handle);
    dest.write(`{"level":50,"msg":"${'x'.repeat(600)}"}\n`);
    dest.write('{"level":30,"msg":"next"}\n');
    const [notice, next] = take();
    expect(notice!.flags & Flag.LINE).toBe(0);
    expect(notice!.level).toBe(50);
    // 646: the 622-byte line, the 16-byte record header and the 8-byte frame header.
    expect(notice!.msg).toBe('[ringlog] record of at least 646 bytes dropped: records are limited to 512 bytes (maxRecordSize)');
    expect(Atomics.load(control, Slot.OVERSIZED)).toBe(1);
    expect(next!.bytes.toString()).toBe('{"level":30,"msg":"next"}\n');
  });

  it("onFull 'drop': a full ring drops the line and counts it; the next one after space returns arrives", () => {
    const { handle, control, take } = ring({ onFull: 'drop' });
    const dest = destination(handle);
    const line = `{"level":30,"msg":"${'y'.repeat(400)}"}\n`;
    let written = 0;
    for (; Atomics.load(control, Slot.DROPPED_FULL) === 0; written++) dest.write(line);
    expect(take()).toHaveLength(written - 1);
    dest.write(line);
    expect(take()).toHaveLength(1);
  });

  it('commits nothing, and counts the line as droppedClosed, once the backend is closed', () => {
    const { handle, control, take } = ring();
    Atomics.store(control, Slot.STATE, State.CLOSED);
    new Ring(viewShared(handle.buffer)).seal();
    destination(handle).write('{"level":30}\n');
    expect(take()).toEqual([]);
    expect(Atomics.load(control, Slot.DROPPED_CLOSED)).toBe(1);
  });

  it('skips lines below every root sink, and lets through those of unknown level', () => {
    const routes: RouteTable = { ...singleSinkTable(30), sinks: [{ level: 40, loggers: [] }, { level: 50, loggers: ['db'] }] };
    const { handle, take } = ring({ routes });
    const dest = destination(handle);
    dest.write('{"level":30,"msg":"below"}\n{"level":40,"msg":"kept"}\n{"severity":"DEBUG"}\n');
    expect(lines(take())).toEqual(['{"level":40,"msg":"kept"}\n', '{"severity":"DEBUG"}\n']);
  });
});

describe("the contract pino relies on", () => {
  it('pino(destination(handle)) takes it for a stream, not for options', () => {
    const { handle, take } = ring();
    const log = pino(destination(handle));
    log.info({ a: 1 }, 'hi');
    const [line] = lines(take());
    expect(JSON.parse(line!)).toMatchObject({ level: 30, a: 1, msg: 'hi' });
  });

  it('pino.multistream passes it the lines of its level and calls flushSync and end', async () => {
    const { handle, take } = ring();
    const dest = destination(handle);
    const closed = new Promise((resolve) => dest.once('close', resolve));
    const streams = pino.multistream([{ stream: dest, level: 'warn' }]);
    const log = pino({ level: 'trace' }, streams);
    log.info('not for it');
    log.error('for it');
    expect(lines(take()).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['for it']);
    // multistream.end() calls flushSync() then end() on each stream.
    streams.end();
    // With no consumer, flush() resolves only once the backend is closed.
    Atomics.store(viewShared(handle.buffer).control, Slot.STATE, State.CLOSED);
    await closed;
  });

  it('flush(cb) calls back once the consumer wrote (here: once the backend closed); end(cb) emits finish, close', async () => {
    const { handle, control } = ring();
    const dest = destination(handle);
    const events: string[] = [];
    dest.on('finish', () => events.push('finish'));
    const log = pino(dest);
    log.info('waits for the consumer');
    const flushed = new Promise<void>((resolve) => log.flush(() => resolve()));
    const ended = new Promise<void>((resolve) => dest.end(() => resolve()));
    dest.on('close', () => events.push('close'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    Atomics.store(control, Slot.STATE, State.CLOSED);
    await flushed;
    await ended;
    expect(events).toEqual(['finish', 'close']);
    // Once closed, end(cb) calls back without emitting again.
    await new Promise<void>((resolve) => dest.end(() => resolve()));
    expect(events).toEqual(['finish', 'close']);
    expect(() => dest.flushSync()).not.toThrow();
  });

  it('rejects a callback that is not a function, and a value that is not a handle', () => {
    const { handle } = ring();
    const dest = destination(handle);
    expect(() => dest.flush(42 as unknown as () => void)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_RINGLOG_OPTION' }));
    expect(() => dest.end('x' as unknown as () => void)).toThrow(TypeError);
    expect(() => destination({ buffer: new SharedArrayBuffer(8) })).toThrow(TypeError);
  });
});
