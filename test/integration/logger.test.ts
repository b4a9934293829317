/**
 * The public API as users run it: the BUILT library (`npm run build` first; the consumer thread
 * only loads built JS), a real consumer thread, a real file in a fresh temp folder per test.
 * Each test logs, closes (or flushes) and reads the JSON lines back.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createLogBackend, LEVELS, type BackendOptions, type LogBackend, type Logger } from '../../dist/src/index.js';

const distIndex = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const distIndexUrl = pathToFileURL(distIndex).href;

/** A pino line as parsed; the fields a test looks at are read through this loose type. */
type Line = Record<string, unknown> & { level: number; time: number; msg?: string };

interface Setup {
  readonly backend: LogBackend;
  readonly log: Logger;
  readonly file: string;
  /** The raw file content. */
  text(): string;
  /** Every line of the file, parsed; checks that the file ends with a newline. */
  lines(): Line[];
}

const opened: LogBackend[] = [];
const folders: string[] = [];

beforeAll(() => {
  if (!fs.existsSync(distIndex)) throw new Error(`${distIndex} is missing: run \`npm run build\` before these tests`);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((backend) => backend.close()));
  for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlog-'));
  folders.push(dir);
  return dir;
}

function parseLines(text: string): Line[] {
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Line);
}

async function setup(options: Omit<BackendOptions, 'file'> = {}, name?: string): Promise<Setup> {
  const file = path.join(tempDir(), 'app.log');
  const backend = await createLogBackend({ bufferSize: '64KiB', ...options, file: { path: file } });
  opened.push(backend);
  const text = (): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  return { backend, log: backend.logger(name), file, text, lines: () => parseLines(text()) };
}

/** Logs with `use(log)`, closes the backend and returns the parsed lines. */
async function logged(use: (log: Logger) => void, options: Omit<BackendOptions, 'file'> = {}, name?: string): Promise<Line[]> {
  const s = await setup(options, name);
  use(s.log);
  await s.backend.close();
  return s.lines();
}

async function one(use: (log: Logger) => void): Promise<Line> {
  const lines = await logged(use);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

// ---- the line ----------------------------------------------------------------------------------

describe('the JSON line', () => {
  it('has pino’s shape and key order: level, time, pid, hostname, name, bindings, fields, msg', async () => {
    const s = await setup({}, 'app');
    const before = Date.now();
    s.log.child({ requestId: 'r-1', shard: 2 }).info({ user: 'ada', n: 1 }, 'hello');
    const after = Date.now();
    await s.backend.close();
    const [line, ...rest] = s.lines();
    expect(rest).toEqual([]);
    expect(Object.keys(line!)).toEqual(['level', 'time', 'pid', 'hostname', 'name', 'requestId', 'shard', 'user', 'n', 'msg']);
    expect(line).toEqual({ level: 30, time: line!.time, pid: process.pid, hostname: os.hostname(), name: 'app', requestId: 'r-1', shard: 2, user: 'ada', n: 1, msg: 'hello' });
    expect(line!.time).toBeGreaterThanOrEqual(before);
    expect(line!.time).toBeLessThanOrEqual(after);
    expect(s.text()).toMatch(/^\{"level":30,"time":\d+,"pid":/);
  });

  it('has no name key for an unnamed logger and no msg key without a message', async () => {
    const line = await one((log) => log.info({ a: 1 }));
    expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'a']);
  });

  it('writes pino’s level numbers, trace 10 ... fatal 60', async () => {
    const names = Object.keys(LEVELS) as (keyof typeof LEVELS)[];
    expect(names).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    const lines = await logged((log) => {
      log.level = 'trace';
      for (const name of names) log[name](name);
    });
    expect(lines.map((line) => [line.msg, line.level])).toEqual([
      ['trace', 10],
      ['debug', 20],
      ['info', 30],
      ['warn', 40],
      ['error', 50],
      ['fatal', 60],
    ]);
  });
});

// ---- call shapes -------------------------------------------------------------------------------

describe('call shapes', () => {
  it('(msg) and (msg, ...args) with every printf placeholder', async () => {
    const lines = await logged((log) => {
      log.info('plain 100%%');
      log.info(
        's=%s d=%d i=%i f=%f j=%j o=%o O=%O 100%% %x',
        'str',
        '42',
        4.7,
        '3.5px',
        { a: [1, 'b'] },
        [1, 2],
        { c: null },
        'extra',
      );
      log.info('%s and %s', 'only one');
      log.info('-0 %d, %s, %i', -0, 12n, -4.7);
    });
    expect(lines.map((line) => line.msg)).toEqual([
      'plain 100%%',
      's=str d=42 i=4 f=3.5 j={"a":[1,"b"]} o=[1,2] O={"c":null} 100% %x extra',
      'only one and %s',
      '-0 -0, 12n, -4',
    ]);
  });

  it('(obj) and (obj, msg, ...args): the object’s fields are merged into the line', async () => {
    const lines = await logged((log) => {
      log.info({ a: 1, nested: { b: [true, null] } });
      log.warn({ a: 2 }, 'took %d ms', 12);
    });
    expect(lines).toMatchObject([
      { level: 30, a: 1, nested: { b: [true, null] } },
      { level: 40, a: 2, msg: 'took 12 ms' },
    ]);
    expect(lines[0]).not.toHaveProperty('msg');
  });

  it('(err): msg is the error’s message, err is {type, message, stack}', async () => {
    const error = new Error('boom');
    const line = await one((log) => log.error(error));
    expect(line.msg).toBe('boom');
    expect(line['err']).toEqual({ type: 'Error', message: 'boom', stack: error.stack });
    expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'err', 'msg']);
  });

  it('(err, msg) keeps the given message; an Error subclass is typed by its class', async () => {
    class DbError extends Error {}
    const error = new DbError('no connection');
    const line = await one((log) => log.error(error, 'query %s failed', 'q1'));
    expect(line.msg).toBe('query q1 failed');
    expect(line['err']).toEqual({ type: 'DbError', message: 'no connection', stack: error.stack });
  });

  it('an Error with a cause chain and extra fields', async () => {
    const root = new Error('disk full');
    const middle = Object.assign(new TypeError('write failed', { cause: root }), { code: 'E_WRITE' });
    const top = new Error('request failed', { cause: middle });
    const line = await one((log) => log.error(top));
    expect(line['err']).toEqual({
      type: 'Error',
      message: 'request failed',
      stack: top.stack,
      cause: { type: 'TypeError', message: 'write failed', stack: middle.stack, code: 'E_WRITE', cause: { type: 'Error', message: 'disk full', stack: root.stack } },
    });
    expect(line.msg).toBe('request failed');
  });

  it('an error as a field of the merging object', async () => {
    const error = new RangeError('out');
    const line = await one((log) => log.info({ err: error, op: 'x' }, 'failed'));
    expect(line).toMatchObject({ err: { type: 'RangeError', message: 'out' }, op: 'x', msg: 'failed' });
  });

  it('non-string first arguments become the message, as util.format joins them', async () => {
    const lines = await logged((log) => {
      log.info(42);
      log.info(42, 'a', { b: 1 });
      log.info(null);
      log.info(undefined);
      log.info(true);
      // Not in LogFn's types, but JavaScript callers can do it.
      (log.info as (...args: unknown[]) => void)();
    });
    expect(lines.map((line) => line.msg)).toEqual(['42', '42 a {"b":1}', 'null', 'undefined', 'true', undefined]);
    expect(lines[5]).not.toHaveProperty('msg');
  });
});

// ---- child loggers -----------------------------------------------------------------------------

describe('child loggers', () => {
  it('carry their bindings in every record; a nested child merges, the child winning a clash', async () => {
    const lines = await logged((log) => {
      const child = log.child({ a: 1, b: 'parent' });
      child.info('one');
      child.warn({ f: true }, 'two');
      child.child({ b: 'child', c: 3 }).error('three');
      log.info('root');
    });
    expect(lines.map(({ level, time, pid, hostname, ...rest }) => rest)).toEqual([
      { a: 1, b: 'parent', msg: 'one' },
      { a: 1, b: 'parent', f: true, msg: 'two' },
      { a: 1, b: 'child', c: 3, msg: 'three' },
      { msg: 'root' },
    ]);
    expect(Object.keys(lines[2]!).slice(4)).toEqual(['a', 'b', 'c', 'msg']);
  });

  it('child(bindings, { level, name }) sets the child’s threshold and name, not the parent’s', async () => {
    const lines = await logged(
      (log) => {
        const child = log.child({ k: 1 }, { level: 'debug', name: 'kid' });
        child.debug('child debug');
        child.trace('child trace');
        log.debug('parent debug');
        log.child({}).info('inherits the name');
        expect(child.level).toBe('debug');
        expect(child.name).toBe('kid');
      },
      {},
      'parent',
    );
    expect(lines.map((line) => [line['name'], line.level, line.msg])).toEqual([
      ['kid', 20, 'child debug'],
      ['parent', 30, 'inherits the name'],
    ]);
  });

  it('take the parent’s level at the time of the call', async () => {
    const lines = await logged((log) => {
      log.level = 'warn';
      const child = log.child({});
      log.level = 'trace';
      child.info('filtered');
      child.warn('kept');
    });
    expect(lines.map((line) => line.msg)).toEqual(['kept']);
  });

  it('copy their bindings at child() time: later changes to the object do not show', async () => {
    const lines = await logged((log) => {
      const bindings = { v: 1, nested: { n: 1 } };
      const child = log.child(bindings);
      bindings.v = 2;
      bindings.nested.n = 2;
      Object.assign(bindings, { added: true });
      child.info('m');
    });
    expect(lines[0]).toMatchObject({ v: 1, nested: { n: 1 } });
    expect(lines[0]).not.toHaveProperty('added');
  });

  it('write a `__proto__` binding key as an ordinary key', async () => {
    const s = await setup();
    s.log.child(JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as Record<string, unknown>).info('m');
    await s.backend.close();
    expect(s.text()).toContain('"__proto__":{"polluted":true},"ok":1');
    const line = s.lines()[0]!;
    expect(Object.hasOwn(line, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('replace bindings too large for a record with a marker', async () => {
    const lines = await logged((log) => log.child({ blob: 'x'.repeat(100_000) }).info('m'));
    expect(lines).toMatchObject([{ bindings: '[Too large]', msg: 'm' }]);
  });

  it('reject invalid arguments with a TypeError naming the argument', async () => {
    const { log } = await setup();
    const child = log.child.bind(log) as (...args: unknown[]) => Logger;
    for (const bad of [null, undefined, 'str', 42, ['a']]) expect(() => child(bad)).toThrow(/child\(bindings\)/);
    expect(() => child({}, null)).toThrow(TypeError);
    expect(() => child({}, null)).toThrow(/options/);
    expect(() => child({}, 'debug')).toThrow(/options/);
    expect(() => child({}, { level: 'loud' })).toThrow(TypeError);
    expect(() => child({}, { level: 'loud' })).toThrow(/options\.level/);
    expect(() => child({}, { name: 7 })).toThrow(TypeError);
    expect(() => child({}, { name: 7 })).toThrow(/options\.name/);
  });

  it('reject a name too long for a record, as connect() does, instead of overflowing the stack', async () => {
    const { log } = await setup();
    expect(() => log.child({}, { name: 'x'.repeat(10_000) })).toThrow(/options\.name/);
  });
});

// ---- levels ------------------------------------------------------------------------------------

describe('levels', () => {
  it('default to info: debug and trace are filtered; `logger.level` takes effect at once', async () => {
    const lines = await logged((log) => {
      expect(log.level).toBe('info');
      log.trace('t1');
      log.debug('d1');
      log.info('i1');
      log.level = 'trace';
      log.trace('t2');
      log.debug('d2');
      log.level = 'error';
      log.warn('w3');
      log.error('e3');
    });
    expect(lines.map((line) => line.msg)).toEqual(['i1', 't2', 'd2', 'e3']);
  });

  it('isLevelEnabled follows the threshold; silent filters everything', async () => {
    const lines = await logged((log) => {
      expect([log.isLevelEnabled('debug'), log.isLevelEnabled('info'), log.isLevelEnabled('fatal')]).toEqual([false, true, true]);
      log.level = 'silent';
      expect(log.isLevelEnabled('fatal')).toBe(false);
      log.fatal('nothing');
    });
    expect(lines).toEqual([]);
  });

  it('connect(handle, { level }) and the backend’s level as the default', async () => {
    const s = await setup({ level: 'debug' });
    expect(s.log.level).toBe('debug');
    const warnOnly = connect(s.backend.handle, { level: 'warn' });
    expect(connect(s.backend.handle).level).toBe('debug');
    warnOnly.info('filtered');
    warnOnly.warn('kept');
    s.log.debug('debug kept');
    await s.backend.close();
    expect(s.lines().map((line) => line.msg)).toEqual(['kept', 'debug kept']);
  });

  it('an invalid level throws a TypeError naming the allowed values', async () => {
    const { log, backend } = await setup();
    const loose = log as unknown as { level: unknown; isLevelEnabled(level: unknown): boolean };
    expect(() => {
      loose.level = 'loud';
    }).toThrow(TypeError);
    expect(() => {
      loose.level = 'loud';
    }).toThrow(/logger\.level must be one of trace, debug, info, warn, error, fatal or silent; received 'loud'/);
    expect(log.level).toBe('info');
    expect(() => loose.isLevelEnabled(30)).toThrow(/trace, debug, info, warn, error, fatal or silent/);
    expect(() => connect(backend.handle, { level: 'loud' as never })).toThrow(TypeError);
    expect(() => connect(backend.handle, { level: 'loud' as never })).toThrow(/options\.level must be one of trace, debug, info, warn, error, fatal or silent/);
  });

  it('filter before encoding: a filtered-out call does not read its arguments', async () => {
    let reads = 0;
    const hostile = {
      get x(): never {
        reads++;
        throw new Error('read');
      },
    };
    const lines = await logged((log) => {
      log.debug(hostile, 'filtered %j', hostile);
      log.trace('filtered', hostile);
      log.level = 'silent';
      log.error(hostile);
    });
    expect(reads).toBe(0);
    expect(lines).toEqual([]);
  });
});

// ---- connect -----------------------------------------------------------------------------------

describe('connect', () => {
  it('rejects anything but a backend’s handle with a TypeError', async () => {
    const { backend } = await setup();
    const bad: unknown[] = [
      undefined,
      null,
      {},
      'handle',
      { ...backend.handle, ringlog: '1' },
      { ...backend.handle, buffer: new ArrayBuffer(4096) },
      { ...backend.handle, level: 'loud' },
      { ...backend.handle, onFull: 'wait' },
    ];
    for (const handle of bad) expect(() => connect(handle)).toThrow(TypeError);
    expect(() => connect(null)).toThrow(/connect\(handle\)/);
    // Another version of the layout: its own error, naming both versions.
    expect(() => connect({ ...backend.handle, ringlog: 99 })).toThrow(expect.objectContaining({ code: 'ERR_RINGLOG_VERSION' }));
    expect(() => connect(backend.handle, { name: 'x'.repeat(257) })).toThrow(/options\.name/);
  });

  it('logs from a real worker thread through the handle in workerData', async () => {
    const s = await setup();
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(${JSON.stringify(distIndexUrl)}).then(async ({ connect }) => {
        const log = connect(workerData.handle, { name: 'worker', level: 'debug' });
        log.debug({ from: 'worker' }, 'hello from %s', 'a thread');
        log.child({ job: 7 }).info('child in worker');
        await log.flush();
        parentPort.postMessage('flushed');
      });
    `;
    const worker = new Worker(code, { eval: true, workerData: { handle: s.backend.handle } });
    const exited = new Promise<number>((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    const message = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(message).toBe('flushed');
    // The worker's flush resolved: its records are in the file before the backend closes.
    expect(s.lines()).toMatchObject([
      { level: 20, name: 'worker', from: 'worker', msg: 'hello from a thread' },
      { level: 30, name: 'worker', job: 7, msg: 'child in worker' },
    ]);
    expect(await exited).toBe(0);
    await s.backend.close();
    expect(s.lines()).toHaveLength(2);
  });

  it('accepts a name of 256 characters even when its UTF-8 does not fit a small ring’s record', async () => {
    // 4KiB ring: records of at most 504 bytes; 256 '€' are 768 bytes of UTF-8.
    const s = await setup({ bufferSize: '4KiB' });
    let log: Logger | undefined;
    expect(() => {
      log = connect(s.backend.handle, { name: '€'.repeat(256) });
    }).not.toThrow();
    log?.info('still logs');
    await s.backend.close();
    expect(s.lines().map((line) => line.msg)).toEqual(['still logs']);
  });
});

// ---- flush, close, stats -----------------------------------------------------------------------

describe('flush, close and stats', () => {
  it('backend.flush() resolves once the record is in the file', async () => {
    const s = await setup();
    s.log.info('first');
    await s.backend.flush();
    expect(s.lines().map((line) => line.msg)).toEqual(['first']);
    s.log.info('second');
    await s.backend.flush();
    expect(s.lines().map((line) => line.msg)).toEqual(['first', 'second']);
  });

  it('logger.flush() resolves once the record is in the file', async () => {
    const s = await setup();
    const child = s.log.child({ c: 1 });
    child.warn('flushed by the logger');
    await child.flush();
    expect(s.lines()).toMatchObject([{ c: 1, msg: 'flushed by the logger' }]);
  });

  it('stats() counts what was written; bytesWritten is the file size', async () => {
    const s = await setup();
    for (let i = 0; i < 10; i++) s.log.info({ i }, 'record');
    const stats = await s.backend.close();
    expect(stats).toMatchObject({
      recordsWritten: 10,
      bytesWritten: fs.statSync(s.file).size,
      recordsDropped: 0,
      droppedFull: 0,
      droppedClosed: 0,
      oversized: 0,
      recordsFailed: 0,
      rotations: 0,
    });
    for (const value of Object.values(stats)) expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
    expect(stats.bytesWritten).toBeGreaterThan(0);
    expect(s.backend.stats()).toEqual(stats);
  });

  it('close() is idempotent and gives the same stats every time', async () => {
    const s = await setup();
    s.log.info('one');
    const [a, b] = await Promise.all([s.backend.close(), s.backend.close()]);
    const c = await s.backend.close();
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a.recordsWritten).toBe(1);
  });

  it('logging after close never throws, counts droppedClosed and writes nothing', async () => {
    const s = await setup();
    s.log.info('before');
    await s.backend.close();
    const size = fs.statSync(s.file).size;
    expect(() => {
      s.log.info('after close');
      s.log.child({ k: 1 }).error(new Error('late'));
    }).not.toThrow();
    await expect(s.log.flush()).resolves.toBeUndefined();
    await expect(s.backend.flush()).resolves.toBeUndefined();
    expect(s.backend.stats()).toMatchObject({ recordsWritten: 1, droppedClosed: 2, recordsDropped: 2 });
    expect(fs.statSync(s.file).size).toBe(size);
  });

  it('an oversized call after close is one dropped record, not two', async () => {
    const s = await setup();
    await s.backend.close();
    s.log.info('x'.repeat(100_000));
    expect(s.backend.stats().recordsDropped).toBe(1);
  });
});

// ---- hostile values and sizes ------------------------------------------------------------------

describe('hostile values through the whole path', () => {
  it('every line is valid JSON and there is exactly one line per record', async () => {
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic['self'] = cyclic;
    const s = await setup();
    s.log.info(
      {
        cyclic,
        big: 12345678901234567890n,
        neg: -5n,
        get boom(): never {
          throw new Error('getter');
        },
        'key\r\nwith "breaks"': 'v\nw',
        lone: 'a\ud800b',
        separators: 'a\u2028b\u2029c',
      },
      'first\nsecond\r\nthird %s',
      'arg\n{"level":60,"forged":true}',
    );
    s.log.warn('nul \0 and \u2029 in msg');
    s.log.child({ 'bind\nkey': 'x\ry', ['\ud800']: 1 }, { name: 'n\nm' }).error('child');
    s.log.info(['\n', { '\n': '\r' }] as unknown as object);
    const stats = await s.backend.close();
    const text = s.text();
    expect(text.split('\n')).toHaveLength(5);
    expect(text).not.toMatch(/[\r\u2028\u2029\0]/);
    const lines = s.lines();
    expect(lines).toHaveLength(4);
    expect(stats).toMatchObject({ recordsWritten: 4, recordsFailed: 0 });
    expect(text).toContain('"big":12345678901234567890,');
    expect(text).toContain('"neg":-5,');
    expect(lines[0]).toMatchObject({
      cyclic: { name: 'c', self: '[Circular]' },
      boom: '[Throws]',
      'key\r\nwith "breaks"': 'v\nw',
      lone: 'a\ufffdb',
      separators: 'a\u2028b\u2029c',
      msg: 'first\nsecond\r\nthird arg\n{"level":60,"forged":true}',
    });
    expect(lines[0]).not.toHaveProperty('forged');
    expect(lines[1]!.msg).toBe('nul \0 and \u2029 in msg');
    expect(lines[2]).toMatchObject({ name: 'n\nm', 'bind\nkey': 'x\ry', '\ufffd': 1, msg: 'child' });
  });

  it('a getter or toJSON that logs while its own record is being encoded: both records arrive intact', async () => {
    const s = await setup();
    const log = s.log;
    const sneaky = {
      get inner(): string {
        log.warn({ depth: 1, text: 'é'.repeat(50) }, 'logged from a getter');
        return 'outer value';
      },
      later: 'x'.repeat(200),
      toJSONField: { toJSON: () => (log.info('logged from toJSON'), 'json value') },
    };
    log.info(sneaky, 'outer %s', 'arg');
    const stats = await s.backend.close();
    expect(stats).toMatchObject({ recordsWritten: 3, recordsFailed: 0 });
    const lines = s.lines();
    expect(lines.map((l) => l.msg)).toEqual(['logged from a getter', 'logged from toJSON', 'outer arg']);
    expect(lines[0]).toMatchObject({ depth: 1, text: 'é'.repeat(50) });
    expect(lines[2]).toMatchObject({ inner: 'outer value', later: 'x'.repeat(200), toJSONField: 'json value' });
  });

  it('a revoked Proxy in any argument position is logged as a marker, never thrown', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const s = await setup();
    expect(() => {
      s.log.info(proxy);
      s.log.error(proxy, 'first argument');
      s.log.info('as an argument %j', proxy);
      s.log.info({ nested: proxy }, 'nested');
    }).not.toThrow();
    const stats = await s.backend.close();
    expect(stats).toMatchObject({ recordsWritten: 4, recordsFailed: 0 });
    expect(s.lines()[3]).toMatchObject({ nested: '[Unreadable]', msg: 'nested' });
  });

  it('an oversized record becomes a notice line; the next records arrive normally', async () => {
    // 64 KiB ring: records are limited to 64 KiB / 8 = 8 KiB.
    const s = await setup();
    s.log.info('before');
    s.log.warn({ blob: 'x'.repeat(100_000) }, 'too big');
    s.log.info('after %d', 1);
    const stats = await s.backend.close();
    const lines = s.lines();
    expect(lines).toHaveLength(3);
    expect(lines[0]!.msg).toBe('before');
    expect(lines[1]!.level).toBe(40);
    expect(lines[1]!.msg).toMatch(/^\[ringlog\] record of at least \d+ bytes dropped: records are limited to \d+ bytes/);
    expect(lines[1]).not.toHaveProperty('blob');
    expect(lines[2]!.msg).toBe('after 1');
    expect(stats).toMatchObject({ oversized: 1, recordsWritten: 3, recordsFailed: 0 });
  });

  it('records beyond one lap of the ring arrive once each, in order', async () => {
    // ~130 bytes a record, 3000 records: about six laps of a 64 KiB ring.
    const s = await setup();
    const count = 3000;
    for (let i = 0; i < count; i++) s.log.info({ i }, 'record number %d with some padding to take room', i);
    const stats = await s.backend.close();
    const seen = s.lines().map((line) => line['i']);
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(stats).toMatchObject({ recordsWritten: count, recordsFailed: 0, recordsDropped: 0 });
  });
});

// ---- stdout ------------------------------------------------------------------------------------

interface ChildRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
  readonly cwd: string;
}

/** Runs `node <args>` in a fresh empty folder. */
function runChild(args: readonly string[]): ChildRun {
  const cwd = tempDir();
  const result = spawnSync(process.execPath, [...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status, cwd };
}

const stdoutProgram = `
  const { createLogBackend } = await import(${JSON.stringify(distIndexUrl)});
  const backend = await createLogBackend({ bufferSize: '64KiB' });
  const log = backend.logger('cli');
  log.info('one');
  log.warn({ k: 2 }, 'two');
  await backend.close();
`;

function expectTwoStdoutLines(child: ChildRun): void {
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const lines = parseLines(child.stdout);
  expect(lines).toMatchObject([
    { level: 30, name: 'cli', msg: 'one' },
    { level: 40, name: 'cli', k: 2, msg: 'two' },
  ]);
  expect(lines).toHaveLength(2);
  // Nothing but the two lines, and no file made.
  expect(child.stdout.split('\n')).toHaveLength(3);
  expect(fs.readdirSync(child.cwd)).toEqual([]);
}

describe('stdout', () => {
  it('without `file`, the lines go to stdout (a CommonJS -e script)', () => {
    // Wrapped in an async function: `-e` without --input-type is CommonJS, no top-level await.
    const script = `(async () => {${stdoutProgram}})().catch((error) => { console.error(error); process.exitCode = 1; });`;
    expectTwoStdoutLines(runChild(['-e', script]));
  });

  it('without `file`, the lines go to stdout (an ESM program run with --input-type=module -e)', () => {
    // The consumer thread inherits the parent's execArgv, --input-type=module included, and
    // Node refuses --input-type for a file entry (ERR_INPUT_TYPE_NOT_ALLOWED).
    expectTwoStdoutLines(runChild(['--input-type=module', '-e', stdoutProgram]));
  });
});
