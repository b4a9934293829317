/**
 * Gzip off the hot path: the file steps (compress-file.ts) on real files in a fresh folder, the
 * work list (compress-queue.ts) with a fake compression, and the compressor thread with a
 * client in a thread that blocks like the consumer does.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compressFile, compressFileSync, type CompressResult } from '../../../src/compress/compress-file.js';
import { CompressQueue, type CompressOutcome } from '../../../src/compress/compress-queue.js';
import { Compressor } from '../../../dist/src/compress/compressor.js';
import { ErrorCode } from '../../../dist/src/core/errors.js';
import { tempDir } from '../../support/log-files.js';
import { mountTmpfs, unmountTmpfs } from '../../support/tmpfs.js';

let dir = '';
let cleanup = (): void => {};
beforeEach(() => {
  ({ dir, remove: cleanup } = tempDir());
});
afterEach(() => cleanup());

/** `bytes` of log-like lines, different for each `seed`. */
function logText(bytes: number, seed = 0): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `{"level":30,"time":${1795240190091 + i},"seed":${seed},"i":${i},"msg":"processed ${(i * 7919) % 1000} items"}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

function writeLog(name: string, content: Buffer | string, mode = 0o644): string {
  const path = join(dir, name);
  fs.writeFileSync(path, content);
  fs.chmodSync(path, mode);
  return path;
}

describe.each([
  { variant: 'compressFile (streaming)', compress: (path: string, level?: number) => compressFile(path, level === undefined ? {} : { level }) },
  { variant: 'compressFileSync', compress: async (path: string, level?: number) => compressFileSync(path, level === undefined ? {} : { level }) },
])('$variant', ({ compress }) => {
  it('replaces the file with a .gz that gunzips to the same bytes', async () => {
    const content = logText(9 * 1024 * 1024 + 123); // three members in the synchronous variant
    const path = writeLog('app.log.1', content);
    const result = await compress(path);
    expect(result).toEqual({ path, gzPath: `${path}.gz`, bytesIn: content.length, bytesOut: fs.statSync(`${path}.gz`).size });
    expect(result.bytesOut).toBeLessThan(content.length / 4);
    expect(gunzipSync(fs.readFileSync(`${path}.gz`)).equals(content)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['app.log.1.gz']);
  });

  it('an empty file becomes a valid empty .gz', async () => {
    const path = writeLog('app.log.1', '');
    await compress(path);
    expect(gunzipSync(fs.readFileSync(`${path}.gz`)).length).toBe(0);
  });

  it.each([0o666, 0o640, 0o600, 0o604])('keeps mode %o, whatever the umask, and the modification time', async (mode) => {
    const path = writeLog('app.log.1', 'line\n', mode);
    const mtime = new Date('2026-11-21T13:00:00Z');
    fs.utimesSync(path, mtime, mtime);
    await compress(path);
    const stat = fs.statSync(`${path}.gz`);
    expect(stat.mode & 0o7777).toBe(mode);
    expect(stat.mtime.getTime()).toBe(mtime.getTime());
  });

  it.each([1, 9])('level %i', async (level) => {
    const content = logText(100_000);
    const path = writeLog('app.log.1', content);
    await compress(path, level);
    expect(gunzipSync(fs.readFileSync(`${path}.gz`)).equals(content)).toBe(true);
  });

  it('rejects a level out of range before touching the file', async () => {
    const path = writeLog('app.log.1', 'x\n');
    await expect(compress(path, 10)).rejects.toThrow(/gzip level must be an integer from 1 to 9; received 10/);
    expect(fs.readdirSync(dir)).toEqual(['app.log.1']);
  });

  it('a file that vanished is an ENOENT error and leaves nothing behind', async () => {
    await expect(compress(join(dir, 'gone.log'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a directory is not compressed', async () => {
    fs.mkdirSync(join(dir, 'app.log.1'));
    await expect(compress(join(dir, 'app.log.1'))).rejects.toMatchObject({ code: 'ERR_RINGLOG_NOT_A_FILE' });
    expect(fs.readdirSync(dir)).toEqual(['app.log.1']);
  });

  it('a full disk leaves the original as it was and no .gz or .tmp (a real 64 KiB tmpfs)', async (context) => {
    const disk = join(dir, 'disk');
    fs.mkdirSync(disk);
    const cannotMount = mountTmpfs(disk, '64k');
    if (cannotMount !== undefined) {
      console.warn(`full-disk compression test SKIPPED: cannot mount a tmpfs here (${cannotMount})`);
      context.skip();
    }
    try {
      const content = logText(40_000);
      const path = join(disk, 'app.log.1');
      fs.writeFileSync(path, content);
      // Fill what is left, so that the .gz.tmp cannot take a block.
      const filler = join(disk, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096, 0x78));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
      await expect(compress(path)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(fs.readdirSync(disk).sort()).toEqual(['app.log.1', 'filler']);
      expect(fs.readFileSync(path).equals(content)).toBe(true);
    } finally {
      unmountTmpfs(disk);
    }
  });

  it('removes a symlink planted at the .tmp name instead of writing through it', async () => {
    const victim = writeLog('victim', 'not yours to overwrite\n');
    const path = writeLog('app.log.1', 'fresh\n');
    fs.symlinkSync(victim, `${path}.gz.tmp`);
    await compress(path);
    expect(fs.readFileSync(victim, 'utf8')).toBe('not yours to overwrite\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['app.log.1.gz', 'victim']);
    expect(gunzipSync(fs.readFileSync(`${path}.gz`)).toString()).toBe('fresh\n');
  });

  it('overwrites a .tmp left by a crash', async () => {
    const path = writeLog('app.log.1', 'fresh\n');
    fs.writeFileSync(`${path}.gz.tmp`, 'half a gzip from a crash');
    await compress(path);
    expect(fs.readdirSync(dir)).toEqual(['app.log.1.gz']);
    expect(gunzipSync(fs.readFileSync(`${path}.gz`)).toString()).toBe('fresh\n');
  });
});

describe('compressFile: the original is deleted while it is being compressed', () => {
  it('reports ENOENT and removes its .gz: whoever deleted the file wanted it gone', async () => {
    const path = writeLog('app.log.1', logText(40 * 1024 * 1024));
    const work = compressFile(path, { level: 9 });
    // The .tmp exists for the whole compression; delete the original as soon as it appears.
    while (!fs.existsSync(`${path}.gz.tmp`)) await new Promise((resolve) => setImmediate(resolve));
    fs.unlinkSync(path);
    await expect(work).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('CompressQueue', () => {
  /** A fake compression whose every call waits for the test to finish it. */
  function fake() {
    const calls: { path: string; finish(fail?: boolean): void }[] = [];
    const compress = (path: string): Promise<CompressResult> =>
      new Promise((resolve, reject) => {
        calls.push({
          path,
          finish: (fail = false) =>
            fail ? reject(Object.assign(new Error('boom'), { code: 'EIO' })) : resolve({ path, gzPath: `${path}.gz`, bytesIn: 1, bytesOut: 1 }),
        });
      });
    return { calls, compress };
  }
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('runs one file at a time, in order, skips a path already pending, reports every outcome', async () => {
    const { calls, compress } = fake();
    const outcomes: CompressOutcome[] = [];
    const queue = new CompressQueue(compress, (outcome) => outcomes.push(outcome));
    queue.push('/a');
    queue.push('/b');
    queue.push('/a'); // waiting: not queued twice
    queue.push('/c');
    expect(calls.map(({ path }) => path)).toEqual(['/a']);
    expect(queue.size).toBe(3);
    calls[0]?.finish();
    await tick();
    expect(calls.map(({ path }) => path)).toEqual(['/a', '/b']);
    queue.push('/b'); // in progress: not queued twice
    calls[1]?.finish(true);
    await tick();
    calls[2]?.finish();
    await queue.idle();
    expect(calls.map(({ path }) => path)).toEqual(['/a', '/b', '/c']);
    expect(outcomes.map((o) => [o.type, o.path])).toEqual([
      ['done', '/a'],
      ['failed', '/b'],
      ['done', '/c'],
    ]);
    expect(outcomes[1]).toMatchObject({ error: { code: 'EIO' } });
    expect(queue.size).toBe(0);
  });

  it('idle() resolves at once when empty, and after the last file otherwise', async () => {
    const { calls, compress } = fake();
    const queue = new CompressQueue(compress, () => {});
    await queue.idle();
    queue.push('/a');
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    calls[0]?.finish();
    await tick();
    expect(idle).toBe(true);
    queue.push('/a'); // done: may be queued again
    expect(calls).toHaveLength(2);
  });

  it('a reporter that throws does not stop the next files', async () => {
    const { calls, compress } = fake();
    const reported: string[] = [];
    const queue = new CompressQueue(compress, (outcome) => {
      reported.push(outcome.path);
      throw new Error('reporter bug');
    });
    queue.push('/a');
    queue.push('/b');
    calls[0]?.finish();
    await tick();
    calls[1]?.finish();
    await queue.idle();
    expect(reported).toEqual(['/a', '/b']);
  });
});

describe('Compressor (a thread of its own)', () => {
  const make = (options: ConstructorParameters<typeof Compressor>[0] = {}) => {
    const done: string[] = [];
    const errors: [string | undefined, Error][] = [];
    const compressor = new Compressor({
      onCompressed: ({ path }) => done.push(path),
      onError: (path, error) => errors.push([path, error]),
      ...options,
    });
    return { compressor, done, errors };
  };

  it('compresses what the owner submits and counts it', async () => {
    const { compressor, done, errors } = make();
    const content = logText(500_000);
    const path = writeLog('app.log.1', content);
    compressor.submit(path);
    const result = await compressor.close();
    expect(done).toEqual([path]);
    expect(errors).toEqual([]);
    expect(result).toEqual({ compressed: 1, failed: 0, bytesIn: content.length, bytesOut: fs.statSync(`${path}.gz`).size, timedOut: false });
    expect(gunzipSync(fs.readFileSync(`${path}.gz`)).equals(content)).toBe(true);
    expect(fs.existsSync(path)).toBe(false);
  });

  it('reports a file that vanished to onError with its path, and goes on with the next', async () => {
    const { compressor, done, errors } = make();
    const gone = join(dir, 'gone.log.1');
    const path = writeLog('app.log.1', 'x\n');
    compressor.submit(gone);
    compressor.submit(path);
    const result = await compressor.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBe(gone);
    expect(errors[0]?.[1]).toMatchObject({ code: 'ENOENT', message: expect.stringContaining('gone.log.1') });
    expect(done).toEqual([path]);
    expect(result).toMatchObject({ compressed: 1, failed: 1 });
  });

  it('many submits in a row are all done after close()', async () => {
    const { compressor, done } = make();
    const paths = Array.from({ length: 30 }, (_, i) => writeLog(`app.log.${i + 1}`, logText(50_000, i)));
    for (const path of paths) compressor.submit(path);
    expect((await compressor.close()).compressed).toBe(30);
    expect(done).toEqual(paths);
    expect(fs.readdirSync(dir).sort()).toEqual(paths.map((path) => `${path.slice(dir.length + 1)}.gz`).sort());
    paths.forEach((path, i) => expect(gunzipSync(fs.readFileSync(`${path}.gz`)).equals(logText(50_000, i))).toBe(true));
  });

  const SUBMITTED = 0;
  const LAST_GZ_EXISTED = 1;
  const RELEASE = 2;
  const submitter = new URL('../../../dist/test/fixtures/compress-submitter.js', import.meta.url);

  /** Starts a thread that submits `paths` through a client and then blocks until released. */
  function blockedSubmitter(compressor: Compressor, paths: string[]) {
    const flags = new Int32Array(new SharedArrayBuffer(12));
    const port = compressor.connect();
    const worker = new Worker(submitter, { workerData: { port, paths, flags: flags.buffer }, transferList: [port] });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const release = async (): Promise<void> => {
      Atomics.store(flags, RELEASE, 1);
      Atomics.notify(flags, RELEASE);
      await exited;
    };
    const submitted = async (): Promise<void> => {
      while (Atomics.load(flags, SUBMITTED) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    return { flags, release, submitted };
  }

  it('a client in a thread that never yields: submit returns before the work, and the work gets done', async () => {
    const { compressor, done } = make();
    const paths = Array.from({ length: 20 }, (_, i) => writeLog(`app.log.${i + 1}`, logText(2 * 1024 * 1024, i)));
    const thread = blockedSubmitter(compressor, paths);
    try {
      await thread.submitted();
      // One file at a time: the last .gz cannot exist before 19 others are done.
      expect(Atomics.load(thread.flags, LAST_GZ_EXISTED)).toBe(0);
      // The submitter is still blocked in Atomics.wait while every file gets compressed.
      while (done.length < paths.length) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(Atomics.load(thread.flags, RELEASE)).toBe(0);
      expect(done).toEqual(paths);
      for (const path of paths) expect(fs.existsSync(`${path}.gz`) && !fs.existsSync(path)).toBe(true);
    } finally {
      await thread.release();
    }
    expect((await compressor.close()).compressed).toBe(20);
  });

  it("close() right after a client's submits finishes them all (it drains the client ports first)", async () => {
    const { compressor, done } = make();
    const paths = Array.from({ length: 10 }, (_, i) => writeLog(`app.log.${i + 1}`, logText(100_000, i)));
    const thread = blockedSubmitter(compressor, paths);
    await thread.submitted();
    const result = await compressor.close();
    await thread.release();
    expect(result).toMatchObject({ compressed: 10, failed: 0, timedOut: false });
    expect(done).toEqual(paths);
  });

  it('after close(): submit reports to onError, connect() throws, close() is idempotent', async () => {
    const { compressor, errors } = make();
    const first = compressor.close();
    expect(compressor.close()).toBe(first);
    await first;
    const path = writeLog('app.log.1', 'x\n');
    compressor.submit(path);
    expect(errors).toEqual([[path, expect.objectContaining({ code: ErrorCode.COMPRESSOR_CLOSED })]]);
    expect(fs.existsSync(path)).toBe(true);
    expect(() => compressor.connect()).toThrow(expect.objectContaining({ code: ErrorCode.COMPRESSOR_CLOSED }));
  });

  it('close() gives up after its timeout: the original stays, no .gz appears', async () => {
    const { compressor } = make({ level: 9 });
    const content = logText(64 * 1024 * 1024);
    const path = writeLog('app.log.1', content);
    compressor.submit(path);
    const result = await compressor.close(1);
    expect(result.timedOut).toBe(true);
    expect(fs.existsSync(`${path}.gz`)).toBe(false);
    expect(fs.statSync(path).size).toBe(content.length);
  });

  it('rejects a relative path at once, and a level out of range', async () => {
    const { compressor } = make();
    expect(() => compressor.submit('app.log.1')).toThrow(/must be absolute; received "app.log.1"/);
    expect(() => new Compressor({ level: 0 })).toThrow(/level must be an integer from 1 to 9; received 0/);
    await compressor.close();
  });

  it('an idle compressor does not keep the process alive', () => {
    const compressor = new URL('../../../dist/src/compress/compressor.js', import.meta.url).href;
    const script = `const { Compressor } = await import(${JSON.stringify(compressor)}); new Compressor(); console.log('started');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout).toBe('started\n');
  });
});
