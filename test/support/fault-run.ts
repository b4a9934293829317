/** Runs test/fixtures/fault-app.ts in a child process and reads back what it wrote. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { FaultPlan, FaultResult } from '../fixtures/fault-app.js';
import { checksum } from '../fixtures/stress-text.js';
import { forEachRecord } from './log-files.js';

const app = fileURLToPath(new URL('../../dist/test/fixtures/fault-app.js', import.meta.url));

export interface FaultRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly result: FaultResult;
}

export function runFaultApp(dir: string, plan: FaultPlan, fault?: string, timeout = 60_000): FaultRun {
  const env = { ...process.env };
  if (fault === undefined) delete env['RINGLOG_INTERNAL_TEST_FAULT'];
  else env['RINGLOG_INTERNAL_TEST_FAULT'] = fault;
  const run = spawnSync(process.execPath, [app, dir, JSON.stringify(plan)], { encoding: 'utf8', timeout, env });
  if (run.status !== 0) throw new Error(`fault-app ended with ${run.status ?? run.signal}: ${run.stderr}`);
  return { status: run.status, signal: run.signal, stderr: run.stderr, result: JSON.parse(run.stdout) as FaultResult };
}

export interface Arrived {
  /** Records per source ('main', 'worker 0', ...): how many arrived. */
  readonly counts: Map<string, number>;
  /** Sources whose records have gaps (allowed only where records were lost and counted). */
  readonly gaps: number;
  /** ringlog's own "records dropped" lines. */
  readonly notices: { dropped: number }[];
  readonly lines: number;
}

/**
 * Reads every line of `base` and its rotations: each parses, each stress record is intact (its checksum), and each source's
 * records come in increasing order, never twice.
 */
export function readArrived(dir: string, base = 'app.log'): Arrived {
  const next = new Map<string, number>();
  const counts = new Map<string, number>();
  const notices: { dropped: number }[] = [];
  let gaps = 0;
  let lines = 0;
  forEachRecord(dir, base, (record) => {
    lines++;
    if (record['name'] === 'ringlog') {
      notices.push({ dropped: record['dropped'] as number });
      return;
    }
    const source = record['name'] === 'main' ? 'main' : `worker ${String(record['worker'])}`;
    if (record['name'] === 'stress') expect(checksum(record['msg'] as string)).toBe(record['sum']);
    const seq = record['seq'] as number;
    const expected = next.get(source) ?? 0;
    expect(seq).toBeGreaterThanOrEqual(expected);
    if (seq > expected) gaps++;
    next.set(source, seq + 1);
    counts.set(source, (counts.get(source) ?? 0) + 1);
  });
  return { counts, gaps, notices, lines };
}

export function total(plan: FaultPlan): number {
  return plan.workers * plan.perWorker + plan.main;
}

export function sum(counts: Map<string, number>): number {
  let n = 0;
  for (const count of counts.values()) n += count;
  return n;
}
