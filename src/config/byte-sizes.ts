/**
 * Byte sizes as options take them: a number of bytes, or a string such as '8MiB' or '64 KiB',
 * parsed exactly, and the ranges and sizes shown in messages the same way everywhere.
 */
import { fail, show } from '../core/errors.js';
import { GiB, KiB, MiB } from '../core/limits.js';

const UNIT_BYTES: Readonly<Record<string, bigint>> = Object.freeze({
  b: 1n,
  kb: 1n << 10n,
  kib: 1n << 10n,
  mb: 1n << 20n,
  mib: 1n << 20n,
  gb: 1n << 30n,
  gib: 1n << 30n,
  tb: 1n << 40n,
  tib: 1n << 40n,
});

// Digits, an optional fraction, optional spaces, an optional unit; surrounding spaces allowed.
const SIZE_PATTERN = /^\s*(\d+)(?:\.(\d+))?\s*([kmgt]i?b|b)?\s*$/i;

/**
 * Parses a byte size for the option named `option` and checks it lies in `[min, max]`.
 *
 * Accepts a non-negative safe integer number of bytes, or a string: a decimal number with an
 * optional unit, case-insensitive, optionally separated by spaces: '512', '512B', '64 KiB',
 * '8MiB', '1.5GiB'. Units are B, KiB, MiB, GiB, TiB and KB, MB, GB, TB; **KB/MB/GB/TB are
 * 1024-based like KiB/MiB/GiB/TiB**, as logback, log4j and the npm `bytes` package read them,
 * so '8MB' is 8388608 bytes and a valid power-of-two ring. A fraction must come to a whole
 * number of bytes ('1.5KiB' is 1536; '0.1KiB' is rejected). The arithmetic is exact (BigInt).
 */
export function parseByteSize(value: unknown, option: string, min: number, max: number): number {
  const expected = `${option} must be a byte size from ${range(min, max)}`;
  const bytes = toBytes(value, expected);
  if (bytes < min || bytes > max) fail(RangeError, `${expected}; received ${showSize(value, bytes)}`);
  return bytes;
}

const SIZE_FORMS = "given as an integer number of bytes or a string such as '8MiB', '64 KiB' or '512B'";

/** `expected` says what the option must be; the accepted forms are added when the form is wrong. */
export function toBytes(value: unknown, expected: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      fail(RangeError, `${expected}, ${SIZE_FORMS}; received ${show(value)}`);
    }
    return value;
  }
  if (typeof value !== 'string') fail(TypeError, `${expected}, ${SIZE_FORMS}; received ${show(value)}`);
  const match = SIZE_PATTERN.exec(value);
  if (match === null) fail(TypeError, `${expected}, ${SIZE_FORMS}; received ${show(value)}`);
  const [, whole = '', fraction = '', unit = 'b'] = match;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * (UNIT_BYTES[unit.toLowerCase()] ?? 1n);
  if (scaled % scale !== 0n) {
    fail(RangeError, `${expected}; received ${show(value)}, which is not a whole number of bytes`);
  }
  const bytes = scaled / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(RangeError, `${expected}; received ${show(value)} (${bytes} bytes)`);
  }
  return Number(bytes);
}

export function showSize(value: unknown, bytes: number): string {
  return typeof value === 'string' ? `${show(value)} (${bytes} bytes)` : show(value);
}

/** '4KiB to 1GiB (4096 to 1073741824 bytes)', or '1024 to 9007199254740991 bytes' when an end has no unit. */
export function range(min: number, max: number): string {
  const a = formatBytes(min);
  const b = formatBytes(max);
  return a.endsWith(' bytes') || b.endsWith(' bytes')
    ? `${min} to ${max} bytes`
    : `${a} to ${b} (${min} to ${max} bytes)`;
}

/** The largest binary unit that divides `bytes` exactly: 4096 → '4KiB', 1000 → '1000 bytes'. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
