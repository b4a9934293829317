import { describe, expect, it } from 'vitest';
import { exportRequest, RETRY_AFTER_MAX_MS, retryAfterMs } from '../../../src/forward/http-sender.js';
import { anyValue, formatOtlp, frameOtlp, severityOf } from '../../../src/consumer/format/otlp-format.js';
import { ErrorValue, type LogRecord } from '../../../src/record/log-record.js';

const record = (over: Partial<LogRecord> = {}): LogRecord => ({
  time: 1796492810123,
  level: 30,
  threadId: 2,
  name: 'db',
  bindings: undefined,
  msg: 'hi %d',
  args: [5],
  fields: undefined,
  ...over,
});

describe('OTLP records', () => {
  it.each([
    [10, 1, 'TRACE'],
    [20, 5, 'DEBUG'],
    [30, 9, 'INFO'],
    [35, 11, 'INFO'],
    [40, 13, 'WARN'],
    [50, 17, 'ERROR'],
    [60, 21, 'FATAL'],
    [100, 24, 'FATAL'],
  ])('level %i is severity %i %s', (level, number, text) => {
    expect(severityOf(level)).toEqual({ number, text });
  });

  it('a record is its scope, a tab and its LogRecord; the body is the message filled in', () => {
    const line = formatOtlp(record({ fields: Object.assign(Object.create(null), { n: 1n, f: Number.NaN, u: undefined, z: null }) }));
    const tab = line.indexOf('\t');
    expect(JSON.parse(line.slice(0, tab))).toBe('db');
    const parsed = JSON.parse(line.slice(tab + 1)) as { timeUnixNano: string; body: unknown; attributes: { key: string; value: unknown }[] };
    expect(parsed.timeUnixNano).toBe('1796492810123000000');
    expect(parsed.body).toEqual({ stringValue: 'hi 5' });
    expect(parsed.attributes).toEqual([
      { key: 'thread.id', value: { intValue: '2' } },
      { key: 'n', value: { intValue: '1' } },
      { key: 'f', value: { doubleValue: 'NaN' } },
    ]);
  });

  it('an error in a field becomes exception.*, its own fields and cause a kvlist under its key', () => {
    const error = new ErrorValue('TypeError', 'bad', 'TypeError: bad\n    at x', Object.assign(Object.create(null), { code: 'E1' }), 'why');
    const line = formatOtlp(record({ fields: Object.assign(Object.create(null), { err: error }) }));
    const parsed = JSON.parse(line.slice(line.indexOf('\t') + 1)) as { attributes: { key: string; value: unknown }[] };
    expect(parsed.attributes.slice(1)).toEqual([
      { key: 'exception.type', value: { stringValue: 'TypeError' } },
      { key: 'exception.message', value: { stringValue: 'bad' } },
      { key: 'exception.stacktrace', value: { stringValue: 'TypeError: bad\n    at x' } },
      { key: 'err', value: { kvlistValue: { values: [{ key: 'code', value: { stringValue: 'E1' } }, { key: 'cause', value: { stringValue: 'why' } }] } } },
    ]);
    expect(JSON.parse(anyValue([1, 'a', [true]]))).toEqual({ arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }, { arrayValue: { values: [{ boolValue: true }] } }] } });
  });

  it('groups consecutive records of one scope into one ScopeLogs of one request', () => {
    const lines = [formatOtlp(record({ name: 'a' })), formatOtlp(record({ name: 'a' })), formatOtlp(record({ name: 'b' })), frameOtlp('{"pino":1}\n', 40, 1)].join('');
    const request = JSON.parse(exportRequest(lines, '[{"key":"service.name","value":{"stringValue":"s"}}]')) as {
      resourceLogs: { resource: unknown; scopeLogs: { scope: { name: string }; logRecords: { body: unknown }[] }[] }[];
    };
    expect(request.resourceLogs).toHaveLength(1);
    expect(request.resourceLogs[0]!.resource).toEqual({ attributes: [{ key: 'service.name', value: { stringValue: 's' } }] });
    expect(request.resourceLogs[0]!.scopeLogs.map((s) => [s.scope.name, s.logRecords.length])).toEqual([['a', 2], ['b', 1], ['', 1]]);
    expect(request.resourceLogs[0]!.scopeLogs[2]!.logRecords[0]!.body).toEqual({ stringValue: '{"pino":1}' });
  });

  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs('99999')).toBe(RETRY_AFTER_MAX_MS);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
