import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Consumer } from '../../../src/consumer/consumer.js';
import { Router } from '../../../src/consumer/router.js';
import type { WritePort } from '../../../src/consumer/sink/fd-writer.js';
import { createStdoutSink } from '../../../src/consumer/sink/stdout-sink.js';
import { singleSinkTable } from '../../../src/core/routes.js';
import { allocateShared, LaneKind, Stat, viewShared, type SharedViews } from '../../../src/ring/layout.js';
import { LineLane, NO_SPACE } from '../../../src/ring/line-lane.js';

let dir = '';
let file = '';
let fd = -1;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlog-'));
  file = path.join(dir, 'out.log');
  fd = fs.openSync(file, 'w');
});

afterEach(() => {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Write {
  readonly length: number;
  /** The write came straight from the ring's memory, not from the writer's buffer. */
  readonly fromLane: boolean;
}

function rig(lanes: number, laneBytes: number) {
  const views: SharedViews = viewShared(allocateShared(lanes * laneBytes, lanes, LaneKind.LINES));
  const producers = Array.from({ length: lanes }, (_, lane) => new LineLane(views, lane, lane + 1));
  const writes: Write[] = [];
  const port: WritePort = {
    writeSync: (target, buffer, offset, length) => {
      writes.push({ length, fromLane: buffer.buffer instanceof SharedArrayBuffer });
      return fs.writeSync(target, buffer, offset, length);
    },
  };
  /** The next flush of the sink throws (a bug in a sink, as RINGLOG_INTERNAL_TEST_FAULT=throw:N makes one). */
  const fault = { flushThrows: false };
  const routerOf = (): Router => {
    const sink = createStdoutSink({ fd, fs: port });
    const faulty = new Proxy(sink, {
      get(target, key) {
        if (key === 'flush' && fault.flushThrows) {
          return () => {
            fault.flushThrows = false;
            throw new Error('injected flush fault');
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as Function).bind(target) : value;
      },
    });
    return new Router(singleSinkTable(0), [faulty], [{ format: () => '' }], [0]);
  };
  const consumer = new Consumer(views, routerOf());
  const append = (lane: number, text: string, time: number): void => {
    const bytes = Buffer.from(`${text}\n`);
    const index = producers[lane]!.begin(bytes.length);
    expect(index).not.toBe(NO_SPACE);
    views.data.set(bytes, index);
    producers[lane]!.commit(1, time);
  };
  const written = (): bigint => Atomics.load(views.stats, Stat.RECORDS_WRITTEN);
  return { append, consumer, writes, written, views, routerOf, fault };
}

describe('draining line lanes into a file', () => {
  it('writes a long run from the lane even after short runs were buffered: the short ones go out first, counted', () => {
    const r = rig(2, 256 * 1024);
    const short = ['a1', 'a2'];
    // 300 lines of 100 bytes: past the writer's in-place threshold (16 KiB).
    const long = Array.from({ length: 300 }, (_, i) => `b${String(i).padStart(98, '.')}`);
    for (const line of short) r.append(0, line, 1);
    for (const line of long) r.append(1, line, 2);
    expect(r.consumer.drainBatch()).toBeGreaterThan(0);
    expect(r.writes).toEqual([
      { length: 6, fromLane: false },
      { length: 300 * 100, fromLane: true },
    ]);
    expect(r.written()).toBe(302n);
    expect(fs.readFileSync(file, 'utf8')).toBe([...short, ...long].map((line) => `${line}\n`).join(''));
  });

  it('a sink whose flush throws before a long run is written from the lane: salvaged, the long run read again, every line once', () => {
    const r = rig(2, 256 * 1024);
    const long = Array.from({ length: 300 }, (_, i) => `b${String(i).padStart(98, '.')}`);
    r.append(0, 'a1', 1);
    r.append(1, 'b0', 1);
    for (const line of long) r.append(1, line, 2);
    r.fault.flushThrows = true;
    expect(() => r.consumer.drainBatch()).toThrow('injected flush fault');
    // As the supervisor does: salvage the batch, then a consumer with a new router goes on.
    r.consumer.salvage();
    const next = new Consumer(r.views, r.routerOf());
    while (next.drainBatch() > 0);
    expect(fs.readFileSync(file, 'utf8')).toBe(['a1', 'b0', ...long].map((line) => `${line}\n`).join(''));
    expect(r.written()).toBe(302n);
  });

  it('buffers short runs together into one write', () => {
    const r = rig(2, 64 * 1024);
    r.append(0, 'a1', 1);
    r.append(1, 'b2', 2);
    r.append(0, 'a3', 3);
    expect(r.consumer.drainBatch()).toBeGreaterThan(0);
    expect(r.writes).toEqual([{ length: 9, fromLane: false }]);
    expect(r.written()).toBe(3n);
    expect(fs.readFileSync(file, 'utf8')).toBe('a1\nb2\na3\n');
  });
});
