/**
 * The slow disk of the overload scenario: a process that reads a FIFO at a throttled rate, so
 * that whatever writes into the FIFO can go no faster than that. Run with fork(), arguments
 * `<fifo path> <bytes per second>`.
 *
 * Messages from the parent: 'count' (reply: the bytes and lines read so far), 'fast' (stop
 * throttling: the disk recovers, so a backlog can drain). When every writer has closed the FIFO
 * it sends { type: 'eof', bytes, lines } and exits.
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export type DiskMessage = { readonly type: 'count' | 'eof'; readonly bytes: number; readonly lines: number };

const [path = '', rateArg = ''] = process.argv.slice(2);
const bytesPerSec = Number(rateArg);
/** The default capacity of a Linux pipe: one read empties it. */
const CHUNK_BYTES = 64 * 1024;

let bytes = 0;
let lines = 0;
let fast = false;
const reply = (type: DiskMessage['type'], sent: () => void = () => {}): void => {
  process.send!({ type, bytes, lines } satisfies DiskMessage, sent);
};
process.on('message', (message: 'count' | 'fast') => {
  if (message === 'count') reply('count');
  else fast = true;
});
// The measuring process is gone: nobody is left to read for.
process.on('disconnect', () => process.exit(0));

// Opening a FIFO for reading waits for a writer; the thread pool does the waiting.
const fifo = await open(path, 'r');
const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
let due = performance.now();
for (;;) {
  const { bytesRead } = await fifo.read(buffer, 0, CHUNK_BYTES, null);
  if (bytesRead === 0) break;
  bytes += bytesRead;
  for (let k = 0; k < bytesRead; k++) if (buffer[k] === 10) lines++;
  if (fast) continue;
  // A token bucket without savings: time the disk sat idle is not credited to a later burst.
  due = Math.max(due, performance.now()) + (bytesRead / bytesPerSec) * 1000;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait);
}
await fifo.close();
reply('eof', () => process.exit(0));
