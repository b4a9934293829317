/**
 * The aggregator's Receiver on a real socket and a real 4 KiB ring that nobody drains until the
 * test does: a batch larger than the ring fills it, and the receiver must wait the way a
 * producer does, announced in PRODUCERS_WAITING, so that the consumer's release() wakes it.
 * (Unannounced, each full ring cost the receiver's whole wait slice: 50 ms per ring's worth.)
 * Then every line of the batch arrives in the ring, whole and in order, across the waits, and
 * counted: in Flag.LINE records (record lanes), or appended as they came (a line lane).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchHead, FrameType, jsonFrame, PROTOCOL_VERSION } from '../../../src/forward/protocol.js';
import { Receiver } from '../../../src/forward/receiver.js';
import { HEADER_BYTES, RecordOffset } from '../../../src/record/descriptor.js';
import { allocateShared, LaneKind, LaneSlot, viewShared, type SharedViews } from '../../../src/ring/layout.js';
import { LineLane } from '../../../src/ring/line-lane.js';
import { Ring } from '../../../src/ring/ring.js';

/** The consumer's part, in each kind of lane: reads what is committed, returns the runs' text and their line count, and gives the space back. */
type Drain = () => { text: string[]; lines: number };

const KINDS: readonly [string, number, (views: SharedViews) => Drain][] = [
  [
    'record lanes',
    LaneKind.RECORDS,
    (views) => {
      const ring = new Ring(views);
      return () => {
        const text: string[] = [];
        let lines = 0;
        const consumed = ring.read((index, length) => {
          text.push(Buffer.from(views.data.subarray(index + HEADER_BYTES, index + length)).toString());
          // ARG_COUNT of a LINE record: how many lines it holds.
          lines += Buffer.from(views.data.buffer, views.data.byteOffset).readUInt16LE(index + RecordOffset.ARG_COUNT);
        }, 1 << 20);
        ring.release(consumed);
        return { text, lines };
      };
    },
  ],
  [
    'a line lane',
    LaneKind.LINES,
    (views) => {
      const lane = new LineLane(views, 0);
      return () => {
        const text: string[] = [];
        let lines = 0;
        if (lane.snapshot()) {
          lane.read((index, length, count) => {
            text.push(Buffer.from(views.data.subarray(index, index + length)).toString());
            lines += count;
          });
          lane.release();
        }
        return { text, lines };
      };
    },
  ],
];

const SESSION = '0123456789abcdef0123456789abcdef';

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('Receiver', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it.each(KINDS)('%s: waits for room in a full ring as a producer does, announced, and takes the whole batch once there is room', async (_, kind, drainOf) => {
    const dir = mkdtempSync(join(tmpdir(), 'ringlog-receiver-'));
    const views = viewShared(allocateShared(4096, 1, kind));
    const receiver = new Receiver(views, 512, () => {});
    // Paused on connect, as listenSocket makes them: the receiver reads into a buffer of its own.
    const server: Server = createServer({ pauseOnConnect: true }, (socket) => receiver.accept(socket));
    const path = join(dir, 'agg.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client: Socket = createConnection(path);
    cleanup = () => {
      client.destroy();
      receiver.disconnectAll();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    };

    const lines = Array.from({ length: 200 }, (_, i) => `{"i":${i},"pad":"${'x'.repeat(40)}"}\n`).join('');
    const body = Buffer.from(lines);
    client.write(jsonFrame(FrameType.HELLO, { v: PROTOCOL_VERSION, session: SESSION, pid: 7, maxFrame: 1 << 20 }));
    client.write(Buffer.concat([batchHead(1, 0, 200, body.length), body]));

    const cursors = views.lanes[0]!.cursors;
    // ~12 KiB of lines into a 4 KiB ring that nothing drains: the receiver fills it and waits.
    await until(() => Atomics.load(cursors, LaneSlot.PRODUCERS_WAITING) === 1, 'the receiver announces its wait');

    // The consumer's part: read and release what is committed, until every line is there.
    const drain = drainOf(views);
    const received: string[] = [];
    let counted = 0;
    await until(() => {
      const { text, lines: count } = drain();
      received.push(...text);
      counted += count;
      return received.join('') === lines;
    }, 'every line of the batch in the ring');
    expect(received.length).toBeGreaterThan(1);
    // Each run of whole lines, counted as such: the batch's 200 lines, once.
    for (const run of received) expect(run.endsWith('\n')).toBe(true);
    expect(counted).toBe(200);
    await until(() => Atomics.load(cursors, LaneSlot.PRODUCERS_WAITING) === 0, 'the wait withdrawn');
  });
});
