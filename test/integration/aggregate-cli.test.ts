/**
 * `ringlog aggregate --config <file.json>` (src/bin/ringlog.ts), run as pm2 or systemd runs it:
 * the built command in a process of its own, two forked processes forwarding to it, SIGTERM to
 * end it. Every line of its files is parsed back: each (pid, i) once, in order per pid, whole.
 * And how it refuses: no `listen`, an invalid file, a socket another aggregator has, no command.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { forEachRecord, tempDir } from '../support/log-files.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'dist/src/bin/ringlog.js');
const index = pathToFileURL(join(root, 'dist/src/index.js')).href;
const COUNT = 5000;
const READY = /^ringlog: aggregating on (\S+) into (.+)$/m;

/** A forwarding process: `COUNT` numbered records, then close(), its stats on stdout. */
const FORWARDER = `
import { createLogBackend } from ${JSON.stringify(index)};
const [socket, form] = process.argv.slice(2);
// Both forms of the option; the object one with small buffers, so that back-pressure happens.
const backend = await createLogBackend(
  form === 'object' ? { bufferSize: '64KiB', forward: { address: socket, outboxSize: '64KiB' } } : { forward: socket },
);
const log = backend.logger('worker');
for (let i = 0; i < ${COUNT}; i++) log.info({ i }, 'job %d done', i);
process.stdout.write(JSON.stringify(await backend.close()) + '\\n');
`;

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit status. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

function track(child: ChildProcess): Run {
  running.add(child);
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    }),
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  return run;
}

function aggregate(config: string): Run {
  return track(spawn(process.execPath, [bin, 'aggregate', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Resolves once the aggregator says it is listening; rejects if it ends first. */
function ready(run: Run): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const look = (): void => {
      const match = READY.exec(run.stderr);
      if (match === null) return;
      run.child.stderr!.off('data', look);
      resolve(match);
    };
    run.child.stderr!.on('data', look);
    look();
    void run.exit.then(({ code, signal }) => reject(new Error(`the aggregator ended (${code ?? signal}) before it was ready:\n${run.stderr}`)));
  });
}

function writeConfig(dir: string, options: object, name = 'ringlog.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(options, null, 2));
  return path;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('ringlog aggregate', () => {
  let cleanup = (): void => {};
  afterEach(() => {
    // A test that failed half-way leaves nothing behind: only the processes it started.
    for (const child of running) child.kill('SIGKILL');
    running.clear();
    cleanup();
  });

  it('aggregates two forked processes into one rotating file: each record once, in order per process, whole', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const socket = join(dir, 'agg.sock');
    const log = join(dir, 'app.log');
    // The README's pm2 recipe's file, with paths in the temp folder and rotation small enough to happen.
    const config = writeConfig(dir, {
      listen: socket,
      bufferSize: '64KiB',
      file: { path: log, rotate: { maxSize: '256KiB', maxFiles: 20 } },
    });
    const aggregator = aggregate(config);
    const [, on, into] = await ready(aggregator);
    expect({ on, into }).toEqual({ on: socket, into: log });

    const script = join(dir, 'forwarder.mjs');
    writeFileSync(script, FORWARDER);
    const forwarders = ['string', 'object'].map((form) => track(fork(script, [socket, form], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })));
    const pids = forwarders.map(({ child }) => child.pid!);
    for (const forwarder of forwarders) {
      expect(await forwarder.exit).toEqual({ code: 0, signal: null });
      expect(forwarder.stderr).toBe('');
      const stats = JSON.parse(forwarder.stdout) as Record<string, number>;
      expect(stats).toMatchObject({ forwarded: COUNT, spilled: 0, forwardDropped: 0, recordsDropped: 0 });
    }

    aggregator.child.kill('SIGTERM');
    expect(await aggregator.exit).toEqual({ code: 0, signal: null });
    const said = lines(aggregator.stderr);
    expect(said).toHaveLength(2);
    const stats = JSON.parse(said[1]!) as Record<string, number>;
    expect(stats).toMatchObject({ received: 2 * COUNT, recordsWritten: 2 * COUNT, recordsDropped: 0, duplicates: 0, maybeDuplicated: 0 });
    expect(stats['rotations']).toBeGreaterThan(0);

    const seen = new Map<number, number[]>(pids.map((pid) => [pid, []]));
    const files = forEachRecord(dir, 'app.log', (record) => {
      const i = seen.get(record['pid'] as number);
      expect(i, `a line of no forwarder: ${JSON.stringify(record)}`).toBeDefined();
      expect(record).toMatchObject({ level: 30, name: 'worker', msg: `job ${String(record['i'])} done` });
      i!.push(record['i'] as number);
    });
    expect(files).toBeGreaterThan(1);
    const upTo = Array.from({ length: COUNT }, (_, i) => i);
    for (const pid of pids) expect({ pid, i: seen.get(pid) }).toEqual({ pid, i: upTo });
  });

  it('refuses a file without listen: exit 2, naming the option', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const config = writeConfig(dir, { file: join(dir, 'app.log') });
    const result = spawnSync(process.execPath, [bin, 'aggregate', '--config', config], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`ringlog: ${config}: options.listen is required`);
  });

  it.each([
    ['an invalid value', { listen: 'agg.sock', bufferSize: '10MB' }, 'options.bufferSize must be a power of two'],
    ['an unknown key', { listen: 'agg.sock', lisen: 'x' }, 'options.lisen is not a known option'],
    ['no root sink', { listen: 'agg.sock', sinks: [{ type: 'file', path: 'db.log', loggers: ['db'] }] }, 'options.listen: forwarded lines are written to the root sinks'],
  ])('refuses a file with %s: exit 2, naming the option', (_what, options, message) => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const config = writeConfig(dir, options);
    const result = spawnSync(process.execPath, [bin, 'aggregate', '--config', config], { encoding: 'utf8', timeout: 30_000, cwd: dir });
    expect(result.status).toBe(2);
    expect(lines(result.stderr)).toEqual([expect.stringContaining(`ringlog: ${config}: ${message}`)]);
  });

  it('refuses a file that is not there or not JSON: exit 2', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    writeFileSync(join(dir, 'broken.json'), '{ "listen": ');
    const missing = spawnSync(process.execPath, [bin, 'aggregate', '--config', join(dir, 'none.json')], { encoding: 'utf8', timeout: 30_000 });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read the configuration file ${join(dir, 'none.json')}`);
    const broken = spawnSync(process.execPath, [bin, 'aggregate', '-c', 'broken.json'], { encoding: 'utf8', timeout: 30_000, cwd: dir });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain(`${join(dir, 'broken.json')} is not valid JSON`);
  });

  it('a second aggregator on the same socket fails, and the first one is not disturbed', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const config = writeConfig(dir, { listen: join(dir, 'agg.sock'), file: join(dir, 'app.log') });
    const first = aggregate(config);
    await ready(first);
    const second = spawnSync(process.execPath, [bin, 'aggregate', '--config', config], { encoding: 'utf8', timeout: 30_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toBe(`ringlog: cannot listen on ${join(dir, 'agg.sock')}: another aggregator is listening on it\n`);

    // The first still takes lines.
    const script = join(dir, 'forwarder.mjs');
    writeFileSync(script, FORWARDER);
    const forwarder = track(fork(script, [join(dir, 'agg.sock'), 'string'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
    expect(await forwarder.exit).toEqual({ code: 0, signal: null });
    first.child.kill('SIGINT');
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(lines(first.stderr)[1]!)).toMatchObject({ received: COUNT, recordsWritten: COUNT });
    expect(lines(readFileSync(join(dir, 'app.log'), 'utf8'))).toHaveLength(COUNT);
  });

  it('exits 3 when its backend stops writing on its own (a consumer that keeps failing), so that a supervisor starts it again', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const socket = join(dir, 'agg.sock');
    const config = writeConfig(dir, { listen: socket, file: join(dir, 'app.log') });
    const env = { ...process.env, RINGLOG_INTERNAL_TEST_FAULT: 'throw-always' };
    const aggregator = track(spawn(process.execPath, [bin, 'aggregate', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env }));
    await ready(aggregator);
    // A forwarder that keeps logging: each batch it sends makes a flush, which throws, every time.
    const script = join(dir, 'steady.mjs');
    writeFileSync(
      script,
      `import { createLogBackend } from ${JSON.stringify(index)};
      const log = (await createLogBackend({ forward: process.argv[2] })).logger('worker');
      let i = 0;
      setInterval(() => { for (let k = 0; k < 100; k++) log.info({ i: i++ }, 'tick'); }, 5);`,
    );
    track(fork(script, [socket], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
    expect(await aggregator.exit).toEqual({ code: 3, signal: null });
    expect(aggregator.stderr).toMatch(/giving up on it: the main thread writes what is left in the ring and closes the backend\n/);
    expect(aggregator.stderr).toMatch(/\nringlog aggregate: the backend stopped writing on its own .*; exiting so that a supervisor starts the aggregator again\n$/);
  });

  it('restarted after a SIGKILL, it replaces the socket file the dead one left', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const socket = join(dir, 'agg.sock');
    const config = writeConfig(dir, { listen: socket, file: join(dir, 'app.log') });
    const killed = aggregate(config);
    await ready(killed);
    killed.child.kill('SIGKILL');
    expect(await killed.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(lstatSync(socket).isSocket()).toBe(true);

    const again = aggregate(config);
    await ready(again);
    again.child.kill('SIGTERM');
    expect(await again.exit).toEqual({ code: 0, signal: null });
    expect(lines(again.stderr)).toHaveLength(2);
  });

  it('prints its usage without arguments and with --help; an unknown command or option exits 2 with it', () => {
    for (const args of [[], ['--help'], ['aggregate', '--help']]) {
      const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({ args, status: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: ringlog aggregate --config <file.json>\n/);
      expect(result.stdout).toContain('Exit status');
    }
    for (const [args, message] of [
      [['frobnicate'], "ringlog: unknown command 'frobnicate'"],
      [['aggregate'], 'ringlog aggregate: --config <file.json> is required'],
      [['aggregate', '--confg', 'x.json'], "Unknown option '--confg'"],
      [['aggregate', '--config', 'app.log'], "--config takes a JSON file (ending in .json); received 'app.log'"],
    ] as const) {
      const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
      expect({ args, status: result.status, stdout: result.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage: ringlog aggregate --config <file.json>');
    }
  });

  it('is the package bin, and its built file keeps the shebang', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: unknown; files?: string[] };
    expect(pkg.bin).toEqual({ ringlog: 'dist/src/bin/ringlog.js' });
    expect(pkg.files?.some((entry) => 'dist/src/bin/ringlog.js'.startsWith(entry))).toBe(true);
    expect(readFileSync(bin, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
  });
});
