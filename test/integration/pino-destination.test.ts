/**
 * pino through ringlog's destination, end to end with the BUILT library (`npm run build` first):
 * the file holds byte for byte what pino writes to a file itself, whatever pino's options do to
 * the line; sinks' levels route pino's lines; several worker threads logging through pino into
 * one small ring (64 KiB: it wraps every few dozen records and producers wait for the consumer)
 * get every record into the rotating files exactly once, in order, none torn.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogBackend, destination, type BackendOptions, type LogBackend } from '../../dist/src/index.js';
import type { PinoWorkerData } from '../fixtures/pino-destination-worker.js';
import { checksum } from '../fixtures/stress-text.js';
import { forEachRecord, tempDir } from '../support/log-files.js';

const distIndex = new URL('../../dist/src/index.js', import.meta.url);
const workerUrl = new URL('../../dist/test/fixtures/pino-destination-worker.js', import.meta.url);

/** pino's time is the one thing that differs between two runs of the same calls. */
const timestamp = (): string => ',"time":1700000000000';

const opened: LogBackend[] = [];
const folders: { remove(): void }[] = [];

beforeAll(() => {
  if (!fs.existsSync(distIndex)) throw new Error(`${distIndex.pathname} is missing: run \`npm run build\` before these tests`);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((backend) => backend.close()));
  for (const folder of folders.splice(0)) folder.remove();
});

function folder(): string {
  const made = tempDir();
  folders.push(made);
  return made.dir;
}

async function backendAt(dir: string, options: BackendOptions = {}): Promise<LogBackend> {
  const backend = await createLogBackend({ bufferSize: '64KiB', file: path.join(dir, 'ringlog.log'), ...options });
  opened.push(backend);
  return backend;
}

/** What pino itself writes to a file for the same calls: its own synchronous destination. */
async function pinoFile(file: string, run: (stream: pino.DestinationStream) => void): Promise<Buffer> {
  const stream = pino.destination({ dest: file, sync: true });
  run(stream);
  const closed = once(stream, 'close');
  stream.end();
  await closed;
  return fs.readFileSync(file);
}

/** What ringlog's file holds for the same calls, through destination(handle). */
async function ringlogFile(dir: string, run: (stream: pino.DestinationStream) => void): Promise<Buffer> {
  const backend = await backendAt(dir);
  run(destination(backend.handle));
  const stats = await backend.close();
  expect(stats.recordsDropped).toBe(0);
  return fs.readFileSync(path.join(dir, 'ringlog.log'));
}

const boom = Object.assign(new Error('boom', { cause: new TypeError('underneath') }), { code: 'E_BOOM' });
const many = new AggregateError([boom], 'many');
const circular: Record<string, unknown> = { name: 'loop' };
circular['self'] = circular;

/** Each case: pino made with some options over `stream`, and calls that exercise them. */
const cases: [string, (stream: pino.DestinationStream) => void][] = [
  [
    'defaults: levels, printf, errors, child loggers, escapes, odd values',
    (stream) => {
      const log = pino({ level: 'trace', timestamp }, stream);
      log.trace('trace');
      log.debug({ a: 1 });
      log.info('hello %s %d %j %o', 'x', 42, { y: 1 }, [1]);
      log.warn({ nested: { deep: [1, 'two', null, true, { three: 3.5 }] } }, 'nested');
      log.error(boom);
      log.error({ err: boom }, 'with a message');
      log.fatal(many);
      const child = log.child({ requestId: 'r-1', user: { id: 7 } });
      child.info('from the child');
      child.child({ step: 2 }).warn({ text: 'é😀\u2028"\\\n\t\u0001 lone \ud800 end' }, 'grandchild "quoted"\nsecond line');
      child.info({ circular, big: 2n ** 70n, date: new Date(0), map: new Map([[1, 2]]), fn: () => 1, undef: undefined });
      log.info('');
      log.info({ msg: 'a msg field' });
    },
  ],
  [
    'redact: censor, paths with wildcards and brackets, remove',
    (stream) => {
      const paths = ['password', 'user.secret', '*.token', 'headers["x-api-key"]'];
      const log = pino({ timestamp, redact: { paths, censor: '***' } }, stream);
      log.info({ password: 'p', user: { name: 'u', secret: 's' }, session: { token: 't' }, headers: { 'x-api-key': 'k', ok: 1 } }, 'redacted');
      const removing = pino({ timestamp, redact: { paths: ['password', 'a.b'], remove: true } }, stream);
      removing.child({ password: 'in bindings' }).info({ password: 'p', a: { b: 1, c: 2 } }, 'removed');
    },
  ],
  [
    'serializers, on fields and on bindings',
    (stream) => {
      const log = pino(
        {
          timestamp,
          serializers: {
            req: (req: { method: string; url: string; headers: object }) => ({ method: req.method, url: req.url }),
            user: (user: { name: string }) => user.name,
            err: pino.stdSerializers.err,
          },
        },
        stream,
      );
      log.info({ req: { method: 'GET', url: '/a', headers: { cookie: 'c' } } }, 'request');
      log.child({ user: { name: 'ann', password: 'x' } }).error({ err: boom }, 'failed');
    },
  ],
  [
    'mixin and mixinMergeStrategy',
    (stream) => {
      let calls = 0;
      const log = pino({ timestamp, mixin: (_obj, level) => ({ call: ++calls, mixedLevel: level }) }, stream);
      log.info('one');
      log.child({ c: 1 }).warn({ call: 'mine wins' }, 'two');
      const deep = pino(
        { timestamp, mixin: () => ({ call: 'mixin wins' }), mixinMergeStrategy: (merge, mixin) => Object.assign(merge, mixin) },
        stream,
      );
      deep.info({ call: 'mine' }, 'three');
    },
  ],
  [
    'formatters, custom levels, messageKey, nestedKey, msgPrefix, base, name',
    (stream) => {
      const log = pino(
        {
          timestamp,
          name: 'api',
          base: { service: 'svc' },
          level: 'audit',
          customLevels: { audit: 35 },
          messageKey: 'message',
          nestedKey: 'payload',
          msgPrefix: '[app] ',
          formatters: {
            level: (label) => ({ level: label }),
            bindings: (bindings) => ({ svc: bindings['service'] }),
            log: (object) => ({ ...object, formatted: true }),
          },
        },
        stream,
      );
      log.audit({ who: 'me' }, 'audited');
      log.info('below audit: not written');
      log.warn({ x: 1 }, 'warned');
      log.child({ part: 2 }, { msgPrefix: '[child] ' }).error('child');
      const only = pino({ timestamp, useOnlyCustomLevels: true, customLevels: { low: 5, high: 1000 }, level: 'low' }, stream);
      only.low('low');
      only.high('high');
    },
  ],
  [
    'hooks and crlf',
    (stream) => {
      const log = pino(
        {
          timestamp,
          crlf: true,
          hooks: {
            streamWrite: (line) => line.replace('hunter2', '*******'),
            logMethod(args, method) {
              method.apply(this, [`[hooked] ${String(args[0])}`, ...args.slice(1)] as Parameters<typeof method>);
            },
          },
        },
        stream,
      );
      log.info('password hunter2');
      log.warn('crlf ends this line');
    },
  ],
];

describe("the file holds what pino writes to a file itself, byte for byte", () => {
  it.each(cases)('%s', async (_name, run) => {
    const dir = folder();
    const expected = await pinoFile(path.join(dir, 'pino.log'), run);
    const actual = await ringlogFile(dir, run);
    expect(expected.length).toBeGreaterThan(0);
    expect(actual.toString('utf8')).toBe(expected.toString('utf8'));
    expect(actual.equals(expected)).toBe(true);
  });

  it('as one of the streams of pino.multistream, beside pino.destination', async () => {
    const dir = folder();
    const backend = await backendAt(dir);
    const own = pino.destination({ dest: path.join(dir, 'pino.log'), sync: true });
    const streams = pino.multistream([
      { stream: destination(backend.handle), level: 'debug' },
      { stream: own, level: 'debug' },
    ]);
    const log = pino({ level: 'trace', redact: ['secret'] }, streams);
    log.trace('not for either stream');
    log.debug({ secret: 's', n: 1 }, 'debug');
    log.child({ c: 'child' }).error(boom, 'error');
    log.info('héllo 😀');
    const closed = once(own, 'close');
    streams.end();
    await closed;
    await backend.close();
    const expected = fs.readFileSync(path.join(dir, 'pino.log'));
    expect(expected.toString().split('\n')).toHaveLength(4);
    expect(fs.readFileSync(path.join(dir, 'ringlog.log')).equals(expected)).toBe(true);
  });
});

describe("sinks' levels route pino's lines", () => {
  it('by the level at the start of the line; a line whose level is unknown reaches every sink', async () => {
    const dir = folder();
    const all = path.join(dir, 'all.log');
    const errors = path.join(dir, 'errors.log');
    const backend = await createLogBackend({
      bufferSize: '64KiB',
      sinks: [
        { type: 'file', path: all },
        { type: 'file', path: errors, level: 'error' },
      ],
    });
    opened.push(backend);
    const log = pino({ level: 'trace', timestamp }, destination(backend.handle));
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) log[level](level);
    pino({ timestamp, formatters: { level: (label) => ({ level: label }) } }, destination(backend.handle)).error('label error');
    pino({ timestamp, formatters: { level: (label) => ({ severity: label.toUpperCase() }) } }, destination(backend.handle)).info('severity');
    await backend.close();
    const msgs = (file: string): string[] => {
      const found: string[] = [];
      forEachRecord(dir, path.basename(file), (record) => found.push(record['msg'] as string));
      return found;
    };
    expect(msgs(all)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'label error', 'severity']);
    expect(msgs(errors)).toEqual(['error', 'fatal', 'label error', 'severity']);
  });

  it("a text sink gets pino's line as it is: the consumer copies finished lines", async () => {
    const dir = folder();
    const file = path.join(dir, 'text.log');
    const backend = await createLogBackend({
      bufferSize: '64KiB',
      formatters: { plain: { type: 'text', template: '%(levelname)s %(message)s', style: '%' } },
      sinks: [{ type: 'file', path: file, formatter: 'plain' }],
    });
    opened.push(backend);
    pino({ timestamp, base: null }, destination(backend.handle)).info('as pino wrote it');
    backend.logger().info('rendered by the sink');
    await backend.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('{"level":30,"time":1700000000000,"msg":"as pino wrote it"}\nINFO rendered by the sink\n');
  });
});

describe('what ringlog adds', () => {
  it('logger.flush(cb) calls back once the line is in the file', async () => {
    const dir = folder();
    const backend = await backendAt(dir);
    const log = pino({ timestamp }, destination(backend.handle));
    log.info('flushed');
    await new Promise<void>((resolve, reject) => log.flush((error) => (error ? reject(error) : resolve())));
    expect(fs.readFileSync(path.join(dir, 'ringlog.log'), 'utf8')).toContain('"msg":"flushed"');
  });

  it('a line larger than maxRecordSize becomes the oversized notice, and the next line arrives', async () => {
    const dir = folder();
    const backend = await backendAt(dir);
    const log = pino({ timestamp }, destination(backend.handle));
    log.error('x'.repeat(9000));
    log.info('next');
    const stats = await backend.close();
    expect(stats.oversized).toBe(1);
    const records: Record<string, unknown>[] = [];
    forEachRecord(dir, 'ringlog.log', (record) => records.push(record));
    expect(records.map((r) => [r['level'], r['msg']])).toEqual([
      [50, expect.stringMatching(/^\[ringlog\] record of at least 9\d{3} bytes dropped: records are limited to 8192 bytes \(maxRecordSize\)$/)],
      [30, 'next'],
    ]);
  });
});

describe('worker threads logging through pino into one small ring', () => {
  const WORKERS = 4;
  const COUNT = 3000;

  /** `maxSize`: rotate the file at that size. */
  async function run(options: BackendOptions, maxSize?: string): Promise<{ dir: string; stats: Awaited<ReturnType<LogBackend['close']>> }> {
    const dir = folder();
    const file = path.join(dir, 'ringlog.log');
    const backend = await backendAt(dir, { ...options, ...(maxSize === undefined ? {} : { file: { path: file, maxSize, maxFiles: 50 } }) });
    await Promise.all(
      Array.from({ length: WORKERS }, (_, worker) => {
        const workerData: PinoWorkerData = { log: backend.handle, worker, count: COUNT };
        const thread = new Worker(workerUrl, { workerData });
        return new Promise((resolve, reject) => {
          thread.on('error', reject);
          thread.on('exit', resolve);
        });
      }),
    );
    return { dir, stats: await backend.close() };
  }

  /** Checks every line whole (forEachRecord throws on a torn one) and each worker's records in order; returns how many of each arrived. */
  function verify(dir: string, gapsAllowed: boolean): { arrived: number[]; files: number } {
    const next = new Array<number>(WORKERS).fill(0);
    const arrived = new Array<number>(WORKERS).fill(0);
    const files = forEachRecord(dir, 'ringlog.log', (record) => {
      if (typeof record['worker'] !== 'number') {
        // Only ringlog's own notice of dropped records may be a line without a worker.
        expect(record['msg']).toMatch(/^ringlog: \d+ records dropped \(ring full\)$/);
        return;
      }
      const worker = record['worker'];
      const seq = record['seq'] as number;
      expect(record['secret']).toBe('[Redacted]');
      expect(checksum(record['msg'] as string)).toBe(record['sum']);
      if (gapsAllowed) expect(seq).toBeGreaterThanOrEqual(next[worker]!);
      else expect(seq).toBe(next[worker]);
      next[worker] = seq + 1;
      arrived[worker]!++;
    });
    return { arrived, files };
  }

  it("onFull 'block': every record exactly once, in each thread's order, across rotations", async () => {
    const { dir, stats } = await run({}, '2MiB');
    const { arrived, files } = verify(dir, false);
    expect(arrived).toEqual(new Array(WORKERS).fill(COUNT));
    expect(files).toBeGreaterThan(1);
    expect(stats.rotations).toBe(files - 1);
    expect(stats.recordsDropped).toBe(0);
    expect(stats.recordsWritten).toBe(WORKERS * COUNT);
  }, 60_000);

  it("onFull 'drop': what arrives is whole and in order, and every record is written or counted", async () => {
    const { dir, stats } = await run({ onFull: 'drop' });
    const { arrived } = verify(dir, true);
    const total = arrived.reduce((a, b) => a + b, 0);
    expect(total + stats.droppedFull).toBe(WORKERS * COUNT);
    expect(stats.recordsDropped).toBe(stats.droppedFull);
  }, 60_000);
});
