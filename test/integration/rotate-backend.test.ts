/**
 * Rotation through a real backend: worker threads logging, the consumer thread rotating, the
 * compressor thread gzipping, close() waiting for it. Every record must be found exactly once
 * across the live file and the rotated ones, plain or gzipped.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend, type BackendError } from '../../dist/src/index.js';
import { compileNamePattern, listRotatedFiles } from '../../src/consumer/rotate/rotated-names.js';
import { parseInterval, periodStart } from '../../src/consumer/rotate/schedule.js';
import { checksum } from '../fixtures/stress-text.js';
import { runFaultApp } from '../support/fault-run.js';
import { tempDir } from '../support/log-files.js';
import { runStressWorkers } from '../support/stress-run.js';

const DAILY = 'app.log.%Y-%m-%d';

let cleanup = (): void => {};
afterEach(() => cleanup());


interface Found {
  /** Records per source, in file order. */
  readonly seqs: Map<string, number[]>;
  readonly rotated: { readonly path: string; readonly compressed: boolean }[];
  /** Names that are neither the live file nor a rotated file (.tmp, .next ...). */
  readonly strays: string[];
}

/** Reads the rotated files oldest first (gunzipping .gz), then the live file. */
function readAll(dir: string, pattern = DAILY): Found {
  const live = join(dir, 'app.log');
  const files = listRotatedFiles(live, compileNamePattern(pattern, 'pattern'), fs);
  const seqs = new Map<string, number[]>();
  const rotated = files.map((file) => ({ path: file.paths[file.paths.length - 1] as string, compressed: file.compressed }));
  for (const path of [...rotated.map((file) => file.path), live]) {
    const bytes = fs.readFileSync(path);
    const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    if (text.length > 0) expect(text.endsWith('\n'), `${path} ends with a whole line`).toBe(true);
    for (const line of text.split('\n').slice(0, -1)) {
      const record = JSON.parse(line) as { name: string; worker?: number; seq: number; sum?: number; msg: string };
      if (record.name === 'stress') expect(checksum(record.msg)).toBe(record.sum);
      const source = record.name === 'stress' ? `worker ${record.worker}` : record.name;
      seqs.set(source, [...(seqs.get(source) ?? []), record.seq]);
    }
  }
  const known = new Set([live, ...files.flatMap((file) => file.paths)]);
  const strays = fs.readdirSync(dir).filter((name) => !known.has(join(dir, name)));
  return { seqs, rotated, strays };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('rotation through a real backend', () => {
  it('size rotation with gzip: every record once, in order, every rotated file compressed by close()', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const errors: BackendError[] = [];
    const backend = await createLogBackend({
      bufferSize: '64KiB',
      file: { path: join(dir, 'app.log'), rotate: { maxSize: '64KiB', compress: true, maxFiles: 10_000 } },
    });
    backend.on('error', (error) => errors.push(error));
    const log = backend.logger('main');
    const workers = runStressWorkers(backend, 4, 2500);
    for (let seq = 0; seq < 500; seq++) log.info({ seq }, 'main record');
    await workers;
    const stats = await backend.close();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ recordsWritten: 10_500, recordsDropped: 0 });
    const { seqs, rotated, strays } = readAll(dir);
    expect(strays).toEqual([]);
    expect(stats.rotations).toBe(rotated.length);
    expect(rotated.length).toBeGreaterThan(20);
    expect(rotated.filter((file) => !file.compressed || !file.path.endsWith('.gz'))).toEqual([]);
    expect(seqs.get('main')).toEqual(range(500));
    for (let worker = 0; worker < 4; worker++) expect(seqs.get(`worker ${worker}`)).toEqual(range(2500));
  });

  it('time and size, dated names, retention by total size, through file.rotate', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({
      bufferSize: '64KiB',
      file: { path: join(dir, 'app.log'), rotate: { interval: 'midnight', maxSize: '8KiB', maxTotalSize: '64KiB' } },
    });
    const log = backend.logger('main');
    for (let seq = 0; seq < 3000; seq++) log.info({ seq }, 'main record');
    const stats = await backend.close();
    const { seqs, rotated, strays } = readAll(dir);
    expect(strays).toEqual([]);
    const kept = rotated.reduce((sum, file) => sum + fs.statSync(file.path).size, 0);
    expect(kept).toBeLessThanOrEqual(64 * 1024);
    expect(kept).toBeGreaterThan(48 * 1024);
    // Retention deleted the oldest: what is left is the newest run of records, with no hole.
    const main = seqs.get('main') ?? [];
    expect(main).toEqual(range(main.length).map((i) => 3000 - main.length + i));
    expect(stats.rotations).toBeGreaterThan(rotated.length);
  });

  it('a file that cannot be compressed stays plain and is reported as ERR_RINGLOG_COMPRESS', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const pattern = compileNamePattern(DAILY, 'pattern');
    const first = join(dir, pattern.format(periodStart(Date.now(), parseInterval('1d', 'interval')), 0));
    // The compressor's temporary file cannot be made where a directory is in the way.
    fs.mkdirSync(`${first}.gz.tmp`);
    const errors: BackendError[] = [];
    const backend = await createLogBackend({
      bufferSize: '64KiB',
      file: { path: join(dir, 'app.log'), rotate: { maxSize: '4KiB', compress: true, maxFiles: 100 } },
    });
    backend.on('error', (error) => errors.push(error));
    const log = backend.logger('main');
    for (let seq = 0; seq < 200; seq++) log.info({ seq }, 'main record');
    await backend.close();
    // Unless this ran across midnight, the first rotated file is the one that was in the way.
    if (fs.existsSync(first)) {
      expect(errors).toMatchObject([{ code: 'ERR_RINGLOG_COMPRESS', target: first }]);
      expect(errors[0]?.message).toContain(`could not compress ${first}`);
    }
    fs.rmdirSync(`${first}.gz.tmp`);
    const { seqs, rotated } = readAll(dir);
    expect(seqs.get('main')).toEqual(range(200));
    expect(rotated.filter((file) => !file.compressed).length).toBeLessThanOrEqual(1);
  });

  it('a consumer thread that dies is restarted with a port of its own: its rotations are compressed too', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const { result } = runFaultApp(
      dir,
      {
        workers: 2,
        perWorker: 3000,
        main: 0,
        options: { file: { path: join(dir, 'app.log'), rotate: { maxSize: '16KiB', compress: true, maxFiles: 10_000 } } },
      },
      'exit:20',
    );
    expect(result.events).toContainEqual(expect.objectContaining({ event: 'error', code: 'ERR_RINGLOG_CONSUMER' }));
    expect(result.events.filter((event) => event.event === 'error' && event.code !== 'ERR_RINGLOG_CONSUMER')).toEqual([]);
    const { seqs, rotated, strays } = readAll(dir);
    expect(strays).toEqual([]);
    expect(rotated.length).toBeGreaterThan(10);
    expect(rotated.filter((file) => !file.compressed)).toEqual([]);
    // The batch the dead thread held is lost and counted; everything else arrived once, in order.
    let arrived = 0;
    for (let worker = 0; worker < 2; worker++) {
      const got = seqs.get(`worker ${worker}`) ?? [];
      for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1] as number);
      arrived += got.length;
    }
    // The write the thread died in is counted as failed; lines that batch wrote before it (into
    // the file it rotated away) arrived, but the thread died before counting them as written.
    expect(arrived + (result.stats['writeFailed'] as number)).toBe(6000);
    expect(result.stats['recordsWritten']).toBeLessThanOrEqual(arrived);
  });
});
