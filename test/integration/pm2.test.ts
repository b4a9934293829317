/**
 * The README's pm2 recipe under pm2 itself: a pm2 daemon of the test's own (PM2_HOME in a temp
 * folder) starts the ecosystem file, `ringlog aggregate --config ringlog.json` in fork mode and
 * the app in cluster mode with two instances, each forwarding to the aggregator's socket. The
 * app's instances log, stay up as servers do, and are stopped by pm2 (SIGINT, then the
 * aggregator's turn); every line of the rotated files is parsed back: each (pid, i) once, in
 * order per pid, whole, and the aggregator's closing stats agree.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { forEachRecord, logFiles, tempDir } from '../support/log-files.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'dist/src/bin/ringlog.js');
const index = pathToFileURL(join(root, 'dist/src/index.js')).href;
const pm2 = join(createRequire(import.meta.url).resolve('pm2/package.json'), '../bin/pm2');
const INSTANCES = 2;
const COUNT = 20_000;

/** The app: a server in pm2's cluster mode that logs COUNT records, then serves until stopped. */
const APP = `
import { createLogBackend } from ${JSON.stringify(index)};
const backend = await createLogBackend({ forward: 'logs/ringlog.sock' });
const log = backend.logger('worker');
for (let i = 0; i < ${COUNT}; i++) log.info({ i }, 'job %d done', i);
log.info('ready');
const server = setInterval(() => {}, 1 << 30);
// pm2 stops an app with SIGINT (kill_timeout later, SIGKILL).
process.once('SIGINT', async () => {
  clearInterval(server);
  await backend.close();
  process.exit(0);
});
`;

/** The README's ecosystem file, with two instances and the built command's path. */
const ECOSYSTEM = `module.exports = {
  apps: [
    { name: 'ringlog', script: ${JSON.stringify(bin)}, args: 'aggregate --config ringlog.json', kill_timeout: 15000 },
    { name: 'app', script: './server.mjs', instances: ${INSTANCES}, exec_mode: 'cluster', kill_timeout: 15000 },
  ],
};
`;

function run(dir: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [pm2, ...args], {
    cwd: dir,
    env: { ...process.env, PM2_HOME: join(dir, '.pm2') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`pm2 ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Lines in the live and rotated files; 0 while a rotation or the folder's creation races the count. */
function countLines(dir: string): number {
  try {
    let lines = 0;
    for (const file of logFiles(dir, 'app.log')) lines += readFileSync(file, 'utf8').split('\n').length - 1;
    return lines;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

describe('pm2: the README recipe', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('a standalone aggregator and the app in cluster mode: each line once, whole, in order per process; rotation', async () => {
    const { dir, remove } = tempDir();
    const logs = join(dir, 'logs');
    cleanup = () => {
      // The daemon and every process it started, whatever happened above.
      try {
        run(dir, 'kill');
      } finally {
        remove();
      }
    };
    writeFileSync(
      join(dir, 'ringlog.json'),
      JSON.stringify({ listen: 'logs/ringlog.sock', bufferSize: '64KiB', file: { path: 'logs/app.log', rotate: { maxSize: '256KiB', maxFiles: 100 } } }),
    );
    writeFileSync(join(dir, 'server.mjs'), APP);
    writeFileSync(join(dir, 'ecosystem.config.cjs'), ECOSYSTEM);

    run(dir, 'start', 'ecosystem.config.cjs');
    const expected = INSTANCES * (COUNT + 1);
    const deadline = Date.now() + 45_000;
    while (countLines(logs) < expected) {
      if (Date.now() > deadline) throw new Error(`${countLines(logs)} of ${expected} lines after 45 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The app first, as a deployment stops it; then the daemon stops the aggregator (SIGINT).
    run(dir, 'stop', 'app');
    run(dir, 'kill');
    cleanup = remove;

    const said = readFileSync(join(dir, '.pm2/logs/ringlog-error.log'), 'utf8').trim().split('\n');
    expect(said[0]).toMatch(/^ringlog: aggregating on \S+ringlog\.sock into \S+app\.log$/);
    const stats = JSON.parse(said.at(-1)!) as Record<string, number>;
    expect(stats).toMatchObject({ received: expected, recordsWritten: expected, recordsDropped: 0, duplicates: 0, writeFailed: 0 });
    expect(stats['rotations']).toBeGreaterThan(0);

    const seen = new Map<number, number[]>();
    const ready = new Set<number>();
    const files = forEachRecord(logs, 'app.log', (record) => {
      const pid = record['pid'] as number;
      expect(record).toMatchObject({ name: 'worker' });
      if (record['msg'] === 'ready') {
        expect(seen.get(pid)).toHaveLength(COUNT);
        ready.add(pid);
        return;
      }
      expect(record).toMatchObject({ level: 30, msg: `job ${String(record['i'])} done` });
      let i = seen.get(pid);
      if (i === undefined) seen.set(pid, (i = []));
      i.push(record['i'] as number);
    });
    expect(files).toBeGreaterThan(1);
    expect(ready.size).toBe(INSTANCES);
    const upTo = Array.from({ length: COUNT }, (_, i) => i);
    expect(seen.size).toBe(INSTANCES);
    for (const [pid, i] of seen) expect({ pid, i }).toEqual({ pid, i: upTo });
  });
});
