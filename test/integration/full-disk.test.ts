/**
 * A disk that fills up and stays full, for real: a 256 KiB tmpfs mounted for the test, an app
 * (child process, test/fixtures/full-disk-app.ts) logging about twice what it holds with size
 * rotation, then ending while it is still full, by close() and by process.exit() (the exit
 * drain). Every file, live and rotated, must end with a whole line and hold only whole records,
 * and every record must be either in a file or counted in writeFailed.
 *
 * Mounting needs root (CAP_SYS_ADMIN) on Linux; where it is not allowed the tests are skipped
 * with a message saying why. The two apps run at once: each spends ~2.3 s in retries (sleeps).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FullDiskResult } from '../fixtures/full-disk-app.js';
import { forEachRecord, logFiles } from '../support/log-files.js';
import { mountTmpfs, unmountTmpfs } from '../support/tmpfs.js';

const app = fileURLToPath(new URL('../../dist/test/fixtures/full-disk-app.js', import.meta.url));
const DISK = '256k';
/** About 200 bytes each: ~400 KB, half again past what the disk holds. */
const RECORDS = 2000;
const ENDS = ['close', 'exit'] as const;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const dirs = new Map<string, string>();
const runs = new Map<string, Promise<Run>>();
/** Why the disk could not be mounted; undefined when it was. */
let cannotMount: string | undefined;

function runApp(dir: string, end: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [app, dir, end, String(RECORDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(() => {
  for (const end of ENDS) {
    const dir = mkdtempSync(join(tmpdir(), `ringlog-full-${end}-`));
    dirs.set(end, dir);
    cannotMount ??= mountTmpfs(dir, DISK);
    if (cannotMount !== undefined) break;
    runs.set(end, runApp(dir, end));
  }
  if (cannotMount !== undefined) {
    console.warn(`full-disk tests SKIPPED: cannot mount a ${DISK} tmpfs here (${cannotMount})`);
  }
});

afterAll(async () => {
  await Promise.allSettled(runs.values());
  for (const dir of dirs.values()) {
    unmountTmpfs(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe(`a disk that stays full (a ${DISK} tmpfs)`, () => {
  it.for(ENDS)('ended by %s while full: every file ends with a whole line, and every record is written or counted', async (end, context) => {
    if (cannotMount !== undefined) context.skip(`cannot mount a tmpfs: ${cannotMount}`);
    const dir = dirs.get(end)!;
    const run = await runs.get(end)!;
    expect(run.status, run.stderr).toBe(0);
    const { stats, events } = JSON.parse(run.stdout) as FullDiskResult;
    // The disk filled up: records were lost, and said so on stderr (the exit drain's own sinks say
    // it again) and as an 'error' event (at exit, only if the main thread got it before exiting).
    expect(stats['writeFailed']).toBeGreaterThan(0);
    if (end === 'close') expect(events).toEqual(['ERR_RINGLOG_WRITE ENOSPC']);
    for (const event of events) expect(event).toBe('ERR_RINGLOG_WRITE ENOSPC');
    expect(run.stderr).toMatch(/^ringlog: cannot write to .*app\.log \(ENOSPC: no space left on device, write\); retrying/);
    // Rotated before it filled, then stopped: the rotation's flush failed like any write.
    expect(stats['rotations']).toBeGreaterThan(0);
    const files = logFiles(dir, 'app.log');
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect([file, text.length === 0 || text.endsWith('\n')]).toEqual([file, true]);
    }
    // Whole JSON records only, each once, in order across the files.
    const seqs: number[] = [];
    forEachRecord(dir, 'app.log', (record) => seqs.push(record['seq'] as number));
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length + stats['writeFailed']!).toBe(RECORDS);
    expect(stats['recordsWritten']).toBe(seqs.length);
    // What was counted written is what the files hold: nothing torn off was left counted.
    expect(stats['bytesWritten']).toBe(files.reduce((sum, file) => sum + statSync(file).size, 0));
  });
});
