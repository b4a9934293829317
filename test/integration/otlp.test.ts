/**
 * The OTLP sink against an OTLP/HTTP receiver in this process: every request is checked as an
 * ExportLogsServiceRequest in OTLP/JSON (opentelemetry-proto's logs.proto and its JSON
 * mapping), and the receiver scripts the answers: 503 and 429 (retried, Retry-After honoured),
 * 400 (never retried, counted), partial success (counted), a receiver that is away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect, createLogBackend, type SinkConfig } from '../../dist/src/index.js';
import { perTest } from '../support/per-test.js';

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
  kvlistValue?: { values: KeyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body?: AnyValue;
  attributes?: KeyValue[];
}
interface ExportLogsServiceRequest {
  resourceLogs: { resource: { attributes: KeyValue[] }; scopeLogs: { scope: { name: string }; logRecords: LogRecord[] }[] }[];
}

type Answer = { status: number; headers?: Record<string, string>; body?: string };

interface Receiver {
  readonly url: string;
  /** Every request, parsed and checked, with the time it came. */
  readonly requests: { at: number; headers: IncomingMessage['headers']; body: ExportLogsServiceRequest }[];
  /** Answers to give, in order; then 200 with an empty body. */
  readonly script: Answer[];
  readonly records: () => { scope: string; record: LogRecord }[];
  close(): Promise<void>;
}

/** Fails the test on anything that is not an ExportLogsServiceRequest in OTLP/JSON. */
function checkShape(body: ExportLogsServiceRequest): void {
  expect(Object.keys(body)).toEqual(['resourceLogs']);
  expect(body.resourceLogs).toHaveLength(1);
  for (const resourceLogs of body.resourceLogs) {
    expect(Object.keys(resourceLogs).sort()).toEqual(['resource', 'scopeLogs']);
    for (const scopeLogs of resourceLogs.scopeLogs) {
      expect(typeof scopeLogs.scope.name).toBe('string');
      for (const record of scopeLogs.logRecords) {
        expect(record.timeUnixNano).toMatch(/^\d+$/);
        expect(record.observedTimeUnixNano).toMatch(/^\d+$/);
        expect([1, 5, 9, 13, 17, 21]).toContain(record.severityNumber);
        expect(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']).toContain(record.severityText);
        for (const attribute of record.attributes ?? []) checkValue(attribute.value);
      }
    }
  }
}

function checkValue(value: AnyValue): void {
  const keys = Object.keys(value);
  expect(keys).toHaveLength(1);
  if (value.intValue !== undefined) expect(value.intValue).toMatch(/^-?\d+$/);
  value.arrayValue?.values.forEach(checkValue);
  value.kvlistValue?.values.forEach((kv) => checkValue(kv.value));
}

async function startReceiver(): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const script: Answer[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/v1/logs');
      expect(request.headers['content-type']).toBe('application/json');
      const body = JSON.parse(text) as ExportLogsServiceRequest;
      checkShape(body);
      requests.push({ at: Date.now(), headers: request.headers, body });
      const answer = script.shift() ?? { status: 200, body: '{}' };
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script,
    records: () => requests.flatMap(({ body }) => body.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((record) => ({ scope: s.scope.name, record }))))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const { defer, backend } = perTest();

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  defer(() => r.close());
  return r;
}

const attributesOf = (record: LogRecord): Record<string, AnyValue> => Object.fromEntries((record.attributes ?? []).map((kv) => [kv.key, kv.value]));

describe('OTLP sink', () => {
  it('exports records as the logs data model says: severity, body, attributes, exception.*, scope, resource', async () => {
    const r = await receiver();
    const b = await backend({
      level: 'trace',
      sinks: [{ type: 'otlp', url: r.url, headers: { authorization: 'Bearer t0k' }, resource: { 'service.name': 'billing', 'service.instance.id': 7 } }],
    });
    const db = connect(b.handle, { name: 'db.pool' }).child({ shard: 3 });
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
    for (const level of levels) db[level]({ ok: true, ratio: 0.5, tags: ['a', 'b'], nested: { deep: 'x' } }, '%s call', level);
    const error = new Error('boom');
    connect(b.handle).error({ err: error }, 'failed');
    await b.close();

    expect(r.requests.every(({ headers }) => headers.authorization === 'Bearer t0k')).toBe(true);
    const resource = r.requests[0]!.body.resourceLogs[0]!.resource.attributes;
    expect(resource).toEqual([
      { key: 'service.name', value: { stringValue: 'billing' } },
      { key: 'service.instance.id', value: { intValue: '7' } },
    ]);
    const records = r.records();
    expect(records).toHaveLength(7);
    expect(records.map(({ record }) => [record.severityNumber, record.severityText])).toEqual([
      [1, 'TRACE'], [5, 'DEBUG'], [9, 'INFO'], [13, 'WARN'], [17, 'ERROR'], [21, 'FATAL'], [17, 'ERROR'],
    ]);
    const [first] = records;
    expect(first!.scope).toBe('db.pool');
    expect(first!.record.body).toEqual({ stringValue: 'trace call' });
    expect(BigInt(first!.record.timeUnixNano) / 1_000_000n).toBeGreaterThan(BigInt(Date.now() - 60_000));
    expect(attributesOf(first!.record)).toMatchObject({
      shard: { intValue: '3' },
      ok: { boolValue: true },
      ratio: { doubleValue: 0.5 },
      tags: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } },
      nested: { kvlistValue: { values: [{ key: 'deep', value: { stringValue: 'x' } }] } },
    });
    const failed = records[6]!;
    expect(failed.scope).toBe('');
    expect(attributesOf(failed.record)).toMatchObject({
      'exception.type': { stringValue: 'Error' },
      'exception.message': { stringValue: 'boom' },
      'exception.stacktrace': { stringValue: error.stack },
    });
  });

  it('retries 503 and 429 after Retry-After, in order; never retries 400, counting its records', async () => {
    const r = await receiver();
    r.script.push({ status: 503 }, { status: 429, headers: { 'retry-after': '1' } }, { status: 200 }, { status: 400, body: '{"message":"bad"}' });
    const b = await backend({ sinks: [{ type: 'otlp', url: r.url }] });
    const errors: unknown[] = [];
    const recovers: { recordsLost: number }[] = [];
    b.on('error', (error) => errors.push(error));
    b.on('recover', (info) => recovers.push(info));
    const log = connect(b.handle);
    log.info('first');
    await b.flush();
    await waitFor(() => r.requests.length >= 3);
    log.info('second');
    await b.flush();
    await waitFor(() => r.requests.length >= 4);
    log.info('third');
    const stats = await b.close();
    const bodies = r.requests.map(({ body }) => body.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body!.stringValue);
    // 503, 429, 200 for the first batch; 400 for the second, never sent again; the third goes.
    expect(bodies).toEqual(['first', 'first', 'first', 'second', 'third']);
    expect(r.requests[2]!.at - r.requests[1]!.at).toBeGreaterThanOrEqual(950);
    expect(stats).toMatchObject({ otlpSent: 2, otlpLost: 1 });
    expect(errors.length).toBe(2);
    expect(recovers.length).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('counts the records a partial success rejects', async () => {
    const r = await receiver();
    r.script.push({ status: 200, body: '{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too old"}}' });
    const b = await backend({ sinks: [{ type: 'otlp', url: r.url }] });
    const log = connect(b.handle);
    for (let i = 0; i < 5; i++) log.info({ i }, 'record');
    const stats = await b.close();
    expect(r.records()).toHaveLength(5);
    expect(stats).toMatchObject({ otlpSent: 3, otlpLost: 2 });
  });

  it('keeps the batches of a receiver that is away, and sends them when it is back', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    const b = await backend({ sinks: [{ type: 'otlp', url }] });
    b.on('error', () => {});
    const log = connect(b.handle);
    for (let i = 0; i < 100; i++) log.info({ i }, 'waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Back on the same port.
    const again = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(text) as ExportLogsServiceRequest);
        response.end('{}');
      });
    });
    const received: ExportLogsServiceRequest[] = [];
    await new Promise<void>((resolve) => again.listen(Number(new URL(url).port), '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => again.close(() => resolve())));
    await waitFor(() => received.flatMap((body) => body.resourceLogs[0]!.scopeLogs.flatMap((s) => s.logRecords)).length >= 100);
    const stats = await b.close();
    expect(stats).toMatchObject({ otlpSent: 100, otlpLost: 0 });
  }, 20_000);

  it.each<[string, SinkConfig, RegExp]>([
    ['url', { type: 'otlp', url: 'ftp://x' }, /sinks\[0\]\.url must be an http: or https: URL of an OTLP\/HTTP collector/],
    ['headers', { type: 'otlp', url: 'http://x', headers: { a: 1 as never } }, /sinks\[0\]\.headers\['a'\] must be a string without line breaks; received 1/],
    ['resource', { type: 'otlp', url: 'http://x', resource: { a: {} as never } }, /sinks\[0\]\.resource\['a'\] must be a string, a finite number or a boolean/],
    ['formatter', { type: 'otlp', url: 'http://x', formatter: 'text' } as never, /sinks\[0\]\.formatter is not a known option/],
  ])('%s is checked at startup', async (_what, sink, message) => {
    await expect(createLogBackend({ sinks: [sink] })).rejects.toThrow(message);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
