import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSyslogFormatter,
  headerField,
  severityOf,
  syslogTimestamp,
  type ResolvedSyslogFormat,
} from '../../../../src/consumer/format/syslog-format.js';
import type { LogRecord } from '../../../../src/record/log-record.js';
import { parseSyslog, FrameSplitter } from '../../../support/syslog-collector.js';

const record = (over: Partial<LogRecord> = {}): LogRecord => ({
  time: Date.UTC(2026, 11, 5, 17, 46, 50, 123),
  level: 30,
  threadId: 1,
  name: 'db.pool',
  bindings: undefined,
  msg: 'hi',
  args: [],
  fields: undefined,
  ...over,
});

const resolved = (over: Partial<ResolvedSyslogFormat> = {}): ResolvedSyslogFormat => ({
  framing: 'octet-counting',
  facility: 16,
  appName: 'api',
  maxMessageBytes: 8192,
  ...over,
});

function formatter(over: Partial<ResolvedSyslogFormat> = {}, inner = (r: LogRecord) => `${JSON.stringify({ msg: r.msg })}\n`) {
  let oversized = 0;
  const f = createSyslogFormatter(resolved(over), inner, { pid: 4242, hostname: 'web 1' }, () => oversized++);
  return { ...f, oversized: () => oversized };
}

describe('syslog format', () => {
  it.each([
    [10, 7],
    [20, 7],
    [30, 6],
    [35, 6],
    [40, 4],
    [50, 3],
    [60, 2],
  ])('level %i is severity %i', (level, severity) => {
    expect(severityOf(level)).toBe(severity);
  });

  it('header fields are printable US-ASCII, cut to their length, NILVALUE when empty', () => {
    expect(headerField('db pool/é\u0000', 32)).toBe('db_pool/__');
    expect(headerField('', 32)).toBe('-');
    expect(headerField(undefined, 32)).toBe('-');
    expect(headerField('x'.repeat(40), 32)).toBe('x'.repeat(32));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '~', '!', ' ', '\u0000', '\u007f', 'é', '✓', '😀'), maxLength: 300 }), fc.integer({ min: 1, max: 255 }), (value, max) => {
        const field = headerField(value, max);
        return field.length <= max && /^[\x21-\x7e]+$/.test(field);
      }),
    );
  });

  it('timestamps are local time to the millisecond with the offset, and mean the same instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800000 }), (time) => {
        const stamp = syslogTimestamp(time);
        return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/.test(stamp) && Date.parse(stamp) === time;
      }),
    );
  });

  it('frames an octet-counted RFC 5424 message around the inner line', () => {
    const { format } = formatter();
    const framed = format(record({ level: 40 }));
    const [message] = new FrameSplitter('octet-counting').push(Buffer.from(framed));
    const parsed = parseSyslog(message!);
    expect(parsed).toMatchObject({ pri: 16 * 8 + 4, version: 1, hostname: 'web_1', appName: 'api', procId: '4242', msgId: 'db.pool', structuredData: '-', msg: '{"msg":"hi"}' });
    expect(Date.parse(parsed.timestamp)).toBe(record().time);
    // The count is of bytes, not characters.
    const wide = format(record({ msg: 'héllo ✓' }));
    expect(Number(wide.slice(0, wide.indexOf(' ')))).toBe(Buffer.byteLength(wide) - wide.indexOf(' ') - 1);
  });

  it('LF framing ends the message with a newline, and sends one inside it as #012', () => {
    const { format } = formatter({ framing: 'lf' }, (r) => `${r.msg}\n`);
    const framed = format(record({ msg: 'a\nb' }));
    expect(framed.endsWith(' a#012b\n')).toBe(true);
    expect(framed.indexOf('\n')).toBe(framed.length - 1);
  });

  it('a message over maxMessageSize becomes a counted notice that fits, never a cut line', () => {
    const f = formatter({ maxMessageBytes: 480 });
    const framed = f.format(record({ msg: 'x'.repeat(1000) }));
    const [message] = new FrameSplitter('octet-counting').push(Buffer.from(framed));
    expect(Buffer.byteLength(message!)).toBeLessThanOrEqual(480);
    expect(parseSyslog(message!).msg).toMatch(/^ringlog: a message of \d+ bytes was not sent: over this sink's maxMessageSize of 480 bytes/);
    expect(f.oversized()).toBe(1);
    const fits = f.format(record({ msg: 'y'.repeat(300) }));
    expect(fits).toContain('y'.repeat(300));
    expect(f.oversized()).toBe(1);
  });

  it('frames a finished line with its level and time, without a logger name', () => {
    const { frame } = formatter();
    const [message] = new FrameSplitter('octet-counting').push(Buffer.from(frame('{"level":50}\n', 50, 0)));
    expect(parseSyslog(message!)).toMatchObject({ pri: 16 * 8 + 3, msgId: '-', msg: '{"level":50}' });
  });
});
