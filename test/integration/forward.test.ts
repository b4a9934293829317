/**
 * Many processes, one set of files (issue 10): real processes, real Unix sockets, small rings
 * and outboxes (64KiB) so that back-pressure happens. Every line of the aggregator's file is
 * parsed back and checked: each (pid, thread) has its records exactly once, in order, whole.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecords, tempDir } from '../support/log-files.js';

const app = fileURLToPath(new URL('../../dist/test/fixtures/forward-app.js', import.meta.url));

interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first stdout line starting with `prefix` (past or future). */
  line(prefix: string): Promise<string>;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

const running = new Set<ChildProcess>();

function start(role: string, ...args: (string | number)[]): Proc {
  const child = spawn(process.execPath, [app, role, ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  running.add(child);
  const lines: string[] = [];
  const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      lines.push(line);
      for (const wait of waiting.splice(0)) {
        if (line.startsWith(wait.prefix)) wait.resolve(line);
        else waiting.push(wait);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return {
    child,
    pid: child.pid!,
    exited,
    stderr: () => stderr,
    line(prefix) {
      const seen = lines.find((line) => line.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiting.push({ prefix, resolve });
        void exited.then((code) => reject(new Error(`${role} exited (${code}) before printing '${prefix}'; stderr: ${stderr}`)));
      });
    },
  };
}

async function stats(proc: Proc): Promise<Record<string, number>> {
  return JSON.parse((await proc.line('stats ')).slice('stats '.length)) as Record<string, number>;
}

async function closeAggregator(aggregator: Proc): Promise<Record<string, number>> {
  aggregator.child.stdin!.write('close\n');
  const result = await stats(aggregator);
  expect(await aggregator.exited).toBe(0);
  return result;
}

/** The records of the file by source ('<pid>:<thread>'), in file order; throws on a torn line. */
function bySource(dir: string): Map<string, number[]> {
  const sources = new Map<string, number[]>();
  for (const record of readRecords(dir, 'app.log')) {
    const src = record['src'];
    if (typeof src !== 'string') continue;
    const seen = sources.get(src) ?? [];
    seen.push(record['i'] as number);
    sources.set(src, seen);
  }
  return sources;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Every expected source has exactly 0..count-1, in order. */
function expectExactlyOnce(sources: Map<string, number[]>, pids: readonly number[], threads: number, count: number): void {
  const expected = pids.flatMap((pid) => Array.from({ length: threads }, (_, t) => `${pid}:${t}`)).sort();
  expect([...sources.keys()].sort()).toEqual(expected);
  for (const [src, seen] of sources) expect(seen, src).toEqual(upTo(count));
}

/** Drops repeats (a batch written twice), keeping first occurrences; returns how many were dropped. */
function withoutRepeats(seen: number[]): { unique: number[]; repeats: number } {
  const set = new Set<number>();
  const unique: number[] = [];
  for (const i of seen) if (!set.has(i)) (set.add(i), unique.push(i));
  return { unique, repeats: seen.length - unique.length };
}

describe('forwarding to an aggregator', () => {
  let cleanup = (): void => {};
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
    cleanup();
  });
  const dir = (): string => {
    const made = tempDir();
    cleanup = made.remove;
    return made.dir;
  };

  it('child_process forks: 3 processes x 2 threads, exactly once and in order', async () => {
    const d = dir();
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const forwarders = [0, 1, 2].map(() => start('forwarder', d, 2, 10_000, 'close'));
    const sent = await Promise.all(forwarders.map(stats));
    for (const s of sent) {
      expect(s['forwarded']).toBe(20_000);
      expect(s['recordsDropped']).toBe(0);
    }
    const received = await closeAggregator(aggregator);
    expect(received['received']).toBe(60_000);
    expect(received['duplicates']).toBe(0);
    expectExactlyOnce(bySource(d), forwarders.map((f) => f.pid), 2, 10_000);
    // The socket is 0600, and gone once the aggregator closed.
    expect(existsSync(join(d, 'agg.sock'))).toBe(false);
  });

  it('node:cluster: 3 workers x 2 threads forward to the primary', async () => {
    const d = dir();
    const primary = start('cluster', d, 3, 2, 10_000, 'close');
    const pids = JSON.parse((await primary.line('pids ')).slice(5)) as number[];
    const s = await stats(primary);
    expect(await primary.exited).toBe(0);
    expect(s['received']).toBe(60_000);
    expectExactlyOnce(bySource(d), pids, 2, 10_000);
  });

  it('process.exit() without close() still delivers what was committed', async () => {
    const d = dir();
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const forwarders = [0, 1].map(() => start('forwarder', d, 2, 10_000, 'exit'));
    for (const f of forwarders) expect(await f.exited).toBe(0);
    await closeAggregator(aggregator);
    expectExactlyOnce(bySource(d), forwarders.map((f) => f.pid), 2, 10_000);
  });

  it('a sender started before its aggregator waits, spills, and replays in order', async () => {
    const d = dir();
    // Spill after 200 ms away: most of the 2 x 10000 records go to the spill file first.
    const early = start('forwarder', d, 2, 10_000, 'linger', 200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const sent = await stats(early);
    expect(sent['spilled']).toBeGreaterThan(0);
    expect(sent['forwarded']).toBe(20_000);
    await closeAggregator(aggregator);
    expectExactlyOnce(bySource(d), [early.pid], 2, 10_000);
    // One 'error' and one 'recover' for the episode, however many attempts it took.
    expect(occurrences(early.stderr(), 'cannot forward to the aggregator')).toBe(1);
    expect(occurrences(early.stderr(), 'works again after')).toBe(1);
    expect(early.stderr()).toContain('; 0 lines were lost');
    // Replayed and acknowledged: the spill file is gone.
    expect(readdirSync(join(d, 'agg.sock.spill'))).toEqual([]);
  });

  it('past the spill cap, lines are dropped and counted; the rest arrive in order', async () => {
    const d = dir();
    const early = start('forwarder', d, 2, 10_000, 'linger', 100, '64KiB');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const sent = await stats(early);
    expect(sent['forwardDropped']).toBeGreaterThan(0);
    expect(sent['forwarded']! + sent['forwardDropped']!).toBe(20_000);
    expect(sent['recordsDropped']).toBe(sent['forwardDropped']);
    const received = await closeAggregator(aggregator);
    expect(received['received']).toBe(sent['forwarded']);
    let arrived = 0;
    for (const [, seen] of bySource(d)) {
      arrived += seen.length;
      for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeGreaterThan(seen[k - 1]!);
    }
    expect(arrived).toBe(sent['forwarded']);
    expect(early.stderr()).toContain(`; ${sent['forwardDropped']} lines were lost`);
  });

  it('a forwarder killed mid-run loses at most its own tail; the others lose nothing', async () => {
    const d = dir();
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const victim = start('forwarder', d, 2, 1_000_000, 'close');
    const others = [0, 1].map(() => start('forwarder', d, 2, 10_000, 'close'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    victim.child.kill('SIGKILL');
    await Promise.all(others.map(stats));
    await closeAggregator(aggregator);
    const sources = bySource(d);
    for (const other of others) for (const t of [0, 1]) expect(sources.get(`${other.pid}:${t}`)).toEqual(upTo(10_000));
    for (const t of [0, 1]) {
      const seen = sources.get(`${victim.pid}:${t}`) ?? [];
      expect(seen.length).toBeLessThan(1_000_000);
      expect(seen).toEqual(upTo(seen.length));
    }
  });

  it('an aggregator killed and restarted mid-run: nothing lost, repeats only as counted', async () => {
    const d = dir();
    let aggregator = start('aggregator', d);
    await aggregator.line('up');
    const forwarders = [0, 1].map(() => start('forwarder', d, 2, 40_000, 'close', 3000));
    await new Promise((resolve) => setTimeout(resolve, 700));
    aggregator.child.kill('SIGKILL');
    await aggregator.exited;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Its socket file is left behind: the new aggregator replaces it.
    aggregator = start('aggregator', d);
    await aggregator.line('up');
    await Promise.all(forwarders.map(stats));
    const received = await closeAggregator(aggregator);
    const sources = bySource(d);
    let repeats = 0;
    for (const f of forwarders) {
      for (const t of [0, 1]) {
        const { unique, repeats: r } = withoutRepeats(sources.get(`${f.pid}:${t}`) ?? []);
        expect(unique).toEqual(upTo(40_000));
        repeats += r;
      }
    }
    if (repeats > 0) expect(received['maybeDuplicated']).toBeGreaterThan(0);
  });

  it('cluster workers whose primary dies spill; the next start replays their files', async () => {
    const d = dir();
    const primary = start('cluster', d, 2, 2, 5000, 'die');
    const pids = JSON.parse((await primary.line('pids ')).slice(5)) as number[];
    await primary.exited;
    // The workers notice the primary is gone and exit, spilling what the aggregator never acknowledged.
    for (const pid of pids) await waitUntil(() => !isRunning(pid));
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const picker = start('forwarder', d, 1, 0, 'linger');
    await stats(picker);
    await closeAggregator(aggregator);
    const sources = bySource(d);
    for (const pid of pids) {
      for (const t of [0, 1]) {
        const { unique } = withoutRepeats(sources.get(`${pid}:${t}`) ?? []);
        expect(unique, `${pid}:${t}`).toEqual(upTo(5000));
      }
    }
  });

  it('a hostile peer is disconnected and reported; the others go on', async () => {
    const d = dir();
    const aggregator = start('aggregator', d);
    await aggregator.line('up');
    const socket = join(d, 'agg.sock');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const forwarder = start('forwarder', d, 2, 20_000, 'close');
    // Garbage before HELLO, and a HELLO followed by a frame over the agreed size.
    await hostile(socket, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const hello = Buffer.from(JSON.stringify({ v: 1, session: 'a'.repeat(32), pid: 1, maxFrame: 4096 }));
    const head = Buffer.alloc(5);
    head.writeUInt32LE(hello.length, 0);
    head[4] = 1;
    const huge = Buffer.alloc(5);
    huge.writeUInt32LE(1 << 30, 0);
    huge[4] = 3;
    await hostile(socket, Buffer.concat([head, hello, huge]));
    await aggregator.line('error ERR_RINGLOG_PEER');
    await stats(forwarder);
    await closeAggregator(aggregator);
    expectExactlyOnce(bySource(d), [forwarder.pid], 2, 20_000);
    expect(aggregator.stderr()).toContain('it was disconnected');
  });

  it('a second aggregator on a live socket fails with a clear error; the first goes on', async () => {
    const d = dir();
    const first = start('aggregator', d);
    await first.line('up');
    const second = start('aggregator', d);
    expect(await second.exited).not.toBe(0);
    expect(second.stderr()).toContain('another aggregator is listening on it');
    expect(second.stderr()).toContain('ERR_RINGLOG_LISTEN');
    const forwarder = start('forwarder', d, 1, 1000, 'close');
    await stats(forwarder);
    await closeAggregator(first);
    expectExactlyOnce(bySource(d), [forwarder.pid], 1, 1000);
  });
});

/** Connects, writes `bytes`, and resolves when the aggregator hangs up. */
function hostile(path: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(path, () => socket.write(bytes));
    // Read what it says (a WELCOME): a socket left unread never sees the other side close.
    socket.resume();
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
