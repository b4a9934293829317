/**
 * Producers that render text lines (src/producer/text-lines.ts): with one text format on every
 * sink, a producer commits the finished line (Flag.LINE) and the consumer only copies it. Each
 * committed line must be the line format/text-format.ts writes for the same record; what the
 * renderer does not take stays an encoded record, for the consumer's general path.
 *
 * On the built code: the producer loads text-lines.js with require(), which needs JavaScript.
 */
import { describe, expect, it } from 'vitest';
import type * as Descriptor from '../../../src/record/descriptor.js';

const dist = (path: string): string => new URL(`../../../dist/src/${path}`, import.meta.url).href;
const { resolveOptions } = (await import(dist('config/options.js'))) as typeof import('../../../src/config/options.js');
const { handleFor } = (await import(dist('main/backend.js'))) as typeof import('../../../src/main/backend.js');
const { connect } = (await import(dist('producer/logger.js'))) as typeof import('../../../src/producer/logger.js');
const { allocateShared, viewShared } = (await import(dist('ring/layout.js'))) as typeof import('../../../src/ring/layout.js');
const { Ring } = (await import(dist('ring/ring.js'))) as typeof import('../../../src/ring/ring.js');
const descriptor = (await import(dist('record/descriptor.js'))) as typeof Descriptor;
const { decodeRecord } = (await import(dist('record/decoder.js'))) as typeof import('../../../src/record/decoder.js');
const { createTextFormatter } = (await import(dist('format/text-format.js'))) as typeof import('../../../src/format/text-format.js');
const { processContext } = (await import(dist('consumer/open-router.js'))) as typeof import('../../../src/consumer/open-router.js');

const PYTHON = '%(asctime)s %(name)s %(levelname)-8s %(message)s';

function backendOf(sinks: unknown[], formatters: unknown = { py: { type: 'text', template: PYTHON, style: '%' } }) {
  const options = resolveOptions({ bufferSize: '64KiB', formatters, sinks });
  const buffer = allocateShared(options.bufferBytes);
  return { options, handle: handleFor(options, buffer), ring: new Ring(viewShared(buffer), options.maxRecordBytes), u8: new Uint8Array(buffer) };
}

interface Frame {
  readonly line: boolean;
  readonly text: string;
}

/** What is committed, as the consumer would see it: a finished line, or the encoded record rendered by text-format.ts. */
function framesOf(b: ReturnType<typeof backendOf>): Frame[] {
  const format = b.options.formats[b.options.sinks[0]!.format]!;
  if (format.type !== 'text') throw new Error('a text format');
  const render = createTextFormatter(format.text, processContext());
  const frames: Frame[] = [];
  const views = viewShared(b.u8.buffer as SharedArrayBuffer);
  const bytes = descriptor.bytesOver(views.data);
  b.ring.read((index, length) => {
    const line = (views.data[index + descriptor.RecordOffset.FLAGS]! & descriptor.Flag.LINE) !== 0;
    frames.push({
      line,
      text: line
        ? Buffer.from(views.data.subarray(index + descriptor.HEADER_BYTES, index + length)).toString('utf8')
        : render(decodeRecord(bytes, index, length)),
    });
  }, Number.MAX_SAFE_INTEGER);
  return frames;
}

describe('producers render text lines', () => {
  it('asks for them when every sink writes one text format and names route nothing, and not otherwise', () => {
    expect(backendOf([{ type: 'file', path: 'a.log', formatter: 'py' }, { type: 'stdout', formatter: 'py', level: 'warn' }]).handle.text).toBeDefined();
    expect(backendOf([{ type: 'file', path: 'a.log', formatter: 'text' }]).handle.text).toBeDefined();
    expect(backendOf([{ type: 'file', path: 'a.log' }]).handle.text).toBeUndefined();
    expect(backendOf([{ type: 'file', path: 'a.log', formatter: 'py' }, { type: 'stdout' }]).handle.text).toBeUndefined();
    expect(backendOf([{ type: 'file', path: 'a.log', formatter: 'py' }, { type: 'stdout', formatter: 'text' }]).handle.text).toBeUndefined();
    expect(backendOf([{ type: 'file', path: 'a.log', formatter: 'py', loggers: ['db'] }, { type: 'stdout', formatter: 'py' }]).handle.text).toBeUndefined();
  });

  it('commits the line text-format.ts writes for the same call; what the renderer leaves (printf, an Error) stays encoded', () => {
    const boom = new Error('boom');
    const calls = (log: ReturnType<typeof connect>): void => {
      log.info('hello %s, %d times', 'world', 3);
      log.child({ requestId: 'r-1' }).warn({ user: 'u1', n: 1.5 }, 'with fields: "quoted"\tand a tab');
      log.error(boom, 'failed');
      log.info('ünïcödé and emoji 🎉');
      log.debug('below the level: not committed');
    };
    const b = backendOf([{ type: 'file', path: 'a.log', formatter: 'py' }]);
    calls(connect(b.handle, { name: 'app' }));
    const frames = framesOf(b);
    expect(frames.map((f) => f.line)).toEqual([false, true, false, true]);
    // The same calls, encoded for the consumer (a handle without text lines): the same text, but for the time.
    const general = backendOf([{ type: 'file', path: 'a.log', formatter: 'py' }]);
    calls(connect({ ...general.handle, text: undefined }, { name: 'app' }));
    const expected = framesOf(general);
    expect(expected.every((f) => !f.line)).toBe(true);
    const untimed = (text: string): string => text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /, '<asctime> ');
    expect(frames.map((f) => untimed(f.text))).toEqual(expected.map((f) => untimed(f.text)));
    expect(untimed(frames[1]!.text)).toBe('<asctime> app WARNING  with fields: "quoted"\\tand a tab {"requestId":"r-1","user":"u1","n":1.5}\n');
  });
});
