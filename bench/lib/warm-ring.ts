/**
 * A fresh SharedArrayBuffer's pages are mapped on first write, so the first pass through a new
 * ring pays a page fault every few dozen records, which a running app's ring never pays again.
 * Measurements of single calls therefore start after one full pass.
 */
import type { Logger } from '../../src/index.js';

/** A frame is at least 32 bytes (8 frame header + 16 record header + some payload), so this many records pass the whole ring. */
const MIN_FRAME_BYTES = 32;
/** Records between flushes: far less than any ring can hold, so the ring never fills. */
const CHUNK = 10_000;

export async function warmRing(log: Logger, ringBytes: number): Promise<void> {
  const records = Math.ceil(ringBytes / MIN_FRAME_BYTES);
  for (let i = 0; i < records; i++) {
    log.info({ i }, 'warming the ring');
    if (i % CHUNK === CHUNK - 1) await log.flush();
  }
  await log.flush();
}
