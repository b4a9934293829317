/**
 * What the syslog tests do the same way against the in-process collector and the real engines:
 * a run across a collector's restart, and the host name as a syslog header carries it.
 */
import { hostname } from 'node:os';
import type { Logger } from '../../dist/src/index.js';

/** This host's name as a HOSTNAME header field (printable US-ASCII, at most 255). */
export const SYSLOG_HOSTNAME = hostname().replace(/[^\x21-\x7e]/g, '_').slice(0, 255);

/**
 * Logs `{ seq }` `total` times, pausing a little every 500 records so that the sender ships
 * as it goes; the collector is stopped at 30% and started again at 60%.
 */
export async function logAcrossRestart(log: Logger, total: number, stop: () => Promise<void>, start: () => Promise<void>): Promise<void> {
  for (let seq = 0; seq < total; seq++) {
    log.info({ seq }, 'record');
    if (seq === Math.floor(total * 0.3)) await stop();
    if (seq === Math.floor(total * 0.6)) await start();
    if (seq % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The `seq` of each message, in arrival order: each at most once, increasing. */
export function checkIncreasing(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i]! <= seqs[i - 1]!) throw new Error(`seq ${seqs[i]} after ${seqs[i - 1]}: a duplicate or out of order`);
  }
}
