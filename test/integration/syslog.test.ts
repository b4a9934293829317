/**
 * The syslog sink against a collector in this process (test/support/syslog-collector.ts): real
 * worker threads, real sockets, every message parsed back as RFC 5424. The same checks against
 * rsyslog and syslog-ng are in syslog-engines.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, createLogBackend, destination, type SinkConfig } from '../../dist/src/index.js';
import { perTest } from '../support/per-test.js';
import type { RoutingCall } from '../fixtures/routing-worker.js';
import { runRoutingWorkers } from '../support/routing-workers.js';
import { checkIncreasing, logAcrossRestart, SYSLOG_HOSTNAME } from '../support/syslog-run.js';
import { parseSyslog, startCollector, type Collector, type SyslogMessage } from '../support/syslog-collector.js';
import { tempDir } from '../support/log-files.js';

const { defer, backend } = perTest();

async function collector(...args: Parameters<typeof startCollector>): Promise<Collector> {
  const c = await startCollector(...args);
  defer(() => c.stop());
  return c;
}

interface Body {
  readonly level: number;
  readonly time: number;
  readonly pid: number;
  readonly name?: string;
  readonly worker: number;
  readonly call: number;
  readonly seq: number;
  readonly msg: string;
}

/** Exactly once and in order per (worker, call): every sequence 0 .. count-1. */
function checkSequences(bodies: readonly Body[], workers: number, calls: number, count: number): void {
  const next = new Map<string, number>();
  for (const body of bodies) {
    const key = `${body.worker}:${body.call}`;
    const expected = next.get(key) ?? 0;
    if (body.seq !== expected) throw new Error(`${key}: seq ${body.seq} where ${expected} was due`);
    next.set(key, expected + 1);
  }
  expect(next.size).toBe(workers * calls);
  for (const seen of next.values()) expect(seen).toBe(count);
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(?:[+-]\d\d:\d\d|Z)$/;

/**
 * The header a message must carry for its JSON body. Plain comparisons, one expect for a
 * mismatch: 100,000 messages times nine expects would be most of the test's time.
 */
export function checkHeader(message: SyslogMessage, body: Body, facility: number, appName: string, procId = String(process.pid)): void {
  const severity = body.level >= 60 ? 2 : body.level >= 50 ? 3 : body.level >= 40 ? 4 : body.level >= 30 ? 6 : 7;
  const expected = { pri: facility * 8 + severity, version: 1, time: body.time, hostname: SYSLOG_HOSTNAME, appName, procId, msgId: body.name ?? '-', sd: '-', format: true };
  const actual = {
    pri: message.pri,
    version: message.version,
    time: Date.parse(message.timestamp),
    hostname: message.hostname,
    appName: message.appName,
    procId: message.procId,
    msgId: message.msgId,
    sd: message.structuredData,
    format: TIMESTAMP.test(message.timestamp),
  };
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

const CALLS: RoutingCall[] = [
  { name: 'db.pool', level: 'info' },
  { name: 'http', level: 'warn' },
  { name: undefined, level: 'debug' },
  { name: 'jobs', level: 'error' },
];

describe('syslog sink', () => {
  it('4 threads x 2,000 records arrive over TCP exactly once, in order, with their headers', async () => {
    const c = await collector('tcp');
    const b = await backend({ level: 'debug', sinks: [{ type: 'syslog', port: c.port, facility: 'local3', appName: 'ringlog-test' }] });
    const count = 500;
    await runRoutingWorkers(b, CALLS, count, 4);
    const stats = await b.close();
    await c.waitFor(4 * CALLS.length * count);
    expect(c.messages.length).toBe(4 * CALLS.length * count);
    const bodies = c.messages.map((text) => {
      const message = parseSyslog(text);
      const body = JSON.parse(message.msg) as Body;
      checkHeader(message, body, 19, 'ringlog-test');
      return body;
    });
    checkSequences(bodies, 4, CALLS.length, count);
    expect(stats).toMatchObject({ syslogSent: 8000, syslogLost: 0, syslogOversized: 0, recordsDropped: 0 });
  }, 30_000);

  it('sends a multi-line error whole, and a message over maxMessageSize as a counted notice', async () => {
    const c = await collector('tcp');
    const b = await backend({
      formatters: { plain: { type: 'text', template: '%(levelname)s %(message)s', style: '%' } },
      sinks: [
        { type: 'syslog', name: 'json', port: c.port, maxMessageSize: 1024 },
        { type: 'syslog', name: 'text', port: c.port, formatter: 'plain', maxMessageSize: 1024 },
      ],
    });
    const log = connect(b.handle, { name: 'app' });
    const error = new Error('boom\nsecond line');
    log.error({ err: error }, 'it failed');
    log.info('x'.repeat(2000));
    log.info('after');
    const stats = await b.close();
    await c.waitFor(6);
    const messages = c.messages.map(parseSyslog);
    const json = messages.filter((m) => m.msg.startsWith('{')).map((m) => JSON.parse(m.msg) as { err?: { stack: string }; msg: string });
    expect(json.map((body) => body.msg)).toEqual(['it failed', 'after']);
    expect(json[0]!.err!.stack).toBe(error.stack);
    const text = messages.filter((m) => !m.msg.startsWith('{') && !m.msg.startsWith('ringlog:'));
    // The text formatter's traceback, its line breaks and all, in one message.
    expect(text[0]!.msg).toMatch(/^ERROR it failed\n\tError: boom\n\tsecond line\n\t    at /);
    expect(text[1]!.msg).toBe('INFO after');
    const notices = messages.filter((m) => m.msg.startsWith('ringlog: a message of'));
    expect(notices).toHaveLength(2);
    for (const notice of notices) {
      expect(notice.pri).toBe(8 + 6);
      expect(notice.msgId).toBe('app');
      expect(notice.msg).toMatch(/over this sink's maxMessageSize of 1024 bytes/);
    }
    expect(stats.syslogOversized).toBe(2);
  });

  it("frames the lines pino writes through destination() with their level and time", async () => {
    const c = await collector('tcp');
    const b = await backend({ sinks: [{ type: 'syslog', port: c.port, facility: 'local7' }] });
    const pino = destination(b.handle);
    const time = Date.now();
    pino.write(`{"level":50,"time":${time},"msg":"from pino"}\n`);
    pino.write(`{"level":30,"time":${time},"msg":"and again"}\n`);
    await b.close();
    await c.waitFor(2);
    const [first, second] = c.messages.map(parseSyslog) as [SyslogMessage, SyslogMessage];
    expect(first).toMatchObject({ pri: 23 * 8 + 3, msgId: '-', msg: `{"level":50,"time":${time},"msg":"from pino"}` });
    expect(second).toMatchObject({ pri: 23 * 8 + 6, msg: `{"level":30,"time":${time},"msg":"and again"}` });
    expect(Math.abs(Date.parse(first.timestamp) - time)).toBeLessThan(1000);
  });

  it.each(['lf', 'octet-counting'] as const)('%s framing over a Unix socket', async (framing) => {
    const { dir, remove } = tempDir();
    defer(remove);
    const path = join(dir, 'syslog.sock');
    const c = await collector('unix', { framing, path });
    const b = await backend({
      formatters: { plain: { type: 'text', template: '%(message)s', style: '%' } },
      sinks: [{ type: 'syslog', transport: 'unix', path, framing, formatter: 'plain' }],
    });
    const log = connect(b.handle, { name: 'u' });
    for (let i = 0; i < 1000; i++) log.info('line %d', i);
    // The text formatter's traceback spans lines: LF framing cannot carry a line break.
    log.error(new Error('two\nlines'));
    await b.close();
    await c.waitFor(1001);
    const messages = c.messages.map((m) => parseSyslog(m).msg);
    expect(messages.slice(0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => `line ${i}`));
    const lineBreak = framing === 'lf' ? '#012' : '\n';
    // The message's own line break is escaped by the text formatter; the traceback's are real.
    const expected = ['two\\nlines', '\tError: two', '\tlines', '\t    at '].join(lineBreak);
    expect(messages[1000]!.startsWith(expected)).toBe(true);
  });

  it('over UDP, one message a datagram', async () => {
    const c = await collector('udp');
    const b = await backend({ sinks: [{ type: 'syslog', transport: 'udp', port: c.port }] });
    const log = connect(b.handle, { name: 'udp' });
    // Few enough that the loopback's socket buffers keep them all.
    for (let i = 0; i < 200; i++) log.warn({ i }, 'datagram');
    const stats = await b.close();
    await c.waitFor(200);
    const bodies = c.messages.map((m) => JSON.parse(parseSyslog(m).msg) as { i: number });
    expect(bodies.map((body) => body.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(stats.syslogSent).toBe(200);
  });

  it('a collector killed and restarted mid-run: what is lost is at most what is counted; one error, one recover', async () => {
    const c = await collector('tcp');
    const b = await backend({ sinks: [{ type: 'syslog', port: c.port }] });
    const errors: unknown[] = [];
    const recovers: { recordsLost: number; operation: string }[] = [];
    b.on('error', (error) => errors.push(error));
    b.on('recover', (info) => recovers.push(info));
    const log = connect(b.handle, { name: 'k' });
    const total = 20_000;
    await logAcrossRestart(log, total, () => c.stop(), () => c.start());
    const stats = await b.close();
    const seqs = c.messages.map((m) => (JSON.parse(parseSyslog(m).msg) as { seq: number }).seq);
    checkIncreasing(seqs);
    expect(total - seqs.length).toBeLessThanOrEqual(stats.syslogLost);
    expect(stats.syslogSent + stats.syslogLost).toBeGreaterThanOrEqual(total);
    expect(errors).toHaveLength(1);
    expect(recovers).toHaveLength(1);
    expect(recovers[0]!.operation).toBe('syslog');
    expect(recovers[0]!.recordsLost).toBe(stats.syslogLost);
  }, 30_000);

  it('a collector that is away at close: close ends in bounded time, the lines are dropped and counted', async () => {
    const c = await collector('tcp');
    const port = c.port;
    await c.stop();
    const b = await backend({ sinks: [{ type: 'syslog', port }], closeTimeoutMs: 3000 });
    b.on('error', () => {});
    const log = connect(b.handle);
    for (let i = 0; i < 100; i++) log.info('nobody listens');
    const started = Date.now();
    const stats = await b.close();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(stats.syslogLost).toBe(100);
  });
});

describe('syslog sink options', () => {
  it.each<[string, SinkConfig, RegExp]>([
    ['transport', { type: 'syslog', transport: 'http' as never }, /sinks\[0\]\.transport must be 'tcp', 'udp' or 'unix'; received 'http'/],
    ['port', { type: 'syslog', port: 70000 }, /sinks\[0\]\.port must be an integer from 1 to 65535; received 70000/],
    ['facility', { type: 'syslog', facility: 'local9' as never }, /sinks\[0\]\.facility must be a facility name \(kern, user.*\) or a number from 0 to 23; received 'local9'/],
    ['appName', { type: 'syslog', appName: 'has space' }, /sinks\[0\]\.appName must be 1 to 48 printable US-ASCII characters/],
    ['maxMessageSize', { type: 'syslog', maxMessageSize: 100 }, /sinks\[0\]\.maxMessageSize must be a byte size from 480 to 524288 bytes; received 100/],
    ['UDP maxMessageSize', { type: 'syslog', transport: 'udp', maxMessageSize: '1MiB' }, /sinks\[0\]\.maxMessageSize must be a byte size from 480 to 65507 bytes/],
    ['framing', { type: 'syslog', framing: 'nul' as never }, /sinks\[0\]\.framing must be 'octet-counting' or 'lf'; received 'nul'/],
    ['UDP framing', { type: 'syslog', transport: 'udp', framing: 'lf' }, /sinks\[0\]\.framing applies to transports 'tcp' and 'unix'/],
    ['unix path', { type: 'syslog', transport: 'unix' }, /sinks\[0\]\.path is required with transport 'unix'/],
    ['unknown key', { type: 'syslog', hots: 'x' } as never, /sinks\[0\]\.hots is not a known option; known: .*host/],
  ])('%s is checked at startup', async (_what, sink, message) => {
    await expect(createLogBackend({ sinks: [sink] })).rejects.toThrow(message);
  });
});
