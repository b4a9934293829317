/**
 * The benchmark suite in its quick mode, once per test run, so that it cannot rot: every
 * variant and scenario still runs and ringlog's records all arrive. No timing is asserted: the
 * numbers depend on the machine; only that they were produced, and that nothing was lost.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './support/log-files.js';

const main = fileURLToPath(new URL('../dist/bench/main.js', import.meta.url));
const VARIANTS = ['ringlog', 'ringlog-64mib', 'queue-per-record', 'queue-batched', 'pino-transports', 'floor'];

interface Integrity {
  expected: number;
  intact: number;
  lost: number;
  duplicate: number;
  torn: number;
}

interface Results {
  machine: { cores: number; node: string };
  throughput: { workers: number; measurements: { variant: string; integrity?: Integrity }[] }[];
  immediacy: unknown[];
  overload: unknown[];
  micro: { tasks: unknown[]; ringlogDroppedFull: number };
  latency: { ringlogDroppedFull: number };
  targets: { goal: string; pass?: boolean }[];
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

  it('runs every variant and scenario, and ringlog writes every record exactly once, whole', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const jsonPath = join(dir, 'results.json');
    const { code, stdout, stderr } = await runQuick(jsonPath);
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);

    expect(stdout).toMatch(/^machine {3}\d+ cores, /m);
    expect(stdout).toMatch(/^software  Node v\d+/m);
    for (const variant of VARIANTS) expect(stdout).toMatch(new RegExp(`^${variant} +[\\d,]+ `, 'm'));
    for (const scenario of ['throughput', 'immediacy', 'overload', 'micro', 'latency', 'targets']) {
      expect(stdout).toContain(`== ${scenario}`);
    }
    expect(stdout).toMatch(/^ringlog integrity: OK/m);

    const results = JSON.parse(readFileSync(jsonPath, 'utf8')) as Results;
    expect(results.failures).toEqual([]);
    expect(results.throughput.map((r) => r.workers)).toEqual([1, 4]);
    for (const { measurements } of results.throughput) {
      expect(new Set(measurements.map((m) => m.variant))).toEqual(new Set(VARIANTS));
      for (const m of measurements.filter((m) => m.variant.startsWith('ringlog'))) {
        const integrity = m.integrity!;
        expect(integrity.intact).toBe(integrity.expected);
        expect(integrity).toMatchObject({ lost: 0, duplicate: 0, torn: 0 });
      }
    }
    expect(results.immediacy).toHaveLength(4);
    expect(results.overload).toHaveLength(4);
    expect(results.micro.tasks).toHaveLength(12);
    expect(results.micro.ringlogDroppedFull).toBe(0);
    expect(results.latency.ringlogDroppedFull).toBe(0);
    expect(results.targets).toHaveLength(6);
  }, 120_000);
});
