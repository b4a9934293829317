/**
 * The encoder and the ring together, as a property: random records of random sizes logged
 * through the real Logger into a real 4 KiB ring (records limited to 256-512 bytes, so the ring
 * is often full and wraps every few records, from cursors near 0, 2^31 and 2^32), drained at
 * random moments by the real Consumer with a sink and a formatter that only capture. What comes
 * out must be what went in, in order: each record exactly (message, arguments, fields, name,
 * bindings, level, time) after the documented conversions; a record counted as oversized as the
 * notice at its level; a record counted as dropped (the ring was full) not at all; and a drop
 * never right after the ring was emptied.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumer } from '../../../src/consumer/consumer.js';
import { Router } from '../../../src/consumer/router.js';
import type { Sink } from '../../../src/consumer/sink/sink.js';
import { LEVELS, type LevelName } from '../../../src/core/levels.js';
import type { LogHandle } from '../../../src/producer/handle.js';
import { connect } from '../../../src/producer/logger.js';
import { allocateShared, LAYOUT_VERSION, Slot, viewShared } from '../../../src/ring/layout.js';
import { bytesOver } from '../../../src/record/descriptor.js';
import type { LogRecord } from '../../../src/record/log-record.js';
import { Ring } from '../../../src/ring/ring.js';
import { singleSinkTable } from '../../../src/core/routes.js';
import { canon, jsonWith, key, model, text, type Json } from '../../support/records.js';

/** Smaller values than the codec tests use: each one goes through threads' worth of machinery. */
const { json, object } = jsonWith(key, { maxDepth: 4, maxLength: 5 });

type Call =
  | { kind: 'log'; level: LevelName; shape: 'msg'; msg: string; args: Json[] }
  | { kind: 'log'; level: LevelName; shape: 'fields+msg'; fields: { [key: string]: Json }; msg: string; args: Json[] }
  | { kind: 'log'; level: LevelName; shape: 'fields'; fields: { [key: string]: Json } }
  | { kind: 'drain' };

const level = fc.constantFrom<LevelName>('trace', 'debug', 'info', 'warn', 'error', 'fatal');
const args = fc.array(json, { maxLength: 3 });
// Now and then a long string, so that records cross the limit and fill the ring quickly.
const message = fc.oneof(
  { weight: 12, arbitrary: text },
  { weight: 6, arbitrary: fc.string({ minLength: 50, maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 500, maxLength: 1000 }) },
);
const call: fc.Arbitrary<Call> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('log' as const), level, shape: fc.constant('msg' as const), msg: message, args }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('log' as const), level, shape: fc.constant('fields+msg' as const), fields: object, msg: message, args }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('log' as const), level, shape: fc.constant('fields' as const), fields: object }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

type Expected = { kind: 'record'; call: Extract<Call, { kind: 'log' }>; time: number } | { kind: 'notice'; level: number };

/** A sink that keeps nothing: the formatter below captures the decoded records. */
function nullSink(): Sink {
  let pending = 0;
  return {
    writeLine: () => void pending++,
    writeBytes: () => void pending++,
    writeLines: (_bytes, _start, _length, lines) => void (pending += lines),
    reserveLine: () => 0,
    lineBuffer: bytesOver(new Uint8Array(1 << 20)),
    commitLine: () => void pending++,
    flush: () => void (pending = 0),
    close: () => {},
    bytesWritten: 0,
    rotations: 0,
    linesDropped: 0,
    get pendingLines() {
      return pending;
    },
    setDeadline: () => {},
    idle: () => {},
    discard: () => {},
  };
}

describe('encoder + ring + decoder (fast-check)', () => {
  it('what comes out of a small, often full ring is what went in, in order, or counted', () => {
    fc.assert(
      fc.property(
        fc.array(call, { minLength: 1, maxLength: 120, size: 'max' }),
        fc.constantFrom(0, 0x7fff_ff00, 0xffff_ff00 | 0),
        fc.integer({ min: 256, max: 512 }),
        fc.option(text, { nil: undefined }),
        fc.option(object, { nil: undefined }),
        (calls, start, maxRecordSize, name, bindings) => {
          const buffer = allocateShared(4096);
          const views = viewShared(buffer);
          new Ring(views).reset(start);
          const handle: LogHandle = { ringlog: LAYOUT_VERSION, buffer, level: 'trace', onFull: 'drop', maxRecordSize };
          const root = connect(handle, name === undefined ? {} : { name: name.slice(0, 256) });
          const log = bindings === undefined ? root : root.child(bindings);
          const out: LogRecord[] = [];
          const format = (record: LogRecord): string => {
            out.push(record);
            return '\n';
          };
          const consumer = new Consumer(views, new Router(singleSinkTable(0), [nullSink()], [{ format }], [0]));
          const counter = (slot: number): number => Atomics.load(views.control, slot);

          const expected: Expected[] = [];
          let emptied = true;
          for (const c of calls) {
            if (c.kind === 'drain') {
              while (consumer.drainBatch() > 0);
              emptied = true;
              continue;
            }
            const dropped = counter(Slot.DROPPED_FULL);
            const oversized = counter(Slot.OVERSIZED);
            const before = Date.now();
            const method = log[c.level].bind(log) as (...a: unknown[]) => void;
            if (c.shape === 'msg') method(c.msg, ...c.args);
            else if (c.shape === 'fields+msg') method(c.fields, c.msg, ...c.args);
            else method(c.fields);
            if (counter(Slot.DROPPED_FULL) !== dropped) {
              // Dropped only when the ring was not just emptied: a record that fits the limit
              // always fits an empty ring.
              expect(emptied).toBe(false);
              continue;
            }
            emptied = false;
            if (counter(Slot.OVERSIZED) !== oversized) expected.push({ kind: 'notice', level: LEVELS[c.level] });
            else expected.push({ kind: 'record', call: c, time: before });
          }
          while (consumer.drainBatch() > 0);

          expect(out).toHaveLength(expected.length);
          out.forEach((record, i) => {
            const want = expected[i]!;
            if (want.kind === 'notice') {
              expect(record.level).toBe(want.level);
              expect(record.msg).toMatch(new RegExp(`^\\[ringlog\\] record of at least \\d+ bytes dropped: records are limited to ${maxRecordSize} bytes \\(maxRecordSize\\)$`));
              expect(record.fields).toBeUndefined();
              return;
            }
            const c = want.call;
            expect(record.level).toBe(LEVELS[c.level]);
            expect(record.time).toBeGreaterThanOrEqual(want.time);
            expect(record.time).toBeLessThanOrEqual(Date.now());
            expect(canon(record.msg)).toBe(canon(c.shape === 'fields' ? undefined : c.msg.toWellFormed()));
            expect(canon(record.args)).toBe(canon(c.shape === 'fields' ? [] : c.args.map(model)));
            expect(canon(record.fields)).toBe(canon(c.shape === 'msg' ? undefined : model(c.fields)));
            expect(record.name).toBe(name === undefined ? undefined : name.slice(0, 256).toWellFormed());
            if (bindings !== undefined && Object.keys(bindings).length > 0 && !(record.bindings !== undefined && 'bindings' in record.bindings && record.bindings['bindings'] === '[Too large]')) {
              expect(canon(record.bindings)).toBe(canon(model(bindings)));
            }
          });
          expect(new Ring(views).head()).toBe(new Ring(views).end());
        },
      ),
      { numRuns: 300 },
    );
  });
});
