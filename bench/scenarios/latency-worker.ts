/**
 * The latency scenario's thread (see latency.ts): times ringlog's info() and the floor's
 * format-and-encode in batches of a few calls, one sample per batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect, type LogHandle } from '../../src/index.js';
import { JsonLineLogger, PrivateBuffer } from '../lib/json-line.js';
import { warmRing } from '../lib/warm-ring.js';
import { MESSAGE } from '../variants/variant.js';

export interface LatencyData {
  readonly handle: LogHandle;
  readonly ringBytes: number;
  readonly calls: number;
  readonly batch: number;
  /** Calls between two flushes, untimed: fewer than the ring holds, so it never fills. */
  readonly flushEvery: number;
}

export interface LatencySamples {
  /** ns per call, one value per batch, in call order. */
  readonly ringlog: Float64Array;
  readonly floor: Float64Array;
  /** The same measurement around an empty batch: what the two timer reads add per call. */
  readonly timer: Float64Array;
}

const { handle, ringBytes, calls, batch, flushEvery } = workerData as LatencyData;
const WARMUP_CALLS = 50_000;

const ringlog = connect(handle).child({ worker: 0 });
const floorLog = new JsonLineLogger().child({ worker: 0 });
const floorBuffer = new PrivateBuffer();

/** One sample per batch; between chunks of `flushEvery` calls, an untimed flush empties the ring. */
async function sample(logOne: (i: number) => void, count = calls): Promise<Float64Array> {
  const samples = new Float64Array(Math.floor(count / batch));
  const batchesPerChunk = Math.max(1, Math.floor(flushEvery / batch));
  let i = 0;
  for (let s = 0; s < samples.length; s++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) logOne(i++);
    samples[s] = Number(process.hrtime.bigint() - t0) / batch;
    if (s % batchesPerChunk === batchesPerChunk - 1) await ringlog.flush();
  }
  return samples;
}

const logRinglog = (i: number): void => ringlog.info({ i }, MESSAGE);
const logFloor = (i: number): void => floorBuffer.write(floorLog.info({ i }, MESSAGE));
await warmRing(ringlog, ringBytes);
// Untimed runs first, so that both are measured compiled.
await sample(logFloor, WARMUP_CALLS);
await sample(logRinglog, WARMUP_CALLS);
const result: LatencySamples = {
  timer: await sample(() => {}),
  floor: await sample(logFloor),
  ringlog: await sample(logRinglog),
};
parentPort!.postMessage(result);
