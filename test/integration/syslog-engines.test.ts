/**
 * The syslog sink against the real engines, rsyslog and syslog-ng (fetched by
 * test/engines/setup.mjs; started by test/support/engines.ts), and util-linux's `logger` as the
 * reference client. Without them the tests are skipped with the reason, except in CI
 * (CI=true), where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from '../../dist/src/index.js';
import { perTest } from '../support/per-test.js';
import type { RoutingCall } from '../fixtures/routing-worker.js';
import { runRoutingWorkers } from '../support/routing-workers.js';
import { checkIncreasing, logAcrossRestart, SYSLOG_HOSTNAME } from '../support/syslog-run.js';
import { loadEngines, startEngine, startTail, type Engine, type EngineLine, type EngineName } from '../support/engines.js';
import { tempDir } from '../support/log-files.js';
import { parseSyslog, startCollector } from '../support/syslog-collector.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const engines = loadEngines();
const hasLogger = spawnSync('logger', ['--help'], { encoding: 'utf8' }).stdout?.includes('--octet-count') === true;
const missing = typeof engines === 'string' ? engines : undefined;
if (missing !== undefined && !ci) console.warn(`syslog-engines.test.ts: skipped: ${missing}`);
if (!hasLogger && !ci) console.warn('syslog-engines.test.ts: the logger cross-check is skipped: no util-linux logger with --octet-count');

const { defer, backend } = perTest();

async function engine(name: EngineName, framing: 'octet-counting' | 'lf' = 'octet-counting'): Promise<Engine> {
  if (typeof engines === 'string') throw new Error(`the syslog engines are required in CI: ${engines}`);
  const { dir, remove } = tempDir();
  defer(remove);
  const e = await startEngine(engines, name, dir, framing);
  defer(() => e.stop());
  return e;
}

const CALLS: RoutingCall[] = [
  { name: 'db.pool', level: 'info' },
  { name: 'http', level: 'warn' },
  { name: undefined, level: 'debug' },
  { name: 'jobs', level: 'error' },
];
const PER_CALL = 6250;
const WORKERS = 4;

interface Body {
  readonly level: number;
  readonly time: number;
  readonly name?: string;
  readonly worker: number;
  readonly call: number;
  readonly seq: number;
}

/** One expect for a mismatch: 100,000 lines times seven expects would be most of the test's time. */
function checkLine(line: EngineLine, body: Body, facility: number, appName: string): void {
  const severity = body.level >= 60 ? 2 : body.level >= 50 ? 3 : body.level >= 40 ? 4 : body.level >= 30 ? 6 : 7;
  const expected = { pri: facility * 8 + severity, time: body.time, ms: true, hostname: SYSLOG_HOSTNAME, appName, procId: String(process.pid), msgId: body.name ?? '' };
  const actual = {
    pri: line.pri,
    time: Date.parse(line.timestamp),
    ms: /\.\d{3}(?:[+-]\d\d:\d\d|Z)$/.test(line.timestamp),
    hostname: line.hostname,
    appName: line.appName,
    procId: line.procId,
    // rsyslog writes '-' for no MSGID, syslog-ng nothing.
    msgId: line.msgId === '-' ? '' : line.msgId,
  };
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

describe.skipIf(missing !== undefined && !ci).each(['rsyslog', 'syslog-ng'] as const)('%s', (name) => {
  it('takes 4 threads x 25,000 records exactly once, in per-thread order, headers as sent; a multi-line error whole; the oversized notice', async () => {
    const e = await engine(name);
    const b = await backend({
      level: 'debug',
      sinks: [{ type: 'syslog', port: e.port, facility: 'local0', appName: 'ringlog-e2e', maxMessageSize: 4096 }],
    });
    await runRoutingWorkers(b, CALLS, PER_CALL, WORKERS);
    const log = connect(b.handle, { name: 'app' });
    const error = new Error('first line\nsecond line');
    log.error({ err: error }, 'failed');
    log.info({ big: 'x'.repeat(5000) }, 'too big');
    const stats = await b.close();
    const total = WORKERS * CALLS.length * PER_CALL;
    const lines = await e.waitFor(total + 2);
    expect(lines).toHaveLength(total + 2);

    const next = new Map<string, number>();
    for (const line of lines.slice(0, -2)) {
      const body = JSON.parse(line.msg) as Body;
      checkLine(line, body, 16, 'ringlog-e2e');
      const key = `${body.worker}:${body.call}`;
      const expected = next.get(key) ?? 0;
      if (body.seq !== expected) expect(`${key} seq ${body.seq}`).toBe(`${key} seq ${expected}`);
      next.set(key, expected + 1);
    }
    expect([...next.values()]).toEqual(Array(WORKERS * CALLS.length).fill(PER_CALL));

    const [errorLine, notice] = lines.slice(-2) as [EngineLine, EngineLine];
    const errorBody = JSON.parse(errorLine.msg) as { err: { stack: string; message: string } };
    expect(errorBody.err.stack).toBe(error.stack);
    expect(errorLine.pri).toBe(16 * 8 + 3);
    expect(notice.msg).toMatch(/^ringlog: a message of \d+ bytes was not sent: over this sink's maxMessageSize of 4096 bytes/);
    expect(notice.msgId).toBe('app');
    expect(stats).toMatchObject({ syslogSent: total + 2, syslogLost: 0, syslogOversized: 1, recordsDropped: 0 });
  }, 60_000);

  it('LF framing', async () => {
    const e = await engine(name, 'lf');
    const b = await backend({ sinks: [{ type: 'syslog', port: e.port, framing: 'lf', appName: 'lf' }] });
    const log = connect(b.handle, { name: 'lf.test' });
    for (let i = 0; i < 1000; i++) log.warn({ i }, 'framed by a newline');
    await b.close();
    const lines = await e.waitFor(1000);
    expect(lines.map((line) => (JSON.parse(line.msg) as { i: number }).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(lines.every((line) => line.msgId === 'lf.test' && line.pri === 8 + 4)).toBe(true);
  });

  it('killed and restarted mid-run: what is lost is at most what the sink counts; one error, one recover', async () => {
    const e = await engine(name);
    const b = await backend({ sinks: [{ type: 'syslog', port: e.port }] });
    const errors: unknown[] = [];
    const recovers: { recordsLost: number }[] = [];
    b.on('error', (error) => errors.push(error));
    b.on('recover', (info) => recovers.push(info));
    const log = connect(b.handle, { name: 'k' });
    const total = 20_000;
    await logAcrossRestart(log, total, () => e.kill(), () => e.start());
    const stats = await b.close();
    // Give the engine the time to write what it has.
    await e.waitFor(total - stats.syslogLost, 10_000);
    const seqs = e.lines().map((line) => (JSON.parse(line.msg) as { seq: number }).seq);
    checkIncreasing(seqs);
    expect(total - seqs.length).toBeLessThanOrEqual(stats.syslogLost);
    expect({ errors: errors.length, recovers: recovers.length, stats }).toMatchObject({ errors: 1, recovers: 1 });
    expect(recovers[0]!.recordsLost).toBe(stats.syslogLost);
  }, 60_000);
});

describe.skipIf(missing !== undefined && !ci)('rsyslog on a Unix stream socket', () => {
  it('takes the messages of transport unix', async () => {
    if (typeof engines === 'string') throw new Error(`the syslog engines are required in CI: ${engines}`);
    const { dir, remove } = tempDir();
    defer(remove);
    const path = join(dir, 'log.sock');
    const e = await startEngine(engines, 'rsyslog', dir, 'octet-counting', path);
    defer(() => e.stop());
    const b = await backend({ sinks: [{ type: 'syslog', transport: 'unix', path, appName: 'ux' }] });
    const log = connect(b.handle, { name: 'unix' });
    for (let i = 0; i < 1000; i++) log.info({ i }, 'over a Unix socket');
    await b.close();
    const lines = await e.waitFor(1000);
    expect(lines.map((line) => (JSON.parse(line.msg) as { i: number }).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(lines.every((line) => line.appName === 'ux' && line.msgId === 'unix' && line.pri === 8 + 6)).toBe(true);
  });
});

describe.skipIf(missing !== undefined && !ci)('rsyslog imfile tailing the rotating file', () => {
  it('gets every record at two rotations a second', async () => {
    if (typeof engines === 'string') throw new Error(`the syslog engines are required in CI: ${engines}`);
    const { dir, remove } = tempDir();
    defer(remove);
    const file = join(dir, 'app.log');
    const tail = await startTail(engines, dir, file);
    defer(() => tail.stop());
    const b = await backend({ file: { path: file, rotate: { maxSize: '128KiB', maxFiles: 100 } } });
    const log = connect(b.handle, { name: 'tailed' });
    const total = 8000;
    // About 2,500 records a second: a 128 KiB file lives about half a second.
    for (let seq = 0; seq < total; seq++) {
      log.info({ seq }, 'a record for the shipper');
      if (seq % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const stats = await b.close();
    expect(stats.rotations).toBeGreaterThanOrEqual(5);
    const until = Date.now() + 10_000;
    while (tail.shipped().length < total && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    const seqs = tail.shipped().map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
  }, 30_000);
});

describe.skipIf(!hasLogger && !ci)('logger --rfc5424 --octet-count, the reference client', () => {
  const send = (port: number, ...args: string[]): void => {
    const result = spawnSync('logger', ['--rfc5424', '--octet-count', '-T', '-n', '127.0.0.1', '-P', String(port), ...args], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  };

  it('is parsed by the test collector as ringlog is, field by field', async () => {
    const c = await startCollector('tcp');
    defer(() => c.stop());
    send(c.port, '-p', 'local0.warning', '-t', 'ref-app', '--id=4242', '--msgid', 'db.pool', 'hello from logger');
    const b = await backend({ sinks: [{ type: 'syslog', port: c.port, facility: 'local0', appName: 'ref-app' }] });
    connect(b.handle, { name: 'db.pool' }).warn('hello from ringlog');
    await b.close();
    await c.waitFor(2);
    const [reference, ours] = c.messages.map(parseSyslog) as [ReturnType<typeof parseSyslog>, ReturnType<typeof parseSyslog>];
    expect(reference.msg).toBe('hello from logger');
    expect((JSON.parse(ours.msg) as { msg: string }).msg).toBe('hello from ringlog');
    for (const key of ['pri', 'version', 'appName', 'msgId'] as const) expect(ours[key]).toBe(reference[key]);
    expect(reference.procId).toBe('4242');
    expect(ours.procId).toBe(String(process.pid));
    // logger sends microseconds; ringlog milliseconds: both RFC 3339 with an offset.
    expect(Number.isNaN(Date.parse(reference.timestamp))).toBe(false);
    expect(Number.isNaN(Date.parse(ours.timestamp))).toBe(false);
  });

  it.skipIf(missing !== undefined && !ci)('and rsyslog writes logger\'s message and ringlog\'s with the same fields', async () => {
    const e = await engine('rsyslog');
    send(e.port, '-p', 'local0.warning', '-t', 'ref-app', '--id=4242', '--msgid', 'db.pool', 'hello from logger');
    await e.waitFor(1);
    const b = await backend({ sinks: [{ type: 'syslog', port: e.port, facility: 'local0', appName: 'ref-app' }] });
    connect(b.handle, { name: 'db.pool' }).warn('hello from ringlog');
    await b.close();
    const [reference, ours] = (await e.waitFor(2)) as [EngineLine, EngineLine];
    expect({ ...ours, procId: '4242', timestamp: '', msg: '' }).toEqual({ ...reference, timestamp: '', msg: '' });
    expect(reference.msg).toBe('hello from logger');
    expect((JSON.parse(ours.msg) as { msg: string }).msg).toBe('hello from ringlog');
  });
});
