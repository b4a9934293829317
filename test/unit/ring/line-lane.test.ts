import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { allocateShared, LaneKind, LaneSlot, LineLaneSlot, Slot, viewShared, type SharedViews } from '../../../src/ring/layout.js';
import { LineLane, LOCK_DEAD_AFTER_MS, NO_SPACE, SEALED } from '../../../src/ring/line-lane.js';

interface Rig {
  readonly views: SharedViews;
  /** A producer's view of lane 0 (tag 1) and the consumer's. */
  readonly producer: LineLane;
  readonly consumer: LineLane;
}

/** One line lane of `capacity` bytes whose cursors start at `start` (to cross the 4 GiB wrap). */
function rig(capacity: number, start = 0): Rig {
  const views = viewShared(allocateShared(capacity, 1, LaneKind.LINES));
  const cursors = views.lanes[0]!.cursors;
  for (const slot of [LaneSlot.TAIL, LaneSlot.HEAD, LaneSlot.WRITTEN, LineLaneSlot.READ]) Atomics.store(cursors, slot, start | 0);
  return { views, producer: new LineLane(views, 0, 1), consumer: new LineLane(views, 0) };
}

/** Appends `text` (its lines counted by its newlines) at `time` through the producer; the index, NO_SPACE or SEALED. */
function append(r: Rig, text: string, producer = r.producer, time = 0): number {
  const bytes = Buffer.from(text);
  const index = producer.begin(bytes.length);
  if (index < 0) return index;
  r.views.data.set(bytes, index);
  producer.commit(text.split('\n').length - 1, time);
  return index;
}

interface Run {
  readonly text: string;
  readonly lines: number;
}

/** What the consumer takes now: its runs, released. */
function drain(r: Rig): Run[] {
  const runs: Run[] = [];
  if (!r.consumer.snapshot()) throw new Error('snapshot refused');
  r.consumer.read((index, length, lines) => runs.push({ text: Buffer.from(r.views.data.subarray(index, index + length)).toString(), lines }));
  r.consumer.release();
  return runs;
}

describe('append, read, release', () => {
  it('hands back the lines in order, with their count, in one run', () => {
    const r = rig(256);
    append(r, 'a\n');
    append(r, 'bb\ncc\n');
    expect(drain(r)).toEqual([{ text: 'a\nbb\ncc\n', lines: 3 }]);
    expect(drain(r)).toEqual([]);
    expect(r.consumer.committedRecords()).toBe(0);
  });

  it('reads only what was committed when the snapshot was taken', () => {
    const r = rig(256);
    append(r, 'one\n');
    expect(r.consumer.snapshot()).toBe(true);
    append(r, 'two\n');
    const runs: string[] = [];
    r.consumer.read((index, length) => runs.push(Buffer.from(r.views.data.subarray(index, index + length)).toString()));
    expect(runs).toEqual(['one\n']);
    r.consumer.release();
    expect(r.consumer.committedRecords()).toBe(1);
    expect(drain(r)).toEqual([{ text: 'two\n', lines: 1 }]);
  });

  it('refuses the snapshot while a producer holds the lane, and takes it once the line is in', () => {
    const r = rig(256);
    const index = r.producer.begin(4);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(r.consumer.snapshot()).toBe(false);
    r.views.data.set(Buffer.from('xyz\n'), index);
    r.producer.commit(1, 0);
    expect(drain(r)).toEqual([{ text: 'xyz\n', lines: 1 }]);
  });

  it('fills to exactly its capacity, then refuses one byte more until space is released', () => {
    const r = rig(64);
    expect(append(r, `${'a'.repeat(31)}\n`)).toBe(0);
    expect(append(r, `${'b'.repeat(31)}\n`)).toBe(32);
    expect(append(r, '\n')).toBe(NO_SPACE);
    expect(r.producer.used()).toBe(64);
    expect(drain(r).map((run) => run.lines)).toEqual([2]);
    expect(append(r, '\n')).toBe(0);
  });

  it('waits for space with a timeout, and begins once the consumer releases', () => {
    const r = rig(64);
    append(r, `${'a'.repeat(63)}\n`);
    expect(r.producer.beginOrWait(8, 5)).toBe(NO_SPACE);
    expect(r.producer.producersWaiting()).toBe(false);
    drain(r);
    const index = r.producer.beginOrWait(8, 5);
    expect(index).toBe(0);
    r.producer.commit(0, 0);
  });
});

describe('wrap-around', () => {
  it('starts a line that does not fit before the end on the next lap, in a run of its own', () => {
    const r = rig(64);
    append(r, `${'a'.repeat(39)}\n`);
    drain(r);
    append(r, `${'b'.repeat(19)}\n`); // 40..60: fits
    append(r, `${'c'.repeat(9)}\n`); // 10 bytes: 4 left before the end, so 0..10
    expect(drain(r)).toEqual([
      { text: `${'b'.repeat(19)}\n`, lines: 1 },
      { text: `${'c'.repeat(9)}\n`, lines: 1 },
    ]);
    // The 4 bytes skipped count as used until released: HEAD is now past them.
    expect(r.producer.used()).toBe(0);
  });

  it('counts the skipped bytes against the room: a wrap that would overrun HEAD is refused', () => {
    const r = rig(64);
    append(r, `${'a'.repeat(39)}\n`); // 0..40
    drain(r);
    append(r, `${'b'.repeat(9)}\n`); // 40..50, HEAD at 40
    // 44 bytes do not fit in the 14 before the end; skipping them, 0..44 would need 58 of the 54 free.
    expect(append(r, `${'c'.repeat(43)}\n`)).toBe(NO_SPACE);
    expect(append(r, `${'d'.repeat(13)}\n`)).toBe(50); // exactly to the end
    expect(append(r, `${'e'.repeat(19)}\n`)).toBe(0); // next lap, no skip
    expect(drain(r)).toEqual([
      { text: `${'b'.repeat(9)}\n${'d'.repeat(13)}\n`, lines: 2 },
      { text: `${'e'.repeat(19)}\n`, lines: 1 },
    ]);
  });

  it('crosses the 4 GiB wrap of the cursors without losing or reordering a line', () => {
    const r = rig(64, 0xffff_ffe0 | 0);
    const expected: string[] = [];
    const got: string[] = [];
    for (let i = 0; i < 40; i++) {
      const line = `${String(i).padStart(2, '0')}${'x'.repeat(i % 13)}\n`;
      if (append(r, line) === NO_SPACE) {
        got.push(...drain(r).map((run) => run.text));
        expect(append(r, line)).not.toBe(NO_SPACE);
      }
      expected.push(line);
    }
    got.push(...drain(r).map((run) => run.text));
    expect(got.join('')).toBe(expected.join(''));
    expect(r.consumer.head() >>> 0).toBeLessThan(0xffff_ffe0);
  });
});

describe('seal', () => {
  it('refuses later lines; lines appended before are still read', () => {
    const r = rig(256);
    append(r, 'before\n');
    r.consumer.seal();
    expect(r.producer.isSealed()).toBe(true);
    expect(append(r, 'after\n')).toBe(SEALED);
    expect(drain(r)).toEqual([{ text: 'before\n', lines: 1 }]);
    r.consumer.seal();
    expect(r.consumer.isSealed()).toBe(true);
  });
});

describe('a holder that died', () => {
  it('is taken over after LOCK_DEAD_AFTER_MS by the next producer, whose line goes in; the dead line never shows', () => {
    const r = rig(256);
    append(r, 'first\n');
    // A thread (tag 7) took the lane, wrote half a line past TAIL and died.
    const dead = new LineLane(r.views, 0, 7);
    const index = dead.begin(9);
    r.views.data.set(Buffer.from('half'), index);
    const abandoned = Atomics.load(r.views.control, Slot.ABANDONED);
    const started = Date.now();
    expect(append(r, 'second\n')).toBe(index);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LOCK_DEAD_AFTER_MS - 50);
    expect(Atomics.load(r.views.control, Slot.ABANDONED)).toBe(abandoned + 1);
    expect(drain(r)).toEqual([{ text: 'first\nsecond\n', lines: 2 }]);
  });

  it('is taken over by the consumer, so that what was committed before is read', () => {
    const r = rig(256);
    append(r, 'kept\n');
    new LineLane(r.views, 0, 7).begin(4);
    expect(r.consumer.snapshot()).toBe(false);
    expect(r.consumer.unblock()).toBe(false);
    const cursors = r.views.lanes[0]!.cursors;
    expect(Atomics.load(cursors, LineLaneSlot.LOCK)).toBe(7);
    const until = Date.now() + LOCK_DEAD_AFTER_MS + 20;
    while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(r.consumer.unblock()).toBe(true);
    expect(drain(r)).toEqual([{ text: 'kept\n', lines: 1 }]);
  });

  it('a holder that keeps taking the lane is alive: its TURN moves', () => {
    const r = rig(256);
    const other = new LineLane(r.views, 0, 7);
    // Seen twice with the same holder but another turn in between: not dead.
    other.begin(1);
    expect(r.consumer.unblock()).toBe(false);
    r.views.data[0] = 0x0a;
    other.commit(1, 0);
    other.begin(1);
    expect(r.consumer.unblock()).toBe(false);
    other.commit(0, 0);
  });
});

describe('protocol model (fast-check)', () => {
  type Op = { kind: 'append'; lines: number[] } | { kind: 'drain' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), lines: fc.array(fc.integer({ min: 0, max: 24 }), { minLength: 1, maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  );

  it('reads every appended line once, in order, whole, with exact counts per run, across wraps', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.constantFrom(0, 0x7fff_ffc0, 0xffff_ffc0 | 0), fc.constantFrom(64, 128, 256), (ops, start, capacity) => {
        const r = rig(capacity, start);
        let serial = 0;
        const appended: string[] = [];
        const read: string[] = [];
        const take = (): void => {
          for (const run of drain(r)) {
            const lines = run.text.split(/(?<=\n)/).filter((line) => line !== '');
            expect(run.text.endsWith('\n')).toBe(true);
            expect(run.lines).toBe(lines.length);
            read.push(...lines);
          }
        };
        for (const o of ops) {
          if (o.kind === 'drain') {
            take();
            continue;
          }
          // Lines `<serial>:` padded with dots to the drawn length, each ending in a newline.
          const lines = o.lines.map((extra) => `${serial++}:${'.'.repeat(extra)}\n`);
          const text = lines.join('');
          // Up to half the lane, so that an empty lane always takes it, skip to the lap's end
          // included (producers are held to an eighth of it: maxLineBytes).
          if (text.length > capacity / 2) continue;
          let index = append(r, text);
          if (index === NO_SPACE) {
            take();
            index = append(r, text);
          }
          expect(index).toBeGreaterThanOrEqual(0);
          appended.push(...lines);
        }
        take();
        expect(read).toEqual(appended);
        expect(r.consumer.used()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('threads sharing a lane', () => {
  it('4 threads x 5,000 lines into one 4 KiB lane: every line once, in each thread\'s order, never torn', async () => {
    const views = viewShared(allocateShared(4096, 1, LaneKind.LINES));
    const laneUrl = new URL('../../../dist/src/ring/line-lane.js', import.meta.url).href;
    const layoutUrl = new URL('../../../dist/src/ring/layout.js', import.meta.url).href;
    const perThread = 5000;
    const source = `
      const { workerData } = await import('node:worker_threads');
      const { LineLane } = await import(${JSON.stringify(laneUrl)});
      const { viewShared } = await import(${JSON.stringify(layoutUrl)});
      const views = viewShared(workerData.buffer);
      const lane = new LineLane(views, 0, workerData.id + 1);
      for (let i = 0; i < ${perThread}; i++) {
        const line = Buffer.from(workerData.id + ':' + i + ':' + 'x'.repeat(i % 50) + '\\n');
        let index;
        while ((index = lane.beginOrWait(line.length, 5)) < 0);
        views.data.set(line, index);
        lane.commit(1, Date.now());
      }
    `;
    const workers = [0, 1, 2, 3].map((id) => new Worker(source, { eval: true, workerData: { buffer: views.buffer, id } }));
    const done = Promise.all(workers.map((w) => new Promise((resolve, reject) => w.on('exit', resolve).on('error', reject))));
    let finished = false;
    void done.then(() => (finished = true));
    const consumer = new LineLane(views, 0);
    const next = [0, 0, 0, 0];
    let lines = 0;
    let counted = 0;
    const check = (text: string): void => {
      for (const line of text.split('\n').slice(0, -1)) {
        const [id, i, pad] = line.split(':');
        expect(Number(i)).toBe(next[Number(id)]);
        expect(pad).toBe('x'.repeat(Number(i) % 50));
        next[Number(id)]!++;
        lines++;
      }
    };
    for (;;) {
      const wasFinished = finished;
      if (consumer.snapshot()) {
        const bytes = consumer.read((index, length, count) => {
          check(Buffer.from(views.data.subarray(index, index + length)).toString());
          counted += count;
        });
        consumer.release();
        if (bytes === 0 && wasFinished) break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    expect(next).toEqual([perThread, perThread, perThread, perThread]);
    expect(lines).toBe(4 * perThread);
    expect(counted).toBe(lines);
  });
});

describe('waking a sleeping consumer', () => {
  const sleeping = (r: Rig): number => Atomics.load(r.views.control, Slot.CONSUMER_SLEEPING);

  it('the release after armWake() wakes it, once; without it, commits leave the consumer asleep', () => {
    const r = rig(256);
    Atomics.store(r.views.control, Slot.CONSUMER_SLEEPING, 1);
    append(r, 'a\n');
    expect(sleeping(r)).toBe(1);
    r.consumer.armWake();
    append(r, 'b\n');
    expect(sleeping(r)).toBe(0);
    // The waking release cleared WAKE: the next commit does not wake again.
    Atomics.store(r.views.control, Slot.CONSUMER_SLEEPING, 1);
    append(r, 'c\n');
    expect(sleeping(r)).toBe(1);
    r.consumer.armWake();
    r.consumer.disarmWake();
    append(r, 'd\n');
    expect(sleeping(r)).toBe(1);
    expect(drain(r)).toEqual([{ text: 'a\nb\nc\nd\n', lines: 4 }]);
  });

  it('a producer holding the lane when the consumer arms wakes it at its commit; the consumer locks past WAKE', () => {
    const r = rig(256);
    const index = r.producer.begin(2);
    r.views.data.set(Buffer.from('a\n'), index);
    Atomics.store(r.views.control, Slot.CONSUMER_SLEEPING, 1);
    r.consumer.armWake();
    r.producer.commit(1, 0);
    expect(sleeping(r)).toBe(0);
    Atomics.store(r.views.control, Slot.CONSUMER_SLEEPING, 1);
    r.consumer.armWake();
    expect(drain(r)).toEqual([{ text: 'a\n', lines: 1 }]);
    expect(append(r, 'b\n')).toBeGreaterThanOrEqual(0);
  });

  it('a thread that commits while the consumer goes to sleep always wakes it (300 rounds, no timeout to save it)', async () => {
    const views = viewShared(allocateShared(4096, 1, LaneKind.LINES));
    const laneUrl = new URL('../../../dist/src/ring/line-lane.js', import.meta.url).href;
    const layoutUrl = new URL('../../../dist/src/ring/layout.js', import.meta.url).href;
    const go = new Int32Array(new SharedArrayBuffer(4));
    const rounds = 300;
    const source = `
      const { workerData } = await import('node:worker_threads');
      const { LineLane } = await import(${JSON.stringify(laneUrl)});
      const { viewShared } = await import(${JSON.stringify(layoutUrl)});
      const views = viewShared(workerData.buffer);
      const lane = new LineLane(views, 0, 2);
      const go = workerData.go;
      for (let i = 1; i <= ${rounds}; i++) {
        Atomics.wait(go, 0, i - 1);
        // Commit at every phase of the consumer's arming and sleeping.
        for (let spin = 0; spin < (i * 37) % 2000; spin++);
        const line = Buffer.from(i + '\\n');
        const index = lane.begin(line.length);
        views.data.set(line, index);
        lane.commit(1, i);
      }
    `;
    const worker = new Worker(source, { eval: true, workerData: { buffer: views.buffer, go } });
    const exited = new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject));
    const { lanesOf } = await import('../../../src/ring/lanes.js');
    const lanes = lanesOf(views);
    const consumer = lanes.rings[0] as LineLane;
    let text = '';
    for (let i = 1; i <= rounds; i++) {
      Atomics.store(go, 0, i);
      Atomics.notify(go, 0);
      // Sleeps until woken: a missed wake-up sleeps through the 5 s.
      while (!consumer.hasCommitted()) expect(lanes.awaitCommitted(5000)).toBe(true);
      expect(consumer.snapshot()).toBe(true);
      consumer.read((index, length) => (text += Buffer.from(views.data.subarray(index, index + length)).toString()));
      consumer.release();
    }
    await exited;
    expect(text).toBe(Array.from({ length: rounds }, (_, i) => `${i + 1}\n`).join(''));
  }, 20_000);
});
