/**
 * The cheapest honest, generic way we know to turn a log call into a pino-shaped JSON line, the
 * way pino itself does it: the constant part of the line (pid, hostname, the child's bindings) is
 * serialized once when the logger is made, and each call concatenates the time, the fields and
 * the message onto it. Nothing is specific to the benchmark's record shape: any fields object and
 * message produce valid JSON (strings escaped, non-finite numbers as null, nested values through
 * JSON.stringify).
 *
 * The floor variant measures this plus encoding the line into bytes; the queue variants format
 * their lines with it in the worker, as Python's QueueHandler.prepare() does.
 */
import { hostname } from 'node:os';

export class JsonLineLogger {
  /** `,"pid":1,"hostname":"h"` plus the bindings, ready to be pasted after the time. */
  readonly #context: string;

  constructor(context = `,"pid":${process.pid},"hostname":${quote(hostname())}`) {
    this.#context = context;
  }

  child(bindings: Readonly<Record<string, unknown>>): JsonLineLogger {
    return new JsonLineLogger(this.#context + fields(bindings));
  }

  /** The line of `info(fields, msg)`, newline included. */
  info(object: Readonly<Record<string, unknown>>, msg: string): string {
    return `{"level":30,"time":${Date.now()}${this.#context}${fields(object)},"msg":${quote(msg)}}\n`;
  }
}

/** `,"key":value` for each own enumerable field whose value JSON can represent. */
function fields(object: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const json = value(object[key]);
    if (json !== undefined) out += `,${quote(key)}:${json}`;
  }
  return out;
}

function value(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return JSON.stringify(v);
  }
}

/**
 * A JSON string literal. Short strings with nothing to escape (most keys and messages) skip
 * JSON.stringify, which costs more than this scan; anything else goes through it.
 */
function quote(s: string): string {
  if (s.length < 64) {
    let plain = true;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
        plain = false;
        break;
      }
    }
    if (plain) return `"${s}"`;
  }
  return JSON.stringify(s);
}

/**
 * Where the floor puts its lines: a private buffer, reused from the start when a line might not
 * fit. Big enough that wrapping is rare, small enough to stay in cache like a real write buffer.
 */
export class PrivateBuffer {
  readonly #buffer: Buffer;
  #offset = 0;

  constructor(bytes = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(bytes);
  }

  write(line: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    if (line.length * 3 > this.#buffer.length - this.#offset) this.#offset = 0;
    this.#offset += this.#buffer.write(line, this.#offset);
  }
}
