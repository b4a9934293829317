/**
 * Entry of the consumer thread, kept thin: load the custom formatters, open the sinks, say
 * ready, run the drain loop under the supervisor. The loop blocks this thread (it sleeps in Atomics.wait, never in the event
 * loop), which is what a dedicated consumer is for. It tells the main thread about failures with
 * postMessage, which is delivered without this thread ever yielding, and writes one line on
 * stderr itself, at once, with writeSync (the main thread may be blocked on a full ring).
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ConsumerOptions } from './open-router.js';
import { Slot, viewShared } from '../ring/layout.js';
import { CompressorClient } from '../compress/compressor.js';
import { countFormatFailures, loadFormatterModules } from './formats.js';
import { openRouter } from './open-router.js';
import { describeCrash, supervise } from './supervisor.js';
import { TEST_FAULT_ENV, testFault } from './test-fault.js';
import { describeEvent, type SinkMonitor } from './sink/write-failure.js';

export interface ConsumerData {
  readonly buffer: SharedArrayBuffer;
  readonly options: ConsumerOptions;
  /** A restart after the previous thread died: a file that cannot be opened must not stop it. */
  readonly restart: boolean;
  /** From the backend's Compressor (file.rotate.compress): where rotated files are posted. */
  readonly compressorPort?: MessagePort | undefined;
  /** Per sink index, the outbox of a forward sink. */
  readonly outboxes?: readonly (SharedArrayBuffer | undefined)[] | undefined;
}

/** Longest slice of a retry sleep: the beat that tells blocked producers we live. */
const SLEEP_SLICE_MS = 250;

const { buffer, options, restart, compressorPort, outboxes } = workerData as ConsumerData;
const compressor = compressorPort === undefined ? undefined : new CompressorClient(compressorPort);
const views = viewShared(buffer);
const { control } = views;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function stderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nowhere left to say it.
  }
}

function sleep(ms: number): void {
  for (let left = ms; left > 0; left -= SLEEP_SLICE_MS) {
    Atomics.add(control, Slot.CONSUMER_BEAT, 1);
    Atomics.wait(sleepCell, 0, 0, Math.min(left, SLEEP_SLICE_MS));
  }
  Atomics.add(control, Slot.CONSUMER_BEAT, 1);
}

const monitor: SinkMonitor = {
  report(event) {
    stderr(describeEvent(event));
    parentPort?.postMessage(event);
  },
  sleep,
  writing(lines) {
    Atomics.store(control, Slot.IN_FLIGHT, lines);
  },
};

// Before 'ready': a module that does not load, or a first sink that does not open, rejects
// createLogBackend (the thread's 'error' comes before its 'ready').
const modules = await loadFormatterModules(options.formats);
const onFormatFailure = countFormatFailures(views.stats, stderr);
const fault = testFault(process.env[TEST_FAULT_ENV], restart);
const open = (lazyOpen: boolean) =>
  openRouter(options, { monitor, lazyOpen, fs: fault.fs, wrap: fault.wrap, modules, onFormatFailure, compressor, outboxes });

const first = open(restart);
parentPort?.postMessage('ready');
supervise(views, options, first, {
  reopen: () => open(true),
  report(crash) {
    stderr(describeCrash(crash));
    parentPort?.postMessage(crash);
  },
  sleep,
});
