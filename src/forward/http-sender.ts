/**
 * The sender of an OTLP sink: each outbox entry (a batch of LogRecords rendered by the
 * consumer, consumer/format/otlp-format.ts) becomes one ExportLogsServiceRequest, POSTed as
 * OTLP/JSON to the collector's /v1/logs, one request at a time so that batches arrive in order.
 *
 * - **2xx**: the batch is done; its room is freed. A `partialSuccess` with `rejectedLogRecords`
 *   counts those in LOST (the collector took the request and dropped them: sending again would
 *   not help), and says the collector's errorMessage once on stderr.
 * - **429, 502, 503, 504** (the OTLP specification's retryable answers), a timeout or a
 *   connection that fails: the same request again, after `Retry-After` when the answer has one
 *   (seconds or an HTTP date, at most RETRY_AFTER_MAX_MS), else with back-off (reconnect.ts).
 *   The batch keeps its room meanwhile: the outbox fills, then the ring, and `onFull` decides.
 * - **400 and every other answer**: never retried (the same request would fail the same way):
 *   its records are counted in LOST, and the next batch goes.
 * - One 'failed' when a batch first fails, one 'recovered' when one is taken again.
 * - **Closing** with a retry pending: one attempt at once; when it fails too, what is left is
 *   dropped and counted rather than holding the exit.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dropEntries, entryAt, OUTBOX_CONTROL_BYTES, OutboxCounter, OutboxSlot, watchOutbox, type OutboxViews } from './outbox.js';
import { Episode, type FailureEvent } from '../core/episode.js';
import { Backoff, stderr } from './reconnect.js';

/** Where an OTLP sink sends, resolved (config/otlp-options.ts). */
export interface ResolvedOtlpTarget {
  /** The logs endpoint, such as http://localhost:4318/v1/logs. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The resource's attributes as OTLP/JSON KeyValues: `[{"key":"service.name","value":{...}}]`. */
  readonly resource: string;
  readonly timeoutMs: number;
  /** The outbox's size in bytes, a power of two. */
  readonly outboxBytes: number;
}

/** The statuses the OTLP/HTTP specification says to retry. */
const RETRYABLE = new Set([429, 502, 503, 504]);
/** The longest Retry-After honoured: a larger one would hold the batch for that long. */
export const RETRY_AFTER_MAX_MS = 60_000;
/** How much of an answer's body is read (an error message, a partialSuccess). */
const ANSWER_MAX_BYTES = 64 * 1024;
const STOP_WAIT_MS = 1000;

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), RETRY_AFTER_MAX_MS) : undefined;
}

/**
 * The ExportLogsServiceRequest of an entry's lines (`"scope"\t{LogRecord}\n` each): one
 * ResourceLogs, the records of consecutive lines of one scope in one ScopeLogs.
 */
export function exportRequest(lines: string, resource: string): string {
  const scopes: string[] = [];
  let scope: string | undefined;
  let records: string[] = [];
  const close = (): void => {
    if (scope !== undefined) scopes.push(`{"scope":{"name":${scope}},"logRecords":[${records.join(',')}]}`);
  };
  for (let at = 0; at < lines.length; ) {
    const end = lines.indexOf('\n', at);
    const line = lines.slice(at, end === -1 ? lines.length : end);
    at = end === -1 ? lines.length : end + 1;
    const tab = line.indexOf('\t');
    if (tab === -1) continue;
    const name = line.slice(0, tab);
    if (name !== scope) {
      close();
      scope = name;
      records = [];
    }
    records.push(line.slice(tab + 1));
  }
  close();
  return `{"resourceLogs":[{"resource":{"attributes":${resource}},"scopeLogs":[${scopes.join(',')}]}]}`;
}

interface Batch {
  readonly body: string;
  readonly lines: number;
  readonly next: number;
}

export class HttpSender {
  readonly #target: ResolvedOtlpTarget;
  readonly #url: URL;
  readonly #outbox: OutboxViews;
  readonly #backoff = new Backoff();
  readonly #episode: Episode;
  /** The batch being sent (or waiting for its retry). */
  #batch: Batch | undefined;
  #inFlight: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #toldRejected = false;
  #stopped = false;

  constructor(target: ResolvedOtlpTarget, outbox: OutboxViews, report: (event: FailureEvent) => void) {
    this.#target = target;
    this.#url = new URL(target.url);
    this.#outbox = outbox;
    this.#episode = new Episode('otlp', target.url, report, { retrying: true, lost: () => Number(Atomics.load(outbox.counters, OutboxCounter.LOST)), errorPath: target.url });
  }

  start(): void {
    watchOutbox(this.#outbox, {
      stopped: () => this.#stopped,
      wake: () => {
        if (this.#closing() && this.#retry !== undefined) {
          clearTimeout(this.#retry);
          this.#retry = undefined;
        }
        this.#pump();
      },
      idle: () => this.#batch === undefined,
    });
  }

  /** The backend is closing: the request in flight gets a moment; what is left is dropped and counted. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retry);
    if (this.#inFlight !== undefined) {
      await Promise.race([this.#inFlight, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    }
    this.#dropAll();
  }

  #pump(): void {
    if (this.#stopped || this.#inFlight !== undefined || this.#retry !== undefined) return;
    let batch = this.#batch;
    if (batch === undefined) {
      const { control, buffer } = this.#outbox;
      const acked = Atomics.load(control, OutboxSlot.ACKED);
      if (acked === Atomics.load(control, OutboxSlot.WRITE)) return;
      const entry = entryAt(this.#outbox, acked);
      const lines = Buffer.from(buffer, OUTBOX_CONTROL_BYTES + entry.index, entry.bytes).toString('utf8');
      batch = { body: exportRequest(lines, this.#target.resource), lines: entry.lines, next: entry.next };
      this.#batch = batch;
    }
    this.#inFlight = this.#post(batch).finally(() => {
      this.#inFlight = undefined;
      this.#pump();
    });
  }

  #post(batch: Batch): Promise<void> {
    return new Promise((resolve) => {
      const request = (this.#url.protocol === 'https:' ? httpsRequest : httpRequest)(this.#url, {
        method: 'POST',
        headers: { ...this.#target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(batch.body) },
        timeout: this.#target.timeoutMs,
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer in ${this.#target.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      request.on('error', (error: NodeJS.ErrnoException) => {
        this.#failed(error, undefined);
        resolve();
      });
      request.on('response', (response: IncomingMessage) => {
        let answer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (answer.length < ANSWER_MAX_BYTES) answer += chunk;
        });
        response.on('error', () => {});
        response.on('end', () => {
          this.#answered(batch, response, answer);
          resolve();
        });
      });
      request.end(batch.body);
    });
  }

  #answered(batch: Batch, response: IncomingMessage, answer: string): void {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      const rejected = rejectedOf(answer, batch.lines);
      if (rejected.count > 0 && !this.#toldRejected) {
        this.#toldRejected = true;
        stderr(`ringlog: the OTLP collector at ${this.#target.url} rejected ${rejected.count} log records of a batch (${rejected.message || 'no reason given'}); rejected records are counted in stats().otlpLost (said once)`);
      }
      this.#done(batch, rejected.count);
      this.#backoff.reset();
      this.#episode.recover();
      return;
    }
    const error = Object.assign(new Error(`HTTP ${status}${answer === '' ? '' : `: ${answer.slice(0, 200)}`}`), { code: `HTTP_${status}` });
    if (RETRYABLE.has(status)) this.#failed(error, retryAfterMs(response.headers['retry-after']));
    else {
      // Not retryable: sending the same request again would fail the same way.
      this.#episode.fail(error);
      this.#done(batch, batch.lines);
    }
  }

  /** A retryable failure: the same batch again later, or, closing, everything dropped. */
  #failed(error: NodeJS.ErrnoException, after: number | undefined): void {
    if (this.#stopped) return;
    this.#episode.fail(error);
    if (this.#closing()) {
      this.#dropAll();
      return;
    }
    const delay = after ?? this.#backoff.take();
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#pump();
    }, delay);
  }

  /** The batch is done with: `lost` of its records counted lost, the rest sent; its room freed. */
  #done(batch: Batch, lost: number): void {
    // Dropped meanwhile (stop() did not wait for this answer): counted there.
    if (this.#batch !== batch) return;
    const counters = this.#outbox.counters;
    if (lost > 0) Atomics.add(counters, OutboxCounter.LOST, BigInt(lost));
    if (batch.lines > lost) Atomics.add(counters, OutboxCounter.SENT, BigInt(batch.lines - lost));
    this.#batch = undefined;
    Atomics.store(this.#outbox.control, OutboxSlot.ACKED, batch.next);
    Atomics.notify(this.#outbox.control, OutboxSlot.ACKED);
  }

  #closing(): boolean {
    return Atomics.load(this.#outbox.control, OutboxSlot.CLOSING) === 1;
  }

  /** Drops every batch not yet taken (the collector is away and the drainer has closed), counted. */
  #dropAll(): void {
    this.#batch = undefined;
    const lines = dropEntries(this.#outbox);
    if (lines === 0) return;
    Atomics.add(this.#outbox.counters, OutboxCounter.LOST, BigInt(lines));
    stderr(`ringlog: the OTLP collector at ${this.#target.url} is away at close: ${lines} log records were dropped (stats().otlpLost)`);
  }
}

/** `partialSuccess.rejectedLogRecords` (an int64: a string or a number in JSON) and its message. */
function rejectedOf(answer: string, lines: number): { count: number; message: string } {
  if (answer === '') return { count: 0, message: '' };
  try {
    const parsed = JSON.parse(answer) as { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string } };
    const count = Number(parsed.partialSuccess?.rejectedLogRecords ?? 0);
    return { count: Number.isSafeInteger(count) && count > 0 ? Math.min(count, lines) : 0, message: parsed.partialSuccess?.errorMessage ?? '' };
  } catch {
    return { count: 0, message: '' };
  }
}
