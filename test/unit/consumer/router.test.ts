/**
 * The router on its own, with records laid out as producers lay them out and sinks that only
 * capture: every record reaches exactly the sinks routes.ts says at their levels, whatever order
 * the names come in; each formatter renders a record once however many sinks share it; the
 * record is decoded once; a record that cannot be rendered is counted and the others go on.
 */
import { describe, expect, it } from 'vitest';
import { dropNotice } from '../../../src/consumer/drop-notice.js';
import type { LineFormat } from '../../../src/consumer/formats.js';
import { JsonLineRenderer } from '../../../src/line/json-bytes.js';
import { createJsonFormatter } from '../../../src/line/json-format.js';
import { Router } from '../../../src/consumer/router.js';
import type { Sink } from '../../../src/consumer/sink/sink.js';
import { LEVELS } from '../../../src/core/levels.js';
import { bytesOver, Flag, HEADER_BYTES, RecordOffset, type Bytes } from '../../../src/record/descriptor.js';
import type { LogRecord } from '../../../src/record/log-record.js';
import { singleSinkTable, sinksFor, type RouteTable } from '../../../src/core/routes.js';
import { encodeRecord } from '../../support/records.js';

const { debug, info, warn, error } = LEVELS;
const context = { pid: 1, hostname: 'h' };

interface Capture extends Sink {
  readonly lines: string[];
  /** How each line came: 'bytes' (the JSON byte renderer) or 'line' (a string). */
  readonly how: ('bytes' | 'line')[];
}

function captureSink(closeThrows = false): Capture {
  const lines: string[] = [];
  const how: ('bytes' | 'line')[] = [];
  let pending = 0;
  let lineBuffer = bytesOver(Buffer.alloc(0));
  return {
    lines,
    how,
    writeLine(line) {
      lines.push(line);
      how.push('line');
      pending++;
    },
    writeBytes(bytes: Bytes, length, start = 0) {
      lines.push(bytes.buffer.toString('utf8', start, start + length));
      how.push('bytes');
      pending++;
    },
    writeLines(bytes: Bytes, start, length, count) {
      const run = bytes.buffer.toString('utf8', start, start + length);
      for (const line of run.split(/(?<=\n)/)) {
        lines.push(line);
        how.push('bytes');
      }
      pending += count;
    },
    reserveLine(maxBytes) {
      if (lineBuffer.u8.length < maxBytes + 1) lineBuffer = bytesOver(Buffer.alloc(maxBytes + 1));
      // Not at 0: a renderer that writes where it was told, and only there, is what is tested.
      return 1;
    },
    get lineBuffer() {
      return lineBuffer;
    },
    commitLine(length) {
      lines.push(lineBuffer.buffer.toString('utf8', 1, 1 + length));
      how.push('bytes');
      pending++;
    },
    flush: () => void (pending = 0),
    close() {
      if (closeThrows) throw new Error('close failed');
      pending = 0;
    },
    bytesWritten: 100,
    rotations: 2,
    linesDropped: 1,
    get pendingLines() {
      return pending;
    },
    setDeadline: () => {},
    idle: () => {},
    discard: () => void (pending = 0),
  };
}

const json = (): LineFormat => ({ format: createJsonFormatter(context), renderer: new JsonLineRenderer(context) });

/** A text format that counts its calls and keeps the records it was given. */
function counting(tag: string): LineFormat & { calls: LogRecord[] } {
  const calls: LogRecord[] = [];
  return { calls, format: (record) => (calls.push(record), `${tag} ${record.name ?? 'root'} ${record.level} ${record.msg ?? ''}\n`) };
}

function record(name: string | undefined, level: number, msg = 'm', fields?: object): { source: Bytes; index: number; length: number } {
  const index = 8;
  const { source, length } = encodeRecord({ time: 1700000000000, threadId: 1, level, name, bindings: undefined, msg, args: [], fields }, index);
  return { source, index, length };
}

function write(router: Router, name: string | undefined, level: number, msg?: string): number {
  const { source, index, length } = record(name, level, msg);
  return router.write(source, index, length);
}

/** The cookbook: console INFO, everything, the foo subsystem, errors. */
const cookbook: RouteTable = {
  level: debug,
  sinks: [
    { level: info, loggers: [] },
    { level: 0, loggers: [] },
    { level: 0, loggers: ['foo'] },
    { level: error, loggers: [] },
  ],
  loggers: { 'foo.noisy': { propagate: false } },
};

describe('routing', () => {
  it('each record reaches the sinks its name reaches, at their levels, whatever order the names come in', () => {
    const sinks = cookbook.sinks.map(() => captureSink());
    const text = counting('t');
    const router = new Router(cookbook, sinks, [text], [0, 0, 0, 0]);
    // Same-length names, alternating and repeating, a prefix that is not an ancestor, the root.
    const names = [undefined, 'foo', 'foo', 'fob', 'foo.bar', 'food', 'spam', 'foo.bar', 'foo.baz', 'foo.noisy', 'foo.noisy.x', '', 'foo'];
    const expected = sinks.map((): string[] => []);
    let n = 0;
    for (let round = 0; round < 3; round++) {
      for (const name of names) {
        for (const level of [debug, info, warn, error]) {
          const msg = `r${n++}`;
          let reached = 0;
          for (const s of sinksFor(cookbook, name)) {
            if (level < cookbook.sinks[s]!.level) continue;
            expected[s]!.push(`t ${name ?? 'root'} ${level} ${msg}\n`);
            reached++;
          }
          expect(write(router, name, level, msg)).toBe(reached);
        }
      }
    }
    sinks.forEach((sink, s) => expect(sink.lines).toEqual(expected[s]));
    expect(sinks[2]!.lines.every((line) => /^t foo(\.(bar|baz))? /.test(line))).toBe(true);
    expect(sinks[0]!.lines.some((line) => line.includes('foo.noisy'))).toBe(false);
  });

  it('stays right when distinct names outnumber the route cache', () => {
    const sinks = [captureSink(), captureSink()];
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: 0, loggers: ['job.7'] }], loggers: {} };
    const router = new Router(table, sinks, [counting('t')], [0, 0]);
    for (let i = 0; i < 3000; i++) write(router, `job.${i % 1500}.step`, info);
    expect(sinks[0]!.lines).toHaveLength(3000);
    expect(sinks[1]!.lines).toEqual(Array.from({ length: 2 }, () => `t job.7.step ${info} m\n`));
  });

  it('a record below every sink of its route goes nowhere; one that no sink takes is not rendered', () => {
    const sinks = [captureSink(), captureSink()];
    const text = counting('t');
    const table: RouteTable = { level: 0, sinks: [{ level: warn, loggers: [] }, { level: error, loggers: [] }], loggers: {} };
    const router = new Router(table, sinks, [text], [0, 0]);
    expect(write(router, 'a', info)).toBe(0);
    expect(write(router, 'a', warn)).toBe(1);
    expect(write(router, 'a', error)).toBe(2);
    expect(text.calls).toHaveLength(2);
  });
});

/** A record as a producer that writes lines lays it out: the header, then the finished line. */
function finished(level: number, line: string): { source: Bytes; index: number; length: number } {
  const index = 8;
  const body = Buffer.from(line, 'utf8');
  const source = bytesOver(new Uint8Array(index + HEADER_BYTES + body.length + 16));
  source.view.setFloat64(index + RecordOffset.TIME, 1700000000000, true);
  source.u8[index + RecordOffset.LEVEL] = level;
  source.u8[index + RecordOffset.FLAGS] = Flag.LINE;
  source.u8.set(body, index + HEADER_BYTES);
  return { source, index, length: HEADER_BYTES + body.length };
}

describe('finished lines (Flag.LINE)', () => {
  it('are copied as they are to every sink whose level they meet, rendering nothing', () => {
    const sinks = [captureSink(), captureSink(), captureSink()];
    const text = counting('t');
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: warn, loggers: [] }, { level: error, loggers: [] }], loggers: {} };
    const router = new Router(table, sinks, [text], [0, 0, 0]);
    for (const [level, count] of [[info, 1], [warn, 2], [error, 3]] as const) {
      const { source, index, length } = finished(level, `{"level":${level},"msg":"é"}\n`);
      expect(router.write(source, index, length)).toBe(count);
    }
    expect(sinks.map((sink) => sink.lines.length)).toEqual([3, 2, 1]);
    expect(sinks[2]!.lines).toEqual([`{"level":${error},"msg":"é"}\n`]);
    expect(text.calls).toHaveLength(0);
  });

  it('count as many lines as ARG_COUNT says (a forwarded batch), never more than the record has bytes', () => {
    const router = new Router(singleSinkTable(0), [captureSink()], [json()], [0]);
    const batch = finished(info, 'a\nb\nc\n');
    batch.source.view.setUint16(batch.index + RecordOffset.ARG_COUNT, 3, true);
    expect(router.write(batch.source, batch.index, batch.length)).toBe(3);
    const damaged = finished(info, 'a\n');
    damaged.source.view.setUint16(damaged.index + RecordOffset.ARG_COUNT, 0xffff, true);
    expect(router.write(damaged.source, damaged.index, damaged.length)).toBe(2);
  });

  it('one that does not end its line is counted as failed, and written nowhere', () => {
    const sinks = [captureSink()];
    const router = new Router(singleSinkTable(0), sinks, [json()], [0]);
    const { source, index, length } = finished(info, '{"level":30}');
    expect(router.write(source, index, length)).toBe(0);
    expect(router.takeFailed()).toBe(1);
    expect(sinks[0]!.lines).toEqual([]);
  });
});

describe('rendering', () => {
  it('sinks that share a formatter share the line: rendered once per record', () => {
    const sinks = [captureSink(), captureSink(), captureSink()];
    const shared = counting('s');
    const other = counting('o');
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: 0, loggers: ['app'] }, { level: 0, loggers: [] }], loggers: {} };
    const router = new Router(table, sinks, [shared, other], [0, 0, 1]);
    for (let i = 0; i < 5; i++) expect(write(router, 'app.db', info, `m${i}`)).toBe(3);
    expect(shared.calls).toHaveLength(5);
    expect(other.calls).toHaveLength(5);
    expect(sinks[0]!.lines).toEqual(sinks[1]!.lines);
    // Decoded once: both formatters got the same record object.
    shared.calls.forEach((decoded, i) => expect(other.calls[i]).toBe(decoded));
  });

  it('a JSON sink takes the byte renderer’s line when it can, the formatter’s otherwise; beside a text sink', () => {
    const sinks = [captureSink(), captureSink()];
    const text = counting('t');
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: 0, loggers: ['x'] }], loggers: {} };
    const router = new Router(table, sinks, [json(), text], [0, 1]);
    const plain = record('x', info, 'plain');
    router.write(plain.source, plain.index, plain.length);
    const withArgs = encodeRecord({ time: 1, threadId: 1, level: info, name: 'x', bindings: undefined, msg: 'n=%d', args: [5], fields: undefined }, 8);
    router.write(withArgs.source, 8, withArgs.length);
    expect(sinks[0]!.how).toEqual(['bytes', 'line']);
    expect(sinks[0]!.lines.map((line) => JSON.parse(line).msg)).toEqual(['plain', 'n=5']);
    expect(sinks[1]!.lines).toEqual([`t x ${info} plain\n`, `t x ${info} n=%d\n`]);
    expect(text.calls).toHaveLength(2);
  });

  it('a record that does not decode is counted once, writes nothing, and the next records go on', () => {
    const sinks = [captureSink(), captureSink()];
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: 0, loggers: [] }], loggers: {} };
    const router = new Router(table, sinks, [counting('a'), counting('b')], [0, 1]);
    const good = record('x', info);
    const bad = bytesOver(good.source.u8.slice());
    bad.u8[good.index + 16 + 5 + 1] = 0xff; // after the header and the name 'x': the bindings' tag, one that does not exist
    expect(router.write(bad, good.index, good.length)).toBe(0);
    expect(router.write(good.source, good.index, good.length)).toBe(2);
    expect(router.takeFailed()).toBe(1);
    expect(router.takeFailed()).toBe(0);
    expect(sinks.map((sink) => sink.lines.length)).toEqual([1, 1]);
  });

  it('a formatter that throws fails its sinks only; the record is counted once', () => {
    const sinks = [captureSink(), captureSink()];
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: 0, loggers: [] }], loggers: {} };
    const broken: LineFormat = {
      format: () => {
        throw new Error('bug');
      },
    };
    const router = new Router(table, sinks, [broken, counting('ok')], [0, 1]);
    expect(write(router, 'x', info)).toBe(1);
    expect(router.takeFailed()).toBe(1);
    expect(sinks[0]!.lines).toEqual([]);
    expect(sinks[1]!.lines).toHaveLength(1);
  });

  it('one sink that takes everything: the same lines as the consumer wrote before routing, its level still applied', () => {
    const sink = captureSink();
    const router = new Router(singleSinkTable(0), [sink], [json()], [0]);
    write(router, 'a', info, 'one');
    write(router, undefined, debug, 'two');
    expect(sink.lines.map((line) => JSON.parse(line))).toEqual([
      { level: info, time: 1700000000000, pid: 1, hostname: 'h', name: 'a', msg: 'one' },
      { level: debug, time: 1700000000000, pid: 1, hostname: 'h', msg: 'two' },
    ]);
    const warnOnly = captureSink();
    const levelled = new Router({ level: 0, sinks: [{ level: warn, loggers: [] }], loggers: {} }, [warnOnly], [json()], [0]);
    expect(write(levelled, 'a', info)).toBe(0);
    expect(write(levelled, 'a', warn)).toBe(1);
  });

  it('the drop notice is routed as the logger "ringlog" at level warn', () => {
    const sinks = [captureSink(), captureSink(), captureSink()];
    const table: RouteTable = { level: 0, sinks: [{ level: 0, loggers: [] }, { level: error, loggers: [] }, { level: 0, loggers: ['app'] }], loggers: {} };
    const router = new Router(table, sinks, [counting('t')], [0, 0, 0]);
    expect(router.writeRecord(dropNotice(7, 5))).toBe(1);
    expect(sinks.map((sink) => sink.lines)).toEqual([[`t ringlog ${warn} ringlog: 7 records dropped (ring full)\n`], [], []]);
  });
});

describe('the sinks as a whole', () => {
  it('sums their counters, closes every one, and counts the lines of one whose close fails', () => {
    const sinks = [captureSink(), captureSink(true), captureSink()];
    const table: RouteTable = { level: 0, sinks: sinks.map(() => ({ level: 0, loggers: [] })), loggers: {} };
    const router = new Router(table, sinks, [counting('t')], [0, 0, 0]);
    write(router, 'x', info);
    write(router, 'x', info);
    expect(router.pendingLines).toBe(6);
    expect([router.bytesWritten, router.rotations, router.linesDropped]).toEqual([300, 6, 3]);
    expect(router.closeCountingLost()).toBe(2);
    expect(router.pendingLines).toBe(0);
    expect(() => router.close()).toThrow('close failed');
  });

  it('refuses sinks that do not match the table', () => {
    expect(() => new Router(cookbook, [captureSink()], [counting('t')], [0])).toThrow(RangeError);
  });
});
