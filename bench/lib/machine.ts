/**
 * The machine a run was made on, printed first: numbers from a 2-core VM shared with test runs
 * and numbers from a quiet workstation must not be compared without knowing which is which.
 */
import { execFileSync } from 'node:child_process';
import { arch, availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly totalMemoryBytes: number;
  readonly node: string;
  readonly os: string;
  readonly date: string;
  readonly commit: string | undefined;
  /** 1-minute load average at the start: a busy machine explains noisy numbers. */
  readonly loadAverage: number;
}

export function describeMachine(): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    os: `${type()} ${release()} ${arch()}`,
    date: new Date().toISOString(),
    commit: gitCommit(),
    loadAverage: loadavg()[0] ?? 0,
  };
}

export function formatMachine(m: Machine): string {
  return [
    `machine   ${m.cores} cores, ${m.cpu}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB RAM, load ${m.loadAverage.toFixed(2)}`,
    `software  Node ${m.node}, ${m.os}`,
    `run       ${m.date}, commit ${m.commit ?? 'unknown'}`,
  ].join('\n');
}

function gitCommit(): string | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') === '' ? '' : ' (with uncommitted changes)';
    return `${git('rev-parse', '--short=12', 'HEAD')} on ${git('rev-parse', '--abbrev-ref', 'HEAD')}${dirty}`;
  } catch {
    return undefined;
  }
}
