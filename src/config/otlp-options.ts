/**
 * The options of an OTLP sink (`sinks: [{ type: 'otlp', url, headers?, resource? }]`), checked
 * here once, in the style of options.ts.
 */
import { basename, extname } from 'node:path';
import { checkInteger, isPlainObject } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import { OUTBOX_SIZE_DEFAULT, TIMER_MAX_MS } from '../core/limits.js';
import { anyValue } from '../consumer/format/otlp-format.js';
import { jsonString } from '../line/json-values.js';
import type { ResolvedOtlpTarget } from '../forward/http-sender.js';
import { parseOutboxSize } from './forward-options.js';

/** An OTLP sink's own options (beside name, level and loggers: its records are OTLP LogRecords, not a formatter's lines). */
export interface OtlpOptions {
  /**
   * The collector's OTLP/HTTP logs endpoint, http: or https:. A URL without a path gets
   * `/v1/logs`: 'http://localhost:4318' is 'http://localhost:4318/v1/logs'.
   */
  url: string;
  /** Headers of every request, such as { authorization: 'Bearer ...' }. */
  headers?: Record<string, string>;
  /** The resource's attributes: strings, numbers, booleans. Default { 'service.name': <the main script's name> }. */
  resource?: Record<string, string | number | boolean>;
  /** How long a request may take before it is retried: 1 to 2^31-1 ms; default 10000. */
  timeoutMs?: number;
  /** The outbox between the consumer and the sender thread: a power of two from 64KiB to 256MiB; default 4MiB. */
  outboxSize?: number | string;
}

export const OTLP_KEYS = ['url', 'headers', 'resource', 'timeoutMs', 'outboxSize'] as const;

const TIMEOUT_DEFAULT_MS = 10_000;

export function resolveOtlp(o: Partial<Record<(typeof OTLP_KEYS)[number], unknown>>, path: string): ResolvedOtlpTarget {
  return Object.freeze({
    url: checkUrl(o.url, `${path}.url`),
    headers: Object.freeze(checkHeaders(o.headers, `${path}.headers`)),
    resource: renderResource(o.resource, `${path}.resource`),
    timeoutMs: o.timeoutMs === undefined ? TIMEOUT_DEFAULT_MS : checkInteger(o.timeoutMs, `${path}.timeoutMs`, 1, TIMER_MAX_MS),
    outboxBytes: o.outboxSize === undefined ? OUTBOX_SIZE_DEFAULT : parseOutboxSize(o.outboxSize, `${path}.outboxSize`),
  });
}

function checkUrl(value: unknown, option: string): string {
  const expected = `${option} must be an http: or https: URL of an OTLP/HTTP collector, such as 'http://localhost:4318/v1/logs'`;
  if (typeof value !== 'string') fail(TypeError, `${expected}; received ${show(value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(TypeError, `${expected}; received ${show(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(TypeError, `${expected}; received ${show(value)}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/logs';
  return url.href;
}

function checkHeaders(value: unknown, option: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  if (!isPlainObject(value)) fail(TypeError, `${option} must be an object of header names and string values, such as { authorization: 'Bearer abc' }; received ${show(value)}`);
  for (const [name, header] of Object.entries(value)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) fail(TypeError, `${option}: ${show(name)} is not a header name`);
    if (typeof header !== 'string' || /[\r\n\0]/.test(header)) {
      fail(TypeError, `${option}[${show(name)}] must be a string without line breaks; received ${show(header)}`);
    }
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'content-length') fail(TypeError, `${option}[${show(name)}]: ringlog sets ${lower} itself`);
    headers[name] = header;
  }
  return headers;
}

/** The resource's attributes as OTLP/JSON KeyValues, rendered once. */
function renderResource(value: unknown, option: string): string {
  const attributes: Record<string, string | number | boolean> = { 'service.name': defaultServiceName() };
  if (value !== undefined) {
    if (!isPlainObject(value)) {
      fail(TypeError, `${option} must be an object of attributes, such as { 'service.name': 'billing', 'deployment.environment': 'prod' }; received ${show(value)}`);
    }
    for (const [key, attribute] of Object.entries(value)) {
      if (typeof attribute !== 'string' && typeof attribute !== 'boolean' && !(typeof attribute === 'number' && Number.isFinite(attribute))) {
        fail(TypeError, `${option}[${show(key)}] must be a string, a finite number or a boolean; received ${show(attribute)}`);
      }
      attributes[key] = attribute;
    }
  }
  return `[${Object.entries(attributes).map(([key, attribute]) => `{"key":${jsonString(key)},"value":${anyValue(attribute)}}`).join(',')}]`;
}

/** OpenTelemetry's default is `unknown_service:<process>`; the main script's name says more. */
function defaultServiceName(): string {
  const script = process.argv[1];
  return script === undefined ? 'unknown_service:node' : basename(script, extname(script));
}
