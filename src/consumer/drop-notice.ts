/**
 * The line that tells a reader of the log where records are missing because the ring was full
 * (`onFull: 'drop'`): when the consumer sees DROPPED_FULL grown since it last looked, it renders
 * this synthetic record through the same formatter as every other record, at level warn:
 *
 *   {"level":40,"time":...,"pid":...,"hostname":...,"name":"ringlog","dropped":1234,"msg":"ringlog: 1234 records dropped (ring full)"}
 */
import { LEVELS } from '../core/levels.js';
import { Slot } from '../ring/layout.js';
import type { LogRecord, ObjectValue } from '../record/log-record.js';

export const DROP_NOTICE_NAME = 'ringlog';

/** The synthetic record for `dropped` records lost to a full ring since the last notice. */
export function dropNotice(dropped: number, time = Date.now()): LogRecord {
  const fields: ObjectValue = Object.create(null);
  fields['dropped'] = dropped;
  return {
    time,
    level: LEVELS.warn,
    threadId: 0,
    name: DROP_NOTICE_NAME,
    bindings: undefined,
    msg: `ringlog: ${dropped} records dropped (ring full)`,
    args: [],
    fields,
  };
}

/**
 * Drops not yet reported, kept in shared memory (DROPS_REPORTED) so that a drainer that takes
 * over (a restarted consumer, the exiting main thread) reports what the one before did not.
 * Only the thread holding DRAIN_LOCK calls it.
 */
export function takeUnreportedDrops(control: Int32Array): number {
  const dropped = Atomics.load(control, Slot.DROPPED_FULL);
  const reported = Atomics.load(control, Slot.DROPS_REPORTED);
  if (dropped === reported) return 0;
  Atomics.store(control, Slot.DROPS_REPORTED, dropped);
  return (dropped - reported) >>> 0;
}
