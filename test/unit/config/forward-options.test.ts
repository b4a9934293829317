/**
 * The forwarding options through resolveOptions: the `forward` shorthand (a socket path, or an
 * object), a forward sink in `sinks`, their defaults, relative paths made absolute, `listen`,
 * and every error an option error (ERR_RINGLOG_OPTION) naming the option path.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/config/options.js';
import { OUTBOX_SIZE_DEFAULT, SOCKET_PATH_MAX_BYTES, SPILL_AFTER_DEFAULT_MS, SPILL_MAX_SIZE_DEFAULT } from '../../../src/core/limits.js';
import { expectOptionError } from '../../support/option-errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('limits', () => {
  it('have the documented defaults', () => {
    expect(OUTBOX_SIZE_DEFAULT).toBe(4 * MiB);
    expect(SPILL_MAX_SIZE_DEFAULT).toBe(256 * MiB);
    expect(SPILL_AFTER_DEFAULT_MS).toBe(5000);
    expect(SOCKET_PATH_MAX_BYTES).toBe(107);
  });
});

describe('the forward shorthand', () => {
  it('as a path: one root sink named forward, of kind forward, JSON, with the defaults', () => {
    const resolved = resolveOptions({ forward: '/run/app/ringlog.sock' });
    expect(resolved.sinks).toHaveLength(1);
    const sink = resolved.sinks[0]!;
    expect(sink).toMatchObject({ name: 'forward', kind: 'forward', file: undefined, level: 0, loggers: [], formatter: 'json' });
    expect(sink.forward).toEqual({
      address: '/run/app/ringlog.sock',
      outboxBytes: 4 * MiB,
      spillDir: '/run/app/ringlog.sock.spill',
      spillMaxBytes: 256 * MiB,
      spillAfterMs: 5000,
    });
    expect(Object.isFrozen(sink.forward)).toBe(true);
    expect(resolved.listen).toBeUndefined();
    // Structured-cloneable: it goes to the consumer thread.
    expect(structuredClone(resolved.sinks)).toEqual(resolved.sinks);
  });

  it('as an object: address, outboxSize (number or string) and spill', () => {
    const forward = resolveOptions({
      forward: { address: '/tmp/agg.sock', outboxSize: '64KiB', spill: { path: '/var/spill', maxSize: '1MiB', afterMs: 250 } },
    }).sinks[0]!.forward;
    expect(forward).toEqual({ address: '/tmp/agg.sock', outboxBytes: 64 * KiB, spillDir: '/var/spill', spillMaxBytes: MiB, spillAfterMs: 250 });
    expect(resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize: 256 * MiB } }).sinks[0]!.forward?.outboxBytes).toBe(256 * MiB);
    expect(resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize: '8MB' } }).sinks[0]!.forward?.outboxBytes).toBe(8 * MiB);
    expect(resolveOptions({ forward: { address: '/tmp/a.sock', spill: {} } }).sinks[0]!.forward).toMatchObject({ spillDir: '/tmp/a.sock.spill', spillMaxBytes: 256 * MiB, spillAfterMs: 5000 });
    expect(resolveOptions({ forward: { address: '/tmp/a.sock', spill: { afterMs: 2 ** 31 - 1, maxSize: 64 * KiB } } }).sinks[0]!.forward).toMatchObject({ spillAfterMs: 2 ** 31 - 1, spillMaxBytes: 64 * KiB });
  });

  it('resolves relative paths against the working directory, the default spill directory from the resolved address', () => {
    const forward = resolveOptions({ forward: 'logs/ringlog.sock' }).sinks[0]!.forward!;
    expect(forward.address).toBe(resolve('logs/ringlog.sock'));
    expect(forward.spillDir).toBe(`${resolve('logs/ringlog.sock')}.spill`);
    const withSpill = resolveOptions({ forward: { address: './a.sock', spill: { path: 'spill/here' } } }).sinks[0]!.forward!;
    expect(withSpill.address).toBe(resolve('a.sock'));
    expect(withSpill.spillDir).toBe(resolve('spill/here'));
  });

  it('cannot be combined with file or sinks', () => {
    expectOptionError(() => resolveOptions({ forward: '/tmp/a.sock', file: '/tmp/app.log' }), TypeError, 'options.forward', 'options.file');
    expectOptionError(() => resolveOptions({ forward: '/tmp/a.sock', sinks: [{ type: 'stdout' }] }), TypeError, 'options.forward', 'options.sinks');
    expectOptionError(() => resolveOptions({ forward: '/tmp/a.sock', file: '/tmp/app.log', sinks: [{ type: 'stdout' }] }), TypeError, 'options.forward');
  });

  it('refuses what is neither a path nor an object, and unknown keys', () => {
    expectOptionError(() => resolveOptions({ forward: 42 }), TypeError, 'options.forward', '42');
    expectOptionError(() => resolveOptions({ forward: '' }), TypeError, 'options.forward.address');
    expectOptionError(() => resolveOptions({ forward: 'a\0b' }), TypeError, 'options.forward.address');
    expectOptionError(() => resolveOptions({ forward: ['/tmp/a.sock'] }), TypeError, 'options.forward');
    expectOptionError(() => resolveOptions({ forward: {} }), TypeError, 'options.forward.address');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', outbox: 1 } }), TypeError, 'options.forward.outbox', 'is not a known option');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', level: 'info' } }), TypeError, 'options.forward.level', 'is not a known option');
  });

  it.each([
    ['not a power of two', 96 * KiB],
    ['not a power of two, as a string', '3MiB'],
    ['below 64KiB', 32 * KiB],
    ['below 64KiB, as a string', '1KiB'],
    ['above 256MiB', 512 * MiB],
    ['above 256MiB, as a string', '1GiB'],
    ['zero', 0],
  ])('refuses an outboxSize %s', (_what, outboxSize) => {
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize } }), RangeError, 'options.forward.outboxSize', 'power of two', '64KiB to 256MiB');
  });

  it('refuses an outboxSize of the wrong type or form', () => {
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize: true } }), TypeError, 'options.forward.outboxSize');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize: 'big' } }), TypeError, 'options.forward.outboxSize');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize: -65536 } }), RangeError, 'options.forward.outboxSize');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', outboxSize: 65536.5 } }), RangeError, 'options.forward.outboxSize');
  });

  it('refuses spill options out of place', () => {
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { dir: '/x' } } }), TypeError, 'options.forward.spill.dir', 'is not a known option', 'path, maxSize, afterMs');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: '/x' } }), TypeError, 'options.forward.spill');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { afterMs: 0 } } }), RangeError, 'options.forward.spill.afterMs', '1 to 2147483647');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { afterMs: 2 ** 31 } } }), RangeError, 'options.forward.spill.afterMs');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { afterMs: 1.5 } } }), RangeError, 'options.forward.spill.afterMs');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { afterMs: '5s' } } }), TypeError, 'options.forward.spill.afterMs');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { maxSize: '1KiB' } } }), RangeError, 'options.forward.spill.maxSize');
    expectOptionError(() => resolveOptions({ forward: { address: '/tmp/a.sock', spill: { path: '' } } }), TypeError, 'options.forward.spill.path');
  });

  it('refuses an address longer than 107 bytes once resolved, naming the option', () => {
    const fits = `/${'a'.repeat(SOCKET_PATH_MAX_BYTES - 1)}`;
    expect(resolveOptions({ forward: fits }).sinks[0]!.forward?.address).toBe(fits);
    expectOptionError(() => resolveOptions({ forward: `${fits}b` }), RangeError, 'options.forward.address', '107 bytes');
    // Multi-byte characters count as their UTF-8 bytes.
    expectOptionError(() => resolveOptions({ forward: `/${'é'.repeat(54)}` }), RangeError, 'options.forward.address');
    // Short as given, too long once made absolute.
    const relative = 'r'.repeat(Math.max(1, SOCKET_PATH_MAX_BYTES + 1 - Buffer.byteLength(resolve('.')) - 1));
    expect(Buffer.byteLength(resolve(relative))).toBeGreaterThan(SOCKET_PATH_MAX_BYTES);
    expectOptionError(() => resolveOptions({ forward: { address: relative } }), RangeError, 'options.forward.address', 'once resolved');
  });
});

describe('a forward sink in sinks', () => {
  it('resolves beside other sinks, with its own level, formatter and name', () => {
    const resolved = resolveOptions({
      sinks: [
        { type: 'stdout', level: 'warn' },
        { type: 'forward', address: 'agg.sock', level: 'info', formatter: 'text', outboxSize: '1MiB', spill: { afterMs: 100 } },
        { type: 'forward', name: 'second', address: '/tmp/other.sock' },
      ],
    });
    expect(resolved.sinks.map((s) => [s.name, s.kind])).toEqual([
      ['sinks[0]', 'stdout'],
      ['sinks[1]', 'forward'],
      ['second', 'forward'],
    ]);
    expect(resolved.sinks[0]!.forward).toBeUndefined();
    expect(resolved.sinks[1]).toMatchObject({ formatter: 'text', file: undefined });
    expect(resolved.sinks[1]!.forward).toEqual({
      address: resolve('agg.sock'),
      outboxBytes: MiB,
      spillDir: `${resolve('agg.sock')}.spill`,
      spillMaxBytes: 256 * MiB,
      spillAfterMs: 100,
    });
    expect(resolved.sinks[2]!.forward).toEqual({ address: '/tmp/other.sock', outboxBytes: 4 * MiB, spillDir: '/tmp/other.sock.spill', spillMaxBytes: 256 * MiB, spillAfterMs: 5000 });
  });

  it('names the sink in its errors', () => {
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'stdout' }, { type: 'forward' }] }), TypeError, 'options.sinks[1].address');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: '/a.sock', outboxSize: 100_000 }] }), RangeError, 'options.sinks[0].outboxSize', 'power of two');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: '/a.sock', outboxSize: 1024 }] }), RangeError, 'options.sinks[0].outboxSize');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: '/a.sock', outboxSize: 2 ** 29 }] }), RangeError, 'options.sinks[0].outboxSize');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: '/a.sock', spill: { afterMs: 0 } }] }), RangeError, 'options.sinks[0].spill.afterMs');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: '/a.sock', spill: { every: 1 } }] }), TypeError, 'options.sinks[0].spill.every', 'is not a known option');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: `/${'x'.repeat(107)}` }] }), RangeError, 'options.sinks[0].address', '107');
    // The keys of a file sink are not a forward sink's, and the other way round.
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'forward', address: '/a.sock', path: '/x.log' }] }), TypeError, 'options.sinks[0].path', 'is not a known option');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'file', path: '/x.log', address: '/a.sock' }] }), TypeError, 'options.sinks[0].address', 'is not a known option');
    expectOptionError(() => resolveOptions({ sinks: [{ type: 'stdout', spill: {} }] }), TypeError, 'options.sinks[0].spill', 'is not a known option');
  });
});

describe('listen', () => {
  it('resolves to an absolute path, alone or beside sinks', () => {
    expect(resolveOptions({ listen: '/run/agg.sock' }).listen).toBe('/run/agg.sock');
    expect(resolveOptions({ listen: 'agg.sock', file: 'app.log' }).listen).toBe(resolve('agg.sock'));
    // An aggregator may forward on, to another address.
    const resolved = resolveOptions({ listen: '/tmp/in.sock', sinks: [{ type: 'forward', address: '/tmp/out.sock' }] });
    expect(resolved.listen).toBe('/tmp/in.sock');
    expect(resolved.sinks[0]!.forward?.address).toBe('/tmp/out.sock');
  });

  it('must be a non-empty string that fits a socket path', () => {
    expectOptionError(() => resolveOptions({ listen: 42 }), TypeError, 'options.listen');
    expectOptionError(() => resolveOptions({ listen: { path: '/a.sock' } }), TypeError, 'options.listen');
    expectOptionError(() => resolveOptions({ listen: '' }), TypeError, 'options.listen');
    expectOptionError(() => resolveOptions({ listen: `/${'l'.repeat(107)}` }), RangeError, 'options.listen', '107');
  });

  it('cannot be the address of one of its forward sinks, once both are resolved', () => {
    expectOptionError(
      () => resolveOptions({ listen: '/tmp/agg.sock', sinks: [{ type: 'stdout' }, { type: 'forward', address: '/tmp/agg.sock' }] }),
      TypeError,
      'options.sinks[1].address',
      '/tmp/agg.sock',
      'listen',
    );
    expectOptionError(() => resolveOptions({ listen: 'agg.sock', sinks: [{ type: 'forward', address: resolve('agg.sock') }] }), TypeError, 'options.sinks[0].address');
    expectOptionError(() => resolveOptions({ listen: './x/../agg.sock', forward: 'agg.sock' }), TypeError, 'listen');
  });

  it('with the forward shorthand, the error names options.forward, not a sinks entry the user never wrote', () => {
    const error = expectOptionError(() => resolveOptions({ listen: '/tmp/agg.sock', forward: '/tmp/agg.sock' }), TypeError, '/tmp/agg.sock');
    expect(error.message).not.toContain('options.sinks');
    expect(error.message).toContain('options.forward');
  });
});
