/**
 * The compressor thread's work list: one file at a time, in the order submitted. One at a time
 * because compression competes for the cores that run the app and the consumer, and rotations
 * are minutes apart: a backlog only forms at startup, when old files are resubmitted, and then
 * finishing them in order is what matters. A path already waiting or in progress is not queued
 * twice. Outcomes are reported, never thrown: the queue never rejects.
 */
import type { CompressResult } from './compress-file.js';

export type CompressOutcome =
  | ({ readonly type: 'done' } & CompressResult)
  | { readonly type: 'failed'; readonly path: string; readonly error: unknown };

export class CompressQueue {
  readonly #compress: (path: string) => Promise<CompressResult>;
  readonly #report: (outcome: CompressOutcome) => void;
  readonly #waiting: string[] = [];
  /** Paths waiting or in progress. */
  readonly #pending = new Set<string>();
  #running = false;
  #idle: (() => void)[] = [];

  constructor(compress: (path: string) => Promise<CompressResult>, report: (outcome: CompressOutcome) => void) {
    this.#compress = compress;
    this.#report = report;
  }

  /** Paths waiting or in progress. */
  get size(): number {
    return this.#pending.size;
  }

  push(path: string): void {
    if (this.#pending.has(path)) return;
    this.#pending.add(path);
    this.#waiting.push(path);
    if (!this.#running) void this.#run();
  }

  /** Resolves once nothing is waiting or in progress. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #run(): Promise<void> {
    this.#running = true;
    for (let path = this.#waiting.shift(); path !== undefined; path = this.#waiting.shift()) {
      let outcome: CompressOutcome;
      try {
        outcome = { type: 'done', ...(await this.#compress(path)) };
      } catch (error) {
        outcome = { type: 'failed', path, error };
      }
      this.#pending.delete(path);
      try {
        this.#report(outcome);
      } catch {
        // A reporter that throws must not stop the files after this one.
      }
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}
