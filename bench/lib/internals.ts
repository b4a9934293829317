/**
 * The one bench module that reaches into ringlog's internals (src/ beyond its public index):
 * everything else in bench/ uses the public API only. When src/ changes how a consumer is put
 * together, this is the file to adapt.
 *
 * What it builds is a backend without threads, for the drain scenario: the shared buffer, a
 * handle for `connect()`, and the consumer side as the consumer thread builds it
 * (src/consumer/thread.ts: openRouter with the resolved options, a monitor like the thread's,
 * a Consumer), driven by hand on the calling thread: fill the ring through loggers, then drain
 * it with `drainBatch()`.
 */
import { writeSync } from 'node:fs';
import { Consumer } from '../../src/consumer/consumer.js';
import { countFormatFailures, loadFormatterModules } from '../../src/consumer/formats.js';
import { openRouter } from '../../src/consumer/open-router.js';
import type { SinkMonitor } from '../../src/consumer/sink/write-failure.js';
import { describeEvent } from '../../src/consumer/sink/write-failure.js';
import type { BackendOptions, LogHandle } from '../../src/index.js';
import { handleFor, laneKindFor } from '../../src/main/backend.js';
import { resolveOptions } from '../../src/config/options.js';
import { lanesOf } from '../../src/ring/lanes.js';
import { allocateShared, Slot, Stat, viewShared } from '../../src/ring/layout.js';

export interface DrainCounts {
  /** Lines handed to the OS (recordsWritten). */
  readonly linesWritten: number;
  readonly bytesWritten: number;
  /** Records a producer dropped on a full ring: must be 0 for a drain run to count. */
  readonly droppedFull: number;
  readonly oversized: number;
  /** Records that did not render: a bug if not 0. */
  readonly recordsFailed: number;
  readonly formatFailed: number;
  readonly writeFailed: number;
}

export interface DrainRig {
  /** Pass to `connect()` (from the public API) to log into the ring. */
  readonly handle: LogHandle;
  /** Ring capacity in bytes. */
  readonly capacity: number;
  /** Ring bytes claimed and not yet drained. */
  used(): number;
  /** Drains every committed record through the consumer: render, buffer, write. Returns the ring bytes consumed. */
  drain(): number;
  /** Drains what is left, closes the sinks (the consumer's finish()), and returns the counters. */
  close(): DrainCounts;
  counts(): DrainCounts;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function stderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nowhere left to say it.
  }
}

/**
 * A ring and its consumer on this thread, configured by `options` as createLogBackend takes
 * them. Nothing drains unless `drain()` is called, so with `onFull: 'drop'` a log call into a
 * full ring is counted in droppedFull rather than waiting forever.
 */
export async function openDrainRig(options: BackendOptions): Promise<DrainRig> {
  const resolved = resolveOptions(options);
  const modules = await loadFormatterModules(resolved.formats);
  const buffer = allocateShared(resolved.bufferBytes, resolved.lanes, laneKindFor(resolved));
  const views = viewShared(buffer);
  const { control, stats } = views;
  const lanes = lanesOf(views);
  // As the consumer thread's monitor (thread.ts): failures on stderr, IN_FLIGHT around writes.
  const monitor: SinkMonitor = {
    report: (event) => stderr(describeEvent(event)),
    sleep: (ms) => void Atomics.wait(sleepCell, 0, 0, ms),
    writing: (lines) => Atomics.store(control, Slot.IN_FLIGHT, lines),
  };
  const router = openRouter(resolved, { monitor, modules, onFormatFailure: countFormatFailures(stats, stderr) });
  const consumer = new Consumer(views, router, resolved.closeTimeoutMs / 2);
  // As createLogBackend makes it: producers write finished JSON lines when the options allow.
  const handle: LogHandle = handleFor(resolved, buffer);
  const counts = (): DrainCounts => ({
    linesWritten: Number(Atomics.load(stats, Stat.RECORDS_WRITTEN)),
    bytesWritten: Number(Atomics.load(stats, Stat.BYTES_WRITTEN)),
    droppedFull: Atomics.load(control, Slot.DROPPED_FULL) >>> 0,
    oversized: Atomics.load(control, Slot.OVERSIZED) >>> 0,
    recordsFailed: Number(Atomics.load(stats, Stat.RECORDS_FAILED)),
    formatFailed: Number(Atomics.load(stats, Stat.FORMAT_FAILED)),
    writeFailed: Number(Atomics.load(stats, Stat.WRITE_FAILED)),
  });
  return {
    handle,
    capacity: views.capacity,
    used: () => lanes.used(),
    drain() {
      let consumed = 0;
      for (let batch = consumer.drainBatch(); batch > 0; batch = consumer.drainBatch()) consumed += batch;
      return consumed;
    },
    close() {
      consumer.finish();
      return counts();
    },
    counts,
  };
}
