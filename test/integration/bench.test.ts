/**
 * The benchmark suite in its quick mode, once per test run, so that it cannot rot: every
 * variant and scenario still runs and ringlog's records all arrive. No timing is asserted: the
 * numbers depend on the machine; only that they were produced, and that nothing was lost. The
 * targets table must be there, with PASS or MISS on each target, whichever it is.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/log-files.js';

const main = fileURLToPath(new URL('../../dist/bench/main.js', import.meta.url));
/** From dist/: the verifier starts its worker threads from the built .js files. */
const verifyModule = new URL('../../dist/bench/lib/verify.js', import.meta.url).href;
type VerifyFile = (typeof import('../../bench/lib/verify.js'))['verifyFile'];
const VARIANTS = ['ringlog', 'ringlog-64mib', 'ringlog-text', 'queue-per-record', 'queue-batched', 'pino-transports', 'pino-destination', 'floor'];
const SCENARIOS = ['throughput', 'processes', 'drain', 'immediacy', 'overload', 'micro', 'latency', 'startup', 'targets'];
const ARRANGEMENTS = ['1 process x 4 workers', '4 processes x 1 worker -> aggregator'];
const DRAIN_CASES = ['json', 'text', 'printf', 'error', 'nested', 'child-per-request'];

interface Integrity {
  expected: number;
  intact: number;
  lost: number;
  duplicate: number;
  torn: number;
  outOfOrder: number;
}

interface Results {
  machine: { cores: number; node: string };
  throughput: {
    workers: number;
    measurements: { variant: string; cpuNsPerRecord: number; integrity?: Integrity }[];
    summary: Record<string, { cpuNsPerRecord: number; cpuOverFloor: number; overRinglog: number }>;
  }[];
  processes: {
    producers: number;
    records: number;
    measurements: {
      arrangement: string;
      recordsPerSec: number;
      cpuNsPerRecord: number;
      aggregatorCpuNsPerRecord?: number;
      integrity: Integrity;
      forwarders?: { pid: number; cpuNs: number; stats: { forwarded: number; spilled: number } }[];
    }[];
    summary: Record<string, { recordsPerSecOverThreads: number; cpuOverThreads: number; aggregatorHeadroom: number | null }>;
  };
  drain: {
    measurements: { case: string; records: number; linesPerSec: number; nsPerLine: number }[];
    summary: Record<string, { linesPerSec: number; nsPerLine: number; target?: number }>;
  };
  immediacy: unknown[];
  overload: unknown[];
  micro: { tasks: unknown[]; ringlogDroppedFull: number };
  latency: { ringlogDroppedFull: number };
  targets: { goal: string; pass?: boolean; informational?: boolean }[];
  failures: string[];
}

function runQuick(jsonPath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, '--quick', `--json=${jsonPath}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bench --quick', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('runs every variant and scenario, and ringlog writes every record exactly once, whole, in order', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const jsonPath = join(dir, 'results.json');
    const { code, stdout, stderr } = await runQuick(jsonPath);
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);

    expect(stdout).toMatch(/^machine {3}\d+ cores, /m);
    expect(stdout).toMatch(/^software  Node v\d+/m);
    for (const variant of VARIANTS) expect(stdout).toMatch(new RegExp(`^${variant} +[\\d,]+ `, 'm'));
    for (const scenario of SCENARIOS) expect(stdout).toContain(`== ${scenario}`);
    // The throughput tables' CPU columns, and the text variant's ratio.
    expect(stdout).toMatch(/^variant +records\/s +ringlog x faster +ns\/call +vs floor +cpu ns\/rec +cpu vs floor /m);
    expect(stdout).toMatch(/^ringlog-text records\/s \/ ringlog's \(JSON\): [\d.]+x/m);
    // The processes table: a row per arrangement, and B's ratios to A.
    expect(stdout).toMatch(/^arrangement +records\/s +x 1 process +cpu ns\/rec +cpu x 1 process +aggr\. ns\/rec +aggr\. cores /m);
    for (const name of ARRANGEMENTS) expect(stdout).toMatch(new RegExp(`^${name} +[\\d,]+ +[\\d.]+x +\\d+ +[\\d.]+x `, 'm'));
    expect(stdout).toMatch(/^4 processes x 1 worker -> aggregator: [\d.]+x the records\/s of 1 process x 4 workers, [\d.]+x its CPU per record/m);
    // The drain table: a row per case.
    expect(stdout).toMatch(/^case +lines\/s +ns\/line +bytes\/line +target lines\/s$/m);
    for (const name of DRAIN_CASES) expect(stdout).toMatch(new RegExp(`^${name} +[\\d,]+ +\\d+ +\\d+`, 'm'));
    // The targets table: each target measured and judged, whichever way; the latency line informational.
    for (const goal of [
      'drain, the JSON line: >= 5 M lines/s',
      'drain, the text line with asctime: >= 3 M lines/s',
      'N=1: ringlog CPU/record <= 0.8x floor',
      'N=4: ringlog CPU/record <= 0.8x floor',
      'N=1: ringlog ns/call (throughput row) <= 0.6x floor',
      'N=4: ringlog records/s >= 1.0x floor',
      'N=4: ringlog records/s >= 2.0x queue-batched',
      'N=4: ringlog records/s >= 4.0x pino-transports',
      'N=4: ringlog records/s >= 6.0x queue-per-record',
      'N=4: ringlog-text records/s >= 0.7x ringlog',
      'processes: one core of aggregator takes >= 1.0x what 1 process x 4 workers logs',
      "startup: a worker's import + connect() + first info() <= 0.4x pino's",
    ]) {
      expect(stdout).toMatch(new RegExp(`^${goal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S.* (PASS|MISS)$`, 'm'));
    }
    expect(stdout).toMatch(/^ringlog info\(\) p99\.9, ring not full \(latency scenario\) +[\d.]+ us +info$/m);
    expect(stdout).toMatch(/below the 1,000,000 the targets are defined for/);
    expect(stdout).toMatch(/^ringlog integrity: OK/m);

    const results = JSON.parse(readFileSync(jsonPath, 'utf8')) as Results;
    expect(results.failures).toEqual([]);
    expect(results.throughput.map((r) => r.workers)).toEqual([1, 4]);
    for (const { measurements } of results.throughput) {
      expect(new Set(measurements.map((m) => m.variant))).toEqual(new Set(VARIANTS));
      for (const m of measurements) expect(m.cpuNsPerRecord).toBeGreaterThan(0);
      for (const m of measurements.filter((m) => m.variant.startsWith('ringlog'))) {
        const integrity = m.integrity!;
        expect(integrity.intact).toBe(integrity.expected);
        expect(integrity).toMatchObject({ lost: 0, duplicate: 0, torn: 0, outOfOrder: 0 });
      }
    }
    for (const { summary } of results.throughput) {
      expect(Number.isFinite(summary.ringlog!.cpuOverFloor)).toBe(true);
      expect(Number.isFinite(summary['ringlog-text']!.overRinglog)).toBe(true);
    }
    // Both arrangements in the quick run's one round; B's four forwarding processes each had all their lines acknowledged.
    expect(results.processes.measurements.map((m) => m.arrangement)).toEqual(['threads', 'processes']);
    for (const m of results.processes.measurements) {
      expect(m.cpuNsPerRecord).toBeGreaterThan(0);
      expect(m.integrity.intact).toBe(4 * results.processes.records);
      expect(m.integrity).toMatchObject({ expected: 4 * results.processes.records, lost: 0, duplicate: 0, torn: 0, outOfOrder: 0 });
    }
    // The goal's measure: one core of aggregator over what the single process logged.
    expect(results.processes.summary.processes!.aggregatorHeadroom).toBeGreaterThan(0);
    // NaN for A, which has no aggregator: null in the JSON.
    expect(results.processes.summary.threads!.aggregatorHeadroom).toBeNull();
    for (const m of results.processes.measurements.filter((m) => m.arrangement === 'processes')) {
      expect(m.aggregatorCpuNsPerRecord).toBeGreaterThan(0);
      expect(m.forwarders).toHaveLength(4);
      expect(new Set(m.forwarders!.map((f) => f.pid)).size).toBe(4);
      for (const f of m.forwarders!) expect(f.stats).toMatchObject({ forwarded: results.processes.records, spilled: 0 });
    }
    expect(Number.isFinite(results.processes.summary.processes!.recordsPerSecOverThreads)).toBe(true);
    expect(Number.isFinite(results.processes.summary.processes!.cpuOverThreads)).toBe(true);
    // Every case ran (once in the quick run; its lines were counted in the measuring process, or it failed).
    expect(results.drain.measurements.map((m) => m.case)).toEqual(DRAIN_CASES);
    for (const name of DRAIN_CASES) expect(results.drain.summary[name]!.linesPerSec).toBeGreaterThan(0);
    expect(results.immediacy).toHaveLength(4);
    expect(results.overload).toHaveLength(4);
    // Four calls of ringlog, of ringlog with redact paths and of pino twice; a redacted call of both ringlogs.
    expect(results.micro.tasks).toHaveLength(18);
    expect(results.micro.ringlogDroppedFull).toBe(0);
    expect(results.latency.ringlogDroppedFull).toBe(0);
    expect(results.targets).toHaveLength(13);
    expect(results.targets.filter((t) => t.informational !== true).every((t) => typeof t.pass === 'boolean')).toBe(true);
  }, 120_000);
});

describe('bench verifier', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());
  const MESSAGE = 'processed job';
  const json = (worker: number, i: number): string =>
    `{"level":30,"time":1796178559477,"pid":5274,"hostname":"vm","worker":${worker},"i":${i},"msg":"${MESSAGE}"}\n`;
  const text = (worker: number, i: number): string => `2026-12-02 02:22:57,123 root INFO     ${MESSAGE} {"worker":${worker},"i":${i}}\n`;

  async function verify(content: string, workers: number, records: number, lines: 'json' | 'text', pids?: number[]) {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const path = join(dir, 'app.log');
    writeFileSync(path, content);
    const { verifyFile } = (await import(verifyModule)) as { verifyFile: VerifyFile };
    return verifyFile(path, workers, records, MESSAGE, lines, pids === undefined ? {} : { pids });
  }

  it('counts JSON lines whole, lost, duplicate, torn and out of order; valid lines of another shape are whole too', async () => {
    const content = [
      json(0, 0),
      // Valid JSON of the record, keys in another order and an escape: the slow path takes it.
      `{"msg":"${MESSAGE}","i":0,"worker":1,"level":30,"time":1,"pid":2,"hostname":"v\\u006d"}\n`,
      json(0, 2),
      json(0, 1), // after a later record of its worker
      json(0, 2), // a duplicate (and not out of order: not below the one before)
      json(1, 1),
      '{"level":30,"time":1,"pid":2,"hostname":"vm","worker":1,"i":02,"msg":"processed job"}\n', // a leading zero: not JSON
      `{"level":30,"time":1796178559477,"pid":5274,"hostname":"vm","worker":1,"i":2,"msg":"other"}\n`,
      json(1, 2).slice(0, 40), // a last line without its newline
    ].join('');
    expect(await verify(content, 2, 4, 'json')).toEqual({ expected: 8, lines: 9, intact: 5, lost: 3, duplicate: 1, torn: 3, outOfOrder: 1 });
  });

  it('with pids, counts each (pid, worker) of a file several processes wrote; a line of another pid is not a record', async () => {
    const from = (pid: number, worker: number, i: number): string => json(worker, i).replace('"pid":5274', `"pid":${pid}`);
    const content = [
      from(101, 0, 0),
      from(202, 0, 0), // the same (worker, i) from another process: its own record, not a duplicate
      from(202, 0, 1),
      from(101, 0, 1),
      from(101, 0, 0), // a duplicate, and out of order for (101, 0)
      from(303, 0, 2), // a process that is not of the run
      // Valid JSON of the record, keys in another order: the slow path reads the pid too.
      `{"msg":"${MESSAGE}","i":2,"worker":0,"pid":202,"level":30,"time":1,"hostname":"vm"}\n`,
    ].join('');
    expect(await verify(content, 1, 3, 'json', [101, 202])).toEqual({ expected: 6, lines: 7, intact: 5, lost: 1, duplicate: 1, torn: 1, outOfOrder: 1 });
  });

  it('counts text lines of the template, extras exactly { worker, i }', async () => {
    const content = [
      text(0, 0),
      text(0, 1),
      text(1, 1),
      text(1, 0), // out of order
      `2026-12-02 02:22:57,123 root INFO     ${MESSAGE} {"i":2,"worker":0}\n`, // keys the other way round: whole
      `2026-12-02 02:22:57,123 root INFO     ${MESSAGE} {"worker":0,"i":3,"x":1}\n`, // more extras: not the record
      `2026-12-02 02:22:57,123 root WARNING  ${MESSAGE} {"worker":0,"i":3}\n`, // another level
      `2026-12-02 02:22:57 root INFO     ${MESSAGE} {"worker":1,"i":2}\n`, // no milliseconds
    ].join('');
    expect(await verify(content, 2, 4, 'text')).toEqual({ expected: 8, lines: 8, intact: 5, lost: 3, duplicate: 0, torn: 3, outOfOrder: 1 });
  });

  it('checks order across the parts a large file is split into', async () => {
    // Over 16 MiB, so two threads each check half: worker 1's two records are one in each half, the wrong way round.
    const records = 200_000;
    const lines = [json(1, 1)];
    for (let i = 0; i < records; i++) lines.push(json(0, i));
    lines.push(json(1, 0));
    const result = await verify(lines.join(''), 2, records, 'json');
    expect(result).toEqual({ expected: 2 * records, lines: records + 2, intact: records + 2, lost: records - 2, duplicate: 0, torn: 0, outOfOrder: 1 });
  });
});
