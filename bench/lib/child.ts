/**
 * Every measurement runs in a child process of its own (bench/child.ts), so that its memory
 * figures (maxRSS counts every thread of the process) belong to that one variant, and no JIT
 * state, heap or leftover thread of one run can favour or slow the next.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioName } from './config.js';

export interface ChildSpec {
  readonly scenario: ScenarioName;
  /** A fresh temporary directory for the run's files. */
  readonly dir: string;
}

type ChildReply<R> = { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: string };

const CHILD_URL = new URL('../child.js', import.meta.url);

/** Runs `spec` in a new Node process; rejects when it fails or takes longer than `timeoutMs`. */
export function inChild<R>(spec: ChildSpec, timeoutMs: number): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_URL, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: ChildReply<R> | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.scenario}: the measurement took longer than ${timeoutMs} ms and was killed`));
    }, timeoutMs);
    child.on('message', (message: ChildReply<R>) => {
      reply = message;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok === true) resolve(reply.result);
      else if (reply?.ok === false) reject(new Error(reply.error));
      else reject(new Error(`${spec.scenario}: the measuring process ended (${signal ?? `code ${code}`}) without a result`));
    });
  });
}

/** Runs `use` with a fresh directory under os.tmpdir(), deleted afterwards whatever happens. */
export async function withTempDir<T>(use: (dir: string) => Promise<T>, parent = tmpdir()): Promise<T> {
  const dir = mkdtempSync(join(parent, 'ringlog-bench-'));
  try {
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
