/**
 * The forward sink over a small outbox, with the sender simulated in the test itself: it reads
 * the entries from what it has sent up to WRITE (entryAt), and frees them later (ACKED =
 * entry.next), lagging behind by up to a quarter of the outbox, as a sender waiting for acks
 * does. Whatever the line lengths (up to an entry's maximum, past it, lengths that force a wrap
 * filler), what the sender reads is the lines written, in order, cut into entries of whole
 * lines no larger than maxEntryBytes; the bytes of an entry do not change between its sending
 * and its freeing; and the positions go round the data region many times. Then the edges:
 * lines too large for any entry, a full outbox nobody frees (the deadline), writes after
 * close, close() waiting for the sender, and a real sender thread freeing room while the sink
 * waits for it.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createForwardSink } from '../../../../src/consumer/sink/forward-sink.js';
import type { Sink } from '../../../../src/consumer/sink/sink.js';
import type { SinkMonitor } from '../../../../src/consumer/sink/write-failure.js';
import { ErrorCode } from '../../../../src/core/errors.js';
import { allocateOutbox, ENTRY_HEADER_BYTES, entryAt, linesBetween, OutboxSlot, viewOutbox, WRAP, type OutboxViews } from '../../../../src/forward/outbox.js';
import { bytesOver } from '../../../../src/record/descriptor.js';

/** One entry as the simulated sender saw it when it took it. */
interface Sent {
  readonly position: number;
  readonly next: number;
  readonly bytes: Buffer;
  readonly lines: number;
}

/**
 * The sender's side of an outbox: `send()` takes every entry published since the last call,
 * `ack()` frees the oldest sent entries until at most `lag` bytes are held, checking on the way
 * that their bytes are still what was sent.
 */
class SimulatedSender {
  readonly views: OutboxViews;
  readonly sent: Sent[] = [];
  /** Entries sent and not yet freed. */
  readonly #inFlight: Sent[] = [];
  #sendAt: number;
  /** How often a position crossed the end of the data region (a filler skipped, or an entry ending at it). */
  wraps = 0;
  fillers = 0;
  /** Entries whose bytes changed while they were in flight. */
  overwritten = 0;

  constructor(views: OutboxViews) {
    this.views = views;
    this.#sendAt = Atomics.load(views.control, OutboxSlot.ACKED);
  }

  send(): void {
    const { control, capacity } = this.views;
    const write = Atomics.load(control, OutboxSlot.WRITE);
    while (this.#sendAt !== write) {
      const position = this.#sendAt;
      const entry = entryAt(this.views, position);
      if (this.views.data32[(position & (capacity - 1)) >> 2] === WRAP) this.fillers++;
      const round = (p: number): number => Math.floor((p >>> 0) / capacity);
      this.wraps += (round(entry.next) - round(position) + 2 ** 32 / capacity) % (2 ** 32 / capacity);
      const sent: Sent = { position, next: entry.next, bytes: Buffer.from(this.views.data.subarray(entry.index, entry.index + entry.bytes)), lines: entry.lines };
      this.sent.push(sent);
      this.#inFlight.push(sent);
      this.#sendAt = entry.next;
    }
  }

  /** Frees sent entries, oldest first, until at most `lag` bytes are still held. */
  ack(lag: number): void {
    const { control } = this.views;
    const write = Atomics.load(control, OutboxSlot.WRITE);
    while (this.#inFlight.length > 0 && ((write - Atomics.load(control, OutboxSlot.ACKED)) >>> 0) > lag) {
      const oldest = this.#inFlight.shift()!;
      const entry = entryAt(this.views, oldest.position);
      const now = Buffer.from(this.views.data.subarray(entry.index, entry.index + entry.bytes));
      if (!now.equals(oldest.bytes) || entry.next !== oldest.next) this.overwritten++;
      Atomics.store(control, OutboxSlot.ACKED, oldest.next);
    }
  }
}

/** An outbox whose positions start at `start` (as a second drainer finds them, e.g. at exit). */
function outboxAt(capacity: number, start: number): SharedArrayBuffer {
  const buffer = allocateOutbox(capacity);
  const control = new Int32Array(buffer, 0, 64);
  Atomics.store(control, OutboxSlot.WRITE, start | 0);
  Atomics.store(control, OutboxSlot.ACKED, start | 0);
  return buffer;
}

/** A line of exactly `bytes` bytes (the last one '\n'), starting with its number so that order shows. */
function lineOf(id: number, bytes: number, multibyte: boolean): string {
  let body = `${id}:`;
  if (body.length + 1 > bytes) body = '';
  let room = bytes - 1 - Buffer.byteLength(body);
  if (multibyte) {
    // 'é' is 2 bytes, '€' 3: the string's length is not its byte length.
    while (room >= 3) {
      body += room % 2 === 0 ? 'é' : '€';
      room -= Buffer.byteLength(body.at(-1)!);
    }
  }
  return `${body}${'x'.repeat(room)}\n`;
}

type Op =
  | { kind: 'line'; bytes: number; multibyte: boolean }
  | { kind: 'bytes'; bytes: number; offset: number }
  | { kind: 'reserve'; bytes: number; extra: number }
  | { kind: 'flush' };

/** Line lengths: mostly short, some up to the largest entry, some exactly at and just past it. */
function lengthArb(maxEntryBytes: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: maxEntryBytes >> 2 }) },
    { weight: 2, arbitrary: fc.integer({ min: maxEntryBytes >> 1, max: maxEntryBytes }) },
    { weight: 1, arbitrary: fc.constantFrom(maxEntryBytes, maxEntryBytes - 1, maxEntryBytes - 3, maxEntryBytes + 1, maxEntryBytes + 100) },
  );
}

function opArb(maxEntryBytes: number): fc.Arbitrary<Op> {
  const length = lengthArb(maxEntryBytes);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('line' as const), bytes: length, multibyte: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: length, offset: fc.integer({ min: 0, max: 7 }) }) },
    // reserveLine's bound is at most the largest entry here (past it, see the tests below).
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('reserve' as const), bytes: fc.integer({ min: 1, max: maxEntryBytes }), extra: fc.integer({ min: 0, max: 64 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  );
}

/** Applies one op; returns the line's bytes when the sink should have taken it, else undefined (too large). */
function apply(sink: Sink, op: Op, id: number, maxEntryBytes: number): Buffer | 'dropped' | undefined {
  switch (op.kind) {
    case 'flush':
      sink.flush();
      return undefined;
    case 'line': {
      const line = lineOf(id, op.bytes, op.multibyte);
      sink.writeLine(line);
      return op.bytes > maxEntryBytes ? 'dropped' : Buffer.from(line);
    }
    case 'bytes': {
      const line = Buffer.from(lineOf(id, op.bytes, false));
      const source = Buffer.alloc(op.offset + line.length + 5, 0x3f);
      line.copy(source, op.offset);
      sink.writeBytes(bytesOver(source), line.length, op.offset);
      return op.bytes > maxEntryBytes ? 'dropped' : line;
    }
    case 'reserve': {
      const bound = Math.min(maxEntryBytes, op.bytes + op.extra);
      const line = Buffer.from(lineOf(id, op.bytes, false));
      const start = sink.reserveLine(bound);
      const target = sink.lineBuffer.u8;
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start + bound).toBeLessThanOrEqual(target.length);
      target.set(line, start);
      sink.commitLine(line.length);
      return line;
    }
  }
}

interface DeliveryStats {
  runs: number;
  wraps: number;
  fillers: number;
  fullEntries: number;
  entries: number;
}

/** The delivery property, from outboxes whose positions start at one of `starts`. */
function checkDelivery(starts: number[], numRuns: number): DeliveryStats {
  const stats: DeliveryStats = { runs: 0, wraps: 0, fillers: 0, fullEntries: 0, entries: 0 };
  const runArb = fc.constantFrom(1024, 2048, 4096).chain((capacity) =>
    fc.record({
      capacity: fc.constant(capacity),
      // Positions as a drainer may find them (a second one, at exit): the start, or further on.
      start: fc.constantFrom(...starts),
      lag: fc.constantFrom(0, capacity / 8, capacity / 4),
      ops: fc.array(opArb(capacity / 4 - ENTRY_HEADER_BYTES), { minLength: 100, maxLength: 300 }),
    }),
  );
  fc.assert(
    fc.property(runArb, ({ capacity, start, lag, ops }) => {
      const buffer = outboxAt(capacity, start);
      const views = viewOutbox(buffer);
      const { maxEntryBytes } = views;
      expect(maxEntryBytes).toBe(capacity / 4 - ENTRY_HEADER_BYTES);
      const sink = createForwardSink({ outbox: buffer });
      // No write may wait here (the sender keeps room); if one did, it would drop, and fail below.
      sink.setDeadline(Date.now() + 2000);
      const sender = new SimulatedSender(views);
      const taken: Buffer[] = [];
      let dropped = 0;
      ops.forEach((op, id) => {
        const result = apply(sink, op, id, maxEntryBytes);
        if (result === 'dropped') dropped++;
        else if (result !== undefined) taken.push(result);
        sender.send();
        sender.ack(lag);
      });
      sink.flush();
      expect(sink.pendingLines).toBe(0);
      sender.send();
      sender.ack(0);

      const { control } = views;
      expect(Atomics.load(control, OutboxSlot.ACKED)).toBe(Atomics.load(control, OutboxSlot.WRITE));
      expect(sender.overwritten).toBe(0);
      expect(sink.linesDropped).toBe(dropped);
      const expected = Buffer.concat(taken);
      const got = Buffer.concat(sender.sent.map((e) => e.bytes));
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
      expect(sink.bytesWritten).toBe(expected.length);
      expect(sender.sent.reduce((n, e) => n + e.lines, 0)).toBe(taken.length);

      // Whole lines: each entry is the next `lines` lines written, exactly.
      let next = 0;
      for (const entry of sender.sent) {
        expect(entry.lines).toBeGreaterThan(0);
        expect(entry.bytes.length).toBeGreaterThan(0);
        expect(entry.bytes.length).toBeLessThanOrEqual(maxEntryBytes);
        expect(entry.bytes[entry.bytes.length - 1]).toBe(0x0a);
        const own = Buffer.concat(taken.slice(next, next + entry.lines));
        expect(own.equals(entry.bytes)).toBe(true);
        next += entry.lines;
        if (entry.bytes.length > maxEntryBytes - 40) stats.fullEntries++;
      }
      expect(next).toBe(taken.length);
      stats.runs++;
      stats.wraps += sender.wraps;
      stats.fillers += sender.fillers;
      stats.entries += sender.sent.length;
    }),
    { numRuns },
  );
  return stats;
}

describe('forward sink, with a simulated sender', () => {
  it('delivers what was written, in order, as entries of whole lines no larger than maxEntryBytes, going round many times', () => {
    const stats = checkDelivery([0, 4, 1 << 20, 2 ** 30], 80);
    // It went round the data region, over fillers, many times, and filled entries up.
    expect(stats.runs).toBe(80);
    expect(stats.wraps).toBeGreaterThan(10 * stats.runs);
    expect(stats.fillers).toBeGreaterThan(stats.runs);
    expect(stats.fullEntries).toBeGreaterThan(stats.runs);
  });

  it('positions past 2^31 (after 2 GiB forwarded, negative as int32) lose lines at the wrap: delivers what was written', () => {
    checkDelivery([2 ** 31 - 64, -1028, -4], 40);
  });

  it('a line that needs a wrap filler at a position past 2^31 is delivered whole', () => {
    // WRITE = ACKED = 2^31 + 960 (as int32: negative), 64 bytes before the end of a 1 KiB region,
    // as after 2 GiB + 960 bytes forwarded. A line of 100 bytes needs a filler and the entry at 0.
    const buffer = outboxAt(1024, 2 ** 31 + 960);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    const line = lineOf(1, 100, false);
    sink.writeLine(line);
    sink.flush();
    const sender = new SimulatedSender(views);
    sender.send();
    expect(sender.sent.map((e) => e.bytes.toString())).toEqual([line]);
    expect(sender.fillers).toBe(1);
  });

  it('counts the lines of the entries between two positions (linesBetween)', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    const sender = new SimulatedSender(views);
    for (let i = 0; i < 30; i++) {
      sink.writeLine(lineOf(i, 50, false));
      if (i % 3 === 2) sink.flush();
      sender.send();
      sender.ack(300);
    }
    sink.flush();
    sender.send();
    const acked = Atomics.load(views.control, OutboxSlot.ACKED);
    const write = Atomics.load(views.control, OutboxSlot.WRITE);
    expect(sender.wraps).toBeGreaterThan(0);
    expect(linesBetween(views, acked, write)).toBe(30 - countFreed(sender, acked));
    expect(linesBetween(views, write, write)).toBe(0);
  });

  it('drops a line larger than maxEntryBytes, counted, and takes the next one', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    const sender = new SimulatedSender(views);
    const max = views.maxEntryBytes;
    sink.writeLine(lineOf(1, max + 1, false));
    expect(sink.linesDropped).toBe(1);
    sink.writeBytes(bytesOver(Buffer.from(lineOf(2, max + 1, false))), max + 1);
    expect(sink.linesDropped).toBe(2);
    sink.writeLine(lineOf(3, max, false));
    sink.flush();
    sender.send();
    expect(sink.linesDropped).toBe(2);
    expect(sender.sent.map((e) => e.bytes.toString())).toEqual([lineOf(3, max, false)]);
    expect(sink.bytesWritten).toBe(max);
  });

  it('a bound larger than an entry is refused (-1): the line rendered apart is taken if it fits', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    expect(sink.reserveLine(views.maxEntryBytes + 1)).toBe(-1);
    // What the router does then: render apart and hand over the real line.
    const line = bytesOver(Buffer.from('short\n'));
    sink.writeBytes(line, 6);
    sink.flush();
    expect(sink.linesDropped).toBe(0);
    expect(entryAt(views, 0)).toMatchObject({ bytes: 6, lines: 1 });
  });

  it('with the outbox full past the deadline, reserveLine refuses and the line is counted dropped once', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    for (let i = 0; i < 4; i++) sink.writeLine(lineOf(i, views.maxEntryBytes, false));
    sink.setDeadline(Date.now() - 1);
    expect(sink.reserveLine(10)).toBe(-1);
    sink.writeBytes(bytesOver(Buffer.from(lineOf(5, 10, false))), 10);
    expect(sink.linesDropped).toBe(1);
  });

  it('a reservation given up (reserveLine without commitLine, as after a render failure) never publishes an empty entry', () => {
    // Reserve a short line where it fits before the end of the data region, give it up, then
    // write a longer line that does not fit there: the sink must not publish the empty open
    // entry (the sender would ship an empty BATCH, which the aggregator takes for a protocol error).
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    const sender = new SimulatedSender(views);
    // Fill up to 1024 - 32: four entries of 248 bytes.
    for (let i = 0; i < 4; i++) {
      sink.writeLine(lineOf(i, 248 - ENTRY_HEADER_BYTES, false));
      sink.flush();
      sender.send();
      sender.ack(0);
    }
    expect(Atomics.load(views.control, OutboxSlot.WRITE) & 1023).toBe(1024 - 32);
    sink.reserveLine(16); // fits: 992 + 8 + 16 <= 1024
    sink.writeLine(lineOf(9, 100, false)); // does not fit after 992: goes to 0 behind a filler
    sink.flush();
    sender.send();
    sender.ack(0);
    for (const entry of sender.sent) expect(entry.bytes.length, `an entry of ${entry.lines} lines`).toBeGreaterThan(0);
    expect(sender.sent.at(-1)!.bytes.toString()).toBe(lineOf(9, 100, false));
  });

  it('with the outbox full and nobody freeing, drops and counts writes once past the deadline, beating as it waits', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    let beats = 0;
    const monitor: SinkMonitor = { report() {}, sleep: () => void beats++ };
    const sink = createForwardSink({ outbox: buffer, monitor });
    const max = views.maxEntryBytes;
    const began = Date.now();
    sink.setDeadline(began + 50);
    const total = 20;
    for (let i = 0; i < total; i++) sink.writeLine(lineOf(i, max, false));
    sink.writeBytes(bytesOver(Buffer.from(lineOf(99, 10, false))), 10);
    sink.flush();
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(1000);
    expect(beats).toBeGreaterThan(0);
    const sender = new SimulatedSender(views);
    sender.send();
    const kept = sender.sent.reduce((n, e) => n + e.lines, 0);
    // Four entries of a quarter each fill the outbox.
    expect(kept).toBe(4);
    expect(sink.linesDropped).toBe(total + 1 - kept);
    expect(Buffer.concat(sender.sent.map((e) => e.bytes)).toString()).toBe([0, 1, 2, 3].map((i) => lineOf(i, max, false)).join(''));
  });

  it('throws ERR_RINGLOG_SINK_CLOSED on writes after close; close is idempotent', () => {
    const buffer = allocateOutbox(1024);
    const sink = createForwardSink({ outbox: buffer });
    sink.close();
    sink.close();
    const code = (fn: () => void): unknown => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
      return 'no throw';
    };
    expect(code(() => sink.writeLine('a\n'))).toBe(ErrorCode.SINK_CLOSED);
    expect(code(() => sink.writeBytes(bytesOver(Buffer.from('a\n')), 2))).toBe(ErrorCode.SINK_CLOSED);
    expect(code(() => sink.reserveLine(2))).toBe(ErrorCode.SINK_CLOSED);
    expect(ErrorCode.SINK_CLOSED).toBe('ERR_RINGLOG_SINK_CLOSED');
  });

  it('after discard(), writes throw and nothing buffered is published', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    sink.writeLine('lost\n');
    sink.discard();
    expect(sink.pendingLines).toBe(0);
    expect(() => sink.writeLine('a\n')).toThrow(expect.objectContaining({ code: ErrorCode.SINK_CLOSED }));
    expect(Atomics.load(views.control, OutboxSlot.WRITE)).toBe(0);
  });

  it('close() flushes, sets CLOSING and returns at once when the sender has freed everything', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    const sender = new SimulatedSender(views);
    sink.writeLine('one\n');
    sink.writeLine('two\n');
    sink.flush();
    sender.send();
    sender.ack(0);
    expect(Atomics.load(views.control, OutboxSlot.CLOSING)).toBe(0);
    const began = Date.now();
    // Without a deadline: close() would wait 5 s for ACKED to reach WRITE.
    sink.close();
    expect(Date.now() - began).toBeLessThan(40);
    expect(Atomics.load(views.control, OutboxSlot.CLOSING)).toBe(1);
    expect(sender.sent.map((e) => e.bytes.toString()).join('')).toBe('one\ntwo\n');
  });

  it('close() publishes what is buffered and, with nobody freeing, gives up at the deadline', () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    const sink = createForwardSink({ outbox: buffer });
    sink.writeLine('pending\n');
    expect(sink.pendingLines).toBe(1);
    const began = Date.now();
    sink.setDeadline(began + 80);
    sink.close();
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(75);
    expect(took).toBeLessThan(1000);
    expect(Atomics.load(views.control, OutboxSlot.CLOSING)).toBe(1);
    expect(Atomics.load(views.control, OutboxSlot.WRITE)).toBe(ENTRY_HEADER_BYTES + 8);
    expect(Atomics.load(views.control, OutboxSlot.ACKED)).toBe(0);
    const sender = new SimulatedSender(views);
    sender.send();
    expect(sender.sent.map((e) => e.bytes.toString())).toEqual(['pending\n']);
  });
});

/** How many lines the sender freed: the entries it sent before `acked`. */
function countFreed(sender: SimulatedSender, acked: number): number {
  let lines = 0;
  for (const entry of sender.sent) {
    if (entry.position === acked) break;
    lines += entry.lines;
  }
  return lines;
}

/**
 * A real sender thread: it waits on WRITE, sleeps `delayMs` (a slow aggregator), reads the
 * entries and frees them, until CLOSING is set and everything is freed; then posts what it read.
 */
function senderThread(buffer: SharedArrayBuffer, delayMs: number): Promise<string> {
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { buffer, delayMs } = workerData;
    const control = new Int32Array(buffer, 0, 64);
    const data = new Uint8Array(buffer, 256);
    const data32 = new Int32Array(buffer, 256);
    const capacity = data.length;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const chunks = [];
    let acked = Atomics.load(control, 32);
    for (;;) {
      const write = Atomics.load(control, 0);
      if (write === acked) {
        if (Atomics.load(control, 1) === 1) break;
        Atomics.wait(control, 0, write, 20);
        continue;
      }
      if (delayMs > 0) Atomics.wait(sleeper, 0, 0, delayMs);
      while (acked !== write) {
        let at = acked & (capacity - 1);
        let skipped = 0;
        if (data32[at >> 2] === -1) { skipped = capacity - at; at = 0; }
        const bytes = data32[at >> 2];
        chunks.push(Buffer.from(data.slice(at + 8, at + 8 + bytes)).toString('latin1'));
        acked = (acked + skipped + ((8 + bytes + 3) & ~3)) | 0;
      }
      Atomics.store(control, 32, acked);
      Atomics.notify(control, 32);
    }
    parentPort.postMessage(chunks.join(''));
  `;
  const worker = new Worker(source, { eval: true, workerData: { buffer, delayMs } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('forward sink, with a sender thread', () => {
  it('waits for room while the sender frees it, losing nothing; close() returns once all is freed', async () => {
    const buffer = allocateOutbox(1024);
    const views = viewOutbox(buffer);
    let beats = 0;
    const sink = createForwardSink({ outbox: buffer, monitor: { report() {}, sleep: () => void beats++ } });
    const delivered = senderThread(buffer, 3);
    const lines = Array.from({ length: 60 }, (_, i) => lineOf(i, 1 + ((i * 37) % views.maxEntryBytes), false));
    for (const line of lines) sink.writeLine(line);
    const began = Date.now();
    sink.close();
    expect(Date.now() - began).toBeLessThan(2000);
    expect(Atomics.load(views.control, OutboxSlot.ACKED)).toBe(Atomics.load(views.control, OutboxSlot.WRITE));
    expect(sink.linesDropped).toBe(0);
    expect(await delivered).toBe(lines.join(''));
    expect(beats).toBeGreaterThan(0);
  });
});
