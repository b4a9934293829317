/**
 * Several sinks, routed by logger name and level, with real threads and real files: each file
 * gets exactly what its sink takes; levels are applied in the producer first (a record no sink
 * takes is never encoded) and per sink in the consumer; explicit levels replace configured ones;
 * text, JSON and custom formatters side by side; and the reliability machinery (stats, a
 * consumer that throws or dies, the drain at exit) works across sinks.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createLogBackend, type BackendOptions, type LevelName } from '../../dist/src/index.js';
import type { RoutingCall } from '../fixtures/routing-worker.js';
import { runRoutingWorkers } from '../support/routing-workers.js';
import type { FaultPlan } from '../fixtures/fault-app.js';
import { readArrived, runFaultApp, sum, total } from '../support/fault-run.js';
import { logFiles, readRecords, tempDir } from '../support/log-files.js';

const LEVEL_NAMES: LevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** Records the exit case logs: a burst several times the 64 KiB ring. */
const EXIT_RECORDS = 3000;
const app = fileURLToPath(new URL('../../dist/test/fixtures/routing-app.js', import.meta.url));
const fixtureUrl = (name: string): string => new URL(`../../dist/test/fixtures/formatters/${name}.js`, import.meta.url).href;

function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text.split('\n').slice(0, -1);
}

async function runWorkers(options: BackendOptions, calls: RoutingCall[], count: number, workers = 2) {
  const backend = await createLogBackend(options);
  await runRoutingWorkers(backend, calls, count, workers);
  return backend.close();
}

describe('routing with real threads and files', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('each file gets exactly what its sink takes; stats count lines summed over the sinks', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const options: BackendOptions = {
      level: 'info',
      bufferSize: '64KiB',
      formatters: { brief: { type: 'text', template: '{levelname} {name} {message} w{worker}', extras: 'none' } },
      sinks: [
        { name: 'all', type: 'file', path: join(dir, 'all.log') },
        { name: 'db', type: 'file', path: join(dir, 'db.log'), loggers: ['db'], formatter: 'brief' },
        { name: 'warnings', type: 'file', path: join(dir, 'warn.log'), level: 'warn', formatter: 'brief', rotate: { maxSize: '4KiB', maxFiles: 100 } },
      ],
      loggers: { 'db.pool': { level: 'debug' }, http: { level: 'warn' }, quiet: { propagate: false } },
    };
    const names = ['db', 'db.pool', 'http', 'quiet', 'app', undefined];
    const calls: RoutingCall[] = names.flatMap((name) => LEVEL_NAMES.map((level) => ({ name, level })));
    const count = 200;
    const workers = 2;
    const stats = await runWorkers(options, calls, count, workers);

    // What each (name, level) should reach, by hand from the configuration.
    const at = (level: LevelName, min: LevelName): boolean => LEVEL_NAMES.indexOf(level) >= LEVEL_NAMES.indexOf(min);
    const expected = { all: 0, db: 0, warn: 0 };
    const perCall = calls.map(({ name, level }) => {
      const threshold = name === 'db.pool' ? 'debug' : name === 'http' ? 'warn' : 'info';
      const kept = name !== 'quiet' && at(level, threshold);
      return { all: kept, db: kept && (name === 'db' || name === 'db.pool'), warn: kept && at(level, 'warn') };
    });
    for (const reach of perCall) for (const key of ['all', 'db', 'warn'] as const) if (reach[key]) expected[key] += count * workers;

    const all = readRecords(dir, 'all.log');
    const db = lines(join(dir, 'db.log'));
    const warnLines = readWarn(dir);
    expect(all).toHaveLength(expected.all);
    expect(db).toHaveLength(expected.db);
    expect(warnLines).toHaveLength(expected.warn);
    // Per call, every record of every worker, in order.
    perCall.forEach((reach, call) => {
      for (let worker = 0; worker < workers; worker++) {
        const seqs = all.filter((record) => record['call'] === call && record['worker'] === worker).map((record) => record['seq']);
        expect(seqs).toEqual(reach.all ? Array.from({ length: count }, (_, i) => i) : []);
      }
    });
    expect(db.every((line) => /^(DEBUG|INFO|WARNING|ERROR|CRITICAL) db(\.pool)? record \d+ of call \d+ w[01]$/.test(line))).toBe(true);
    expect(warnLines.every((line) => /^(WARNING|ERROR|CRITICAL) /.test(line))).toBe(true);
    expect(all.some((record) => record['name'] === 'quiet')).toBe(false);

    const lineCount = expected.all + expected.db + expected.warn;
    expect(stats).toMatchObject({ recordsWritten: lineCount, recordsDropped: 0, recordsFailed: 0, formatFailed: 0 });
    expect(stats.rotations).toBeGreaterThan(0);
    const sizes = ['all.log', 'db.log'].map((name) => statSync(join(dir, name)).size);
    const warnSize = logFiles(dir, 'warn.log').reduce((bytes, file) => bytes + statSync(file).size, 0);
    expect(stats.bytesWritten).toBe(sizes[0]! + sizes[1]! + warnSize);
  });

  it('an explicit level replaces the configured one, up or down, but a record that no sink takes is never encoded', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({
      level: 'info',
      sinks: [
        { name: 'root', type: 'file', path: join(dir, 'root.log'), level: 'info' },
        { name: 'db', type: 'file', path: join(dir, 'db.log'), loggers: ['db'] },
      ],
      loggers: { db: { level: 'warn' }, quiet: { propagate: false } },
    });
    const { handle } = backend;
    let touched = 0;
    const spy = {
      get value() {
        touched++;
        return 1;
      },
    };

    const db = connect(handle, { name: 'db' });
    expect(db.level).toBe('warn');
    expect(db.isLevelEnabled('info')).toBe(false);
    db.info(spy, 'filtered by the configured level');

    const dbDebug = connect(handle, { name: 'db', level: 'debug' });
    expect(dbDebug.level).toBe('debug');
    dbDebug.debug('explicitly lower: the db sink takes every level');
    const child = dbDebug.child({ c: 1 });
    expect(child.level).toBe('debug');
    child.debug('a child keeps the explicit level');
    const renamed = dbDebug.child({}, { name: 'app' });
    expect(renamed.level).toBe('debug');
    renamed.debug(spy, 'app reaches only the root sink, at info: never encoded');
    expect(renamed.isLevelEnabled('debug')).toBe(false);

    const app = connect(handle, { name: 'app', level: 'trace' });
    expect(app.level).toBe('trace');
    app.trace(spy, 'below every sink of its route: never encoded');
    app.info('written');
    app.level = 'error';
    app.warn(spy, 'raised by the setter');
    app.error('written too');

    const quiet = connect(handle, { name: 'quiet.child', level: 'trace' });
    expect(quiet.isLevelEnabled('fatal')).toBe(false);
    quiet.fatal(spy, 'reaches no sink: silent');

    expect(connect(handle).level).toBe('info');
    expect(connect(handle, { name: 'db.pool' }).level).toBe('warn');
    const stats = await backend.close();
    expect(touched).toBe(0);
    expect(readRecords(dir, 'db.log').map((record) => record['msg'])).toEqual([
      'explicitly lower: the db sink takes every level',
      'a child keeps the explicit level',
    ]);
    expect(readRecords(dir, 'root.log').map((record) => [record['name'], record['msg']])).toEqual([
      ['app', 'written'],
      ['app', 'written too'],
    ]);
    expect(stats.recordsWritten).toBe(4);
  });

  it('text, JSON and custom formatters side by side, each sink its own', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({
      formatters: {
        text: { type: 'text', template: '%(levelname)s %(name)s %(message)s', style: '%' },
        prefixed: { type: 'module', module: fixtureUrl('factory'), options: { prefix: '> ' } },
      },
      sinks: [
        { type: 'file', path: join(dir, 'text.log'), formatter: 'text' },
        { type: 'file', path: join(dir, 'prefixed.log'), formatter: 'prefixed' },
        { type: 'file', path: join(dir, 'json.log') },
      ],
    });
    const log = backend.logger('app');
    log.info('hello');
    log.warn('first line\nsecond line');
    log.error(new Error('boom'), 'failed');
    const stats = await backend.close();

    // Text escapes line breaks; continuation lines (a stack) start with a tab.
    const text = lines(join(dir, 'text.log'));
    expect(text.slice(0, 4)).toEqual(['INFO app hello', 'WARNING app first line\\nsecond line', 'ERROR app failed', '\tError: boom']);
    expect(text.slice(4).every((line) => line.startsWith('\t    at '))).toBe(true);
    // A custom formatter's text is its own business: ringlog does not escape it.
    expect(lines(join(dir, 'prefixed.log'))).toEqual(['> hello', '> first line', 'second line', '> failed']);
    expect(readRecords(dir, 'json.log').map((record) => record['msg'])).toEqual(['hello', 'first line\nsecond line', 'failed']);
    expect(stats).toMatchObject({ recordsWritten: 9, formatFailed: 0, recordsFailed: 0, recordsDropped: 0 });
  });

  it.each<[string, string, typeof Error, RegExp]>([
    ['not found', 'file:///nonexistent/format.js', TypeError, /^ringlog: options\.formatters\.mine\.module: formatter module 'file:\/\/\/nonexistent\/format\.js' was not found/],
    ['throws at import', fixtureUrl('throws-at-import'), Error, /^ringlog: options\.formatters\.mine\.module: formatter module '.*throws-at-import\.js' failed to load/],
    ['has no formatter', fixtureUrl('no-formatter'), TypeError, /^ringlog: options\.formatters\.mine\.module: formatter module '.*no-formatter\.js' has no formatter/],
  ])('a custom formatter module that %s rejects createLogBackend with the option path', async (_what, module, kind, message) => {
    const failure = createLogBackend({ formatters: { mine: { type: 'module', module } }, sinks: [{ type: 'stdout', formatter: 'mine' }] });
    const error = await failure.then(
      () => undefined,
      (reason: unknown) => reason as Error & { code?: string },
    );
    expect(error).toBeInstanceOf(kind);
    expect(error?.code).toBe('ERR_RINGLOG_OPTION');
    expect(error?.message).toMatch(message);
  });

  it('a file that cannot be opened rejects, naming it; the sinks opened before are released', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const failure = createLogBackend({
      sinks: [
        { type: 'file', path: join(dir, 'ok.log') },
        { type: 'file', path: join(dir, 'ok.log', 'under-a-file.log') },
      ],
    });
    await expect(failure).rejects.toThrow(`ringlog: cannot open the log file ${join(dir, 'ok.log', 'under-a-file.log')}`);
  });
});

describe('in a process of its own', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('stdout and stderr sinks, each with its level and formatter', () => {
    const result = spawnSync(process.execPath, [app, '.', 'streams'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('INFO:app:started\nWARNING:app:line one\\nline two\nERROR:app:failed {"code":7}\n');
    const err = result.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(err).toEqual([expect.objectContaining({ level: 50, name: 'app', code: 7, msg: 'failed' })]);
  });

  it('a custom formatter that fails on a record: the JSON line instead, counted, said once on stderr', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const result = spawnSync(process.execPath, [app, dir, 'fragile'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      /^ringlog: formatter '.*misbehaving\.js' threw: RangeError: cannot format this; records it fails on are written as JSON lines instead and counted in stats\(\)\.formatFailed \(said once per formatter\)\n$/,
    );
    const fragile = lines(join(dir, 'fragile.log'));
    expect(fragile.slice(0, 3)).toEqual(['ok hello', 'ok first line', 'second line']);
    expect(fragile.slice(3, 7).map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['throw', 'number', 'throw', 'promise']);
    expect(fragile[7]).toBe('ok bye');
    expect(readRecords(dir, 'json.log')).toHaveLength(7);
    expect(JSON.parse(result.stdout)).toMatchObject({ recordsWritten: 14, formatFailed: 4, recordsFailed: 0 });
  });

  it('process.exit() with the ring full: the main thread drains the rest through the same formatters, custom ones included', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const result = spawnSync(process.execPath, [app, dir, 'exit', String(EXIT_RECORDS)], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const upTo = Array.from({ length: EXIT_RECORDS }, (_, seq) => seq);
    expect(lines(join(dir, 'text.log'))).toEqual(upTo.map((seq) => `INFO burst record ${seq} #${seq}`));
    expect(lines(join(dir, 'custom.log'))).toEqual(upTo.map((seq) => `custom: record ${seq}`));
    expect(readRecords(dir, 'json.log').map((record) => record['seq'])).toEqual(upTo);
  });
});

describe('the consumer thread fails, with several sinks', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  const sinks = (dir: string) => [
    { name: 'a', type: 'file', path: join(dir, 'app.log') },
    { name: 'b', type: 'file', path: join(dir, 'copy.log') },
  ];

  it('it throws: restarted, its batch salvaged in every sink; nothing lost', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const plan: FaultPlan = { workers: 2, perWorker: 4000, main: 1000, options: { sinks: sinks(dir) as never } };
    const { result } = runFaultApp(dir, plan, 'throw:3');
    for (const base of ['app.log', 'copy.log']) {
      const arrived = readArrived(dir, base);
      expect(sum(arrived.counts)).toBe(total(plan));
      expect(arrived.gaps).toBe(0);
    }
    expect(result.stats).toMatchObject({ recordsWritten: 2 * total(plan), recordsDropped: 0 });
  });

  it('it dies in a write: the lines still buffered for the later sinks are counted with the batch in flight', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const plan: FaultPlan = { workers: 3, perWorker: 4000, main: 0, options: { sinks: sinks(dir) as never } };
    const { result } = runFaultApp(dir, plan, 'exit:3');
    const a = readArrived(dir, 'app.log');
    const b = readArrived(dir, 'copy.log');
    const { stats } = result;
    expect(stats['writeFailed']).toBeGreaterThan(0);
    expect(sum(a.counts) + sum(b.counts) + stats['writeFailed']!).toBe(2 * total(plan));
    expect(stats['recordsWritten']).toBe(a.lines + b.lines);
  });
});

/** The lines of warn.log and its rotations, oldest first. */
function readWarn(dir: string): string[] {
  return logFiles(dir, 'warn.log').flatMap((file) => lines(file));
}
