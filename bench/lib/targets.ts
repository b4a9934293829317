/**
 * The goals the project set for ringlog (issue 9, "The consumer is the ceiling"; issue 10, the
 * aggregator must not become the new ceiling; issue 12, a worker's startup), checked against
 * this run's numbers, so a reader sees at a glance which ones are met. Ratios come from one run
 * (each round's variants ran back to back). A throughput, processes or drain goal is defined for
 * M >= 1,000,000 records per worker and per drain case: shorter runs measure V8's warm-up and the
 * queues' buffering more than steady state, and are marked as indicative.
 */
import type { Config, VariantName } from './config.js';
import type { WorkersResult } from '../scenarios/throughput.js';
import type { Result as LatencyResult } from '../scenarios/latency.js';
import { STARTUP_TARGET, type Result as StartupResult } from '../scenarios/startup.js';
import { PROCESSES_TARGET, type Result as ProcessesResult } from '../scenarios/processes.js';
import { DRAIN_TARGETS, type DrainCase, type Result as DrainResult } from '../scenarios/drain.js';
import { fixed, int, table, times } from './format.js';

export interface Target {
  readonly goal: string;
  readonly measured: number;
  readonly display: string;
  /** undefined: not measured in this run (scenario, N or variant left out), or informational. */
  readonly pass: boolean | undefined;
  /** Shown for information, without PASS or MISS. */
  readonly informational?: boolean;
}

const TARGET_RECORDS = 1_000_000;

export interface TargetInputs {
  readonly throughput?: readonly WorkersResult[] | undefined;
  readonly processes?: ProcessesResult | undefined;
  readonly drain?: DrainResult | undefined;
  readonly latency?: LatencyResult | undefined;
  readonly startup?: StartupResult | undefined;
}

export function checkTargets({ throughput, processes, drain, latency, startup }: TargetInputs): Target[] {
  const atN = (n: number): WorkersResult | undefined => throughput?.find((r) => r.workers === n);
  const judged = (goal: string, measured: number, display: string, pass: (m: number) => boolean): Target => ({
    goal,
    measured,
    display: Number.isFinite(measured) ? display : '-',
    pass: Number.isFinite(measured) ? pass(measured) : undefined,
  });
  const drainRate = (name: DrainCase, label: string): Target => {
    const goal = DRAIN_TARGETS[name]!;
    const measured = drain?.summary[name].linesPerSec ?? NaN;
    return judged(`drain, ${label}: >= ${fixed(goal / 1e6, 0)} M lines/s`, measured, `${fixed(measured / 1e6, 2)} M/s`, (m) => m >= goal);
  };
  const cpu = (n: number): Target => {
    const measured = atN(n)?.summary.ringlog?.cpuOverFloor ?? NaN;
    return judged(`N=${n}: ringlog CPU/record <= 0.8x floor`, measured, times(measured), (m) => m <= 0.8);
  };
  const faster = (variant: VariantName, goal: number): Target => {
    const measured = atN(4)?.summary[variant]?.ringlogSpeedup ?? NaN;
    return judged(`N=4: ringlog records/s >= ${fixed(goal, 1)}x ${variant}`, measured, times(measured), (m) => m >= goal);
  };
  const callNs = atN(1)?.summary.ringlog?.callNsOverFloor ?? NaN;
  const text = atN(4)?.summary['ringlog-text']?.overRinglog ?? NaN;
  const p999 = latency?.ringlog.p999 ?? NaN;
  const start = startup?.ringlogOverPino ?? NaN;
  const headroom = processes?.summary.processes.aggregatorHeadroom ?? NaN;
  return [
    drainRate('json', 'the JSON line'),
    drainRate('text', 'the text line with asctime'),
    cpu(1),
    cpu(4),
    judged('N=1: ringlog ns/call (throughput row) <= 0.6x floor', callNs, times(callNs), (m) => m <= 0.6),
    faster('floor', 1),
    faster('queue-batched', 2),
    faster('pino-transports', 4),
    faster('queue-per-record', 6),
    judged('N=4: ringlog-text records/s >= 0.7x ringlog', text, times(text), (m) => m >= 0.7),
    judged(
      `processes: one core of aggregator takes >= ${fixed(PROCESSES_TARGET, 1)}x what 1 process x 4 workers logs`,
      headroom,
      times(headroom),
      (m) => m >= PROCESSES_TARGET,
    ),
    judged(
      `startup: a worker's import + connect() + first info() <= ${fixed(STARTUP_TARGET, 1)}x pino's`,
      start,
      times(start),
      (m) => m <= STARTUP_TARGET,
    ),
    {
      goal: 'ringlog info() p99.9, ring not full (latency scenario)',
      measured: p999,
      display: Number.isFinite(p999) ? `${fixed(p999 / 1000, 2)} us` : '-',
      pass: undefined,
      informational: true,
    },
  ];
}

export function formatTargets(config: Config, targets: readonly Target[]): string {
  const rows = targets.map((t) => [
    t.goal,
    t.display,
    t.informational === true ? 'info' : t.pass === undefined ? 'not measured' : t.pass ? 'PASS' : 'MISS',
  ]);
  const short = [
    (config.scenarios.includes('throughput') || config.scenarios.includes('processes')) && config.recordsPerWorker < TARGET_RECORDS
      ? `M=${int(config.recordsPerWorker)}`
      : undefined,
    config.scenarios.includes('drain') && config.drainRecords < TARGET_RECORDS ? `${int(config.drainRecords)} records per drain case` : undefined,
  ].filter((each) => each !== undefined);
  const caveat =
    short.length > 0 ? `\n(${short.join(' and ')}: below the ${int(TARGET_RECORDS)} the targets are defined for, indicative only)` : '';
  return table(['target', 'measured', ''], rows) + caveat;
}
