/**
 * The goals the project set for ringlog, checked against this run's numbers, so a reader sees at
 * a glance which ones are met. Ratios come from one run (each round's variants ran back to back).
 */
import type { Config } from './config.js';
import type { WorkersResult } from '../scenarios/throughput.js';
import type { Result as LatencyResult } from '../scenarios/latency.js';
import { fixed, table, times } from './format.js';

export interface Target {
  readonly goal: string;
  readonly measured: number;
  readonly display: string;
  /** undefined: not measured in this run (scenario, N or variant left out). */
  readonly pass: boolean | undefined;
}

const TARGET_WORKERS = 4;
const TARGET_RECORDS = 200_000;

export function checkTargets(throughput: readonly WorkersResult[] | undefined, latency: LatencyResult | undefined): Target[] {
  const atN = (n: number): WorkersResult | undefined => throughput?.find((r) => r.workers === n);
  const speedup = (variant: 'queue-batched' | 'pino-transports' | 'queue-per-record', goal: number): Target => {
    const measured = atN(TARGET_WORKERS)?.summary[variant]?.ringlogSpeedup ?? NaN;
    return {
      goal: `N=${TARGET_WORKERS}: ringlog records/s >= ${goal}x ${variant}`,
      measured,
      display: times(measured),
      pass: Number.isFinite(measured) ? measured >= goal : undefined,
    };
  };
  const overFloor = (variant: 'ringlog' | 'ringlog-64mib', label: string): Target => {
    const measured = atN(1)?.summary[variant]?.callNsOverFloor ?? NaN;
    return {
      goal: `N=1: ${label} ns/call <= 0.5x floor`,
      measured,
      display: times(measured),
      pass: Number.isFinite(measured) ? measured <= 0.5 : undefined,
    };
  };
  const p999 = latency?.ringlog.p999 ?? NaN;
  return [
    speedup('queue-batched', 1.5),
    speedup('pino-transports', 3),
    speedup('queue-per-record', 4),
    overFloor('ringlog', 'ringlog'),
    overFloor('ringlog-64mib', 'ringlog (64 MiB ring)'),
    {
      goal: 'ringlog info() p99.9 <= 2 us (ring not full)',
      measured: p999,
      display: Number.isFinite(p999) ? `${fixed(p999 / 1000, 2)} us` : '-',
      pass: Number.isFinite(p999) ? p999 <= 2000 : undefined,
    },
  ];
}

export function formatTargets(config: Config, targets: readonly Target[]): string {
  const rows = targets.map((t) => [t.goal, t.display, t.pass === undefined ? 'not measured' : t.pass ? 'PASS' : 'MISS']);
  const caveat =
    config.recordsPerWorker < TARGET_RECORDS
      ? `\n(M=${config.recordsPerWorker} is below the ${TARGET_RECORDS} the targets are defined for: indicative only)`
      : '';
  return table(['target', 'measured', ''], rows) + caveat;
}
