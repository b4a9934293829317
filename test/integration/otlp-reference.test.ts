/**
 * The OTLP sink against the reference: the official OpenTelemetry JS exporter
 * (`@opentelemetry/exporter-logs-otlp-http` with the SDK's LoggerProvider) sends the same records
 * to the same in-process receiver, and the two payloads are compared field by field: resource,
 * scope, time, severity number and text, body, every attribute as an AnyValue (exceptions as
 * the semantic conventions' `exception.*`).
 *
 * Where the two may differ, by the OTLP/JSON mapping itself, the comparison normalizes and says
 * why: an int64 is a JSON string in ringlog (protobuf's JSON mapping) and a number in the
 * exporter (receivers take both); `droppedAttributesCount: 0` is the proto3 default, which
 * ringlog leaves out; `observedTimeUnixNano` is when each side saw the record; ringlog adds a
 * `thread.id` attribute.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { connect, createLogBackend } from '../../dist/src/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Request {
  readonly contentType: string | undefined;
  readonly path: string | undefined;
  readonly body: { resourceLogs: { resource: { attributes: Json[] }; scopeLogs: { scope: { name: string }; logRecords: { [key: string]: Json }[] }[] }[] };
}

async function receive(send: (url: string) => Promise<void>): Promise<Request[]> {
  const requests: Request[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      requests.push({ contentType: request.headers['content-type'], path: request.url, body: JSON.parse(text) as Request['body'] });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return requests;
}

/** The two encodings of one AnyValue tree made the same where OTLP/JSON allows both (see the header). */
function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'droppedAttributesCount' && inner === 0) continue;
    out[key] = key === 'intValue' ? String(inner) : normalize(inner);
  }
  return out;
}

/** Every record of the requests, with its scope and resource, normalized. */
function records(requests: Request[]): { resource: Json; scope: string; record: { [key: string]: Json } }[] {
  return requests.flatMap(({ body }) =>
    body.resourceLogs.flatMap(({ resource, scopeLogs }) =>
      scopeLogs.flatMap(({ scope, logRecords }) =>
        logRecords.map((record) => {
          const { observedTimeUnixNano: _observed, ...rest } = normalize(record) as { [key: string]: Json };
          const attributes = (rest['attributes'] as { key: string }[] | undefined)?.filter((kv) => kv.key !== 'thread.id');
          return { resource: normalize(resource.attributes), scope: scope.name, record: { ...rest, attributes: attributes ?? [] } };
        }),
      ),
    ),
  );
}

const RESOURCE = { 'service.name': 'billing', 'deployment.environment': 'test' };

describe('the OTLP sink beside @opentelemetry/exporter-logs-otlp-http', () => {
  it('sends the same resource, scope, time, severity, body and attributes for the same records', async () => {
    const error = new TypeError('no such account');
    const fields = { ms: 1200, ratio: 0.5, ok: true, user: 'ada', tags: ['a', 1, false], nested: { depth: 1, inner: { leaf: 'x' } } };
    // What ringlog sends: every level, fields and bindings, an error.
    const ours = await receive(async (url) => {
      const backend = await createLogBackend({ level: 'trace', sinks: [{ type: 'otlp', url, resource: RESOURCE }] });
      const db = connect(backend.handle, { name: 'db.pool' }).child({ shard: 3 });
      for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) db[level](fields, `${level} call`);
      db.error({ err: error }, 'failed');
      connect(backend.handle, { name: 'plain' }).info('just a message');
      await backend.close();
    });
    const mine = records(ours);
    expect(mine).toHaveLength(8);
    expect(ours.every((request) => request.contentType === 'application/json' && request.path === '/v1/logs')).toBe(true);

    // The reference: the same records through the SDK, at the times ringlog took.
    const severities = [[1, 'TRACE'], [5, 'DEBUG'], [9, 'INFO'], [13, 'WARN'], [17, 'ERROR'], [21, 'FATAL']] as const;
    const timeOf = (i: number): number => Number(BigInt(mine[i]!.record['timeUnixNano'] as string) / 1_000_000n);
    const theirs = await receive(async (url) => {
      const provider = new LoggerProvider({
        resource: resourceFromAttributes(RESOURCE),
        processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url }) })],
      });
      const db = provider.getLogger('db.pool');
      severities.forEach(([number, text], i) =>
        db.emit({ timestamp: timeOf(i), severityNumber: number, severityText: text, body: `${['trace', 'debug', 'info', 'warn', 'error', 'fatal'][i]} call`, attributes: { shard: 3, ...fields } }),
      );
      db.emit({
        timestamp: timeOf(6),
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'failed',
        attributes: { shard: 3, 'exception.type': 'TypeError', 'exception.message': 'no such account', 'exception.stacktrace': error.stack! },
      });
      provider.getLogger('plain').emit({ timestamp: timeOf(7), severityNumber: 9, severityText: 'INFO', body: 'just a message' });
      await provider.forceFlush();
      await provider.shutdown();
    });
    const reference = records(theirs);
    expect(reference).toHaveLength(8);

    // The resource: the reference's attributes that ringlog was given, the same.
    for (let i = 0; i < 8; i++) {
      const { resource, scope, record } = mine[i]!;
      const want = reference[i]!;
      expect(resource).toEqual(want.resource);
      expect(scope).toBe(want.scope);
      expect(record).toEqual(want.record);
    }
  }, 30_000);
});
