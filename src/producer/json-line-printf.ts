/**
 * A printf call's message in the JSON line, `,"msg":"<the template filled in>"}\n`: what
 * consumer/printf.ts's formatMessage makes of the record's template and arguments, then
 * json-format.ts's jsonString of it, byte for byte, written without the message string ever
 * being made. `info('job %s took %d ms', 'abc', 12)` fills `%s %d %i %f %j %o %O` as printf.ts
 * does, leaves any other `%x` as written, and appends arguments left over after a space.
 *
 * Its own module because it follows a specification of its own (printf.ts's renderPlaceholder,
 * asString, asNumber, numberText) and keeps state of its own: the template met last, kept as
 * its escaped slices (see write). It writes through the line's JsonValueWriter (the JSON of
 * `%j %o %O`, the escaping of each piece). An argument that the decoded record would render
 * otherwise is refused (REFUSED), anywhere in it: a symbol, a function, a Map, a Date or other
 * toJSON (`%d` of a Date would read its toJSON string), a class instance.
 */
import { LONG_STRING } from './json-line-string.js';
import { errorType, isPlain, REFUSED, type JsonValueWriter } from './json-line-values.js';

const QUOTE = 0x22;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;

/** A printf template as write() keeps it, for calls with `argCount` arguments. */
interface PrintfTemplate {
  readonly template: string;
  readonly argCount: number;
  /** The escaped slices around the placeholders filled (`,"msg":"` starts the first): codes + 1 of them. */
  readonly slices: readonly Uint8Array[];
  /** The codes of the placeholders filled, in order (the first `argCount` placeholders at most). */
  readonly codes: readonly number[];
}

/** Writes printf messages into the line of one JsonValueWriter. */
export class PrintfWriter {
  readonly #out: JsonValueWriter;
  /** The printf template kept (see write), and the one seen last, with its argument count. */
  #template: PrintfTemplate | undefined;
  #templateSeen: string | undefined;
  #templateSeenArgs = -1;
  /** From #printfTemplate: where its slices start and end in the scratch buffer, and the codes. */
  readonly #marks: number[] = [];
  readonly #codes: number[] = [];
  #filled = 0;

  constructor(out: JsonValueWriter) {
    this.#out = out;
  }

  /**
   * `,"msg":"<the template filled in>"}\n`, written piece by piece: each template slice and each
   * argument is escaped on its own, as each is a string of its own in the record (a lone
   * surrogate at the edge of one stays lone, U+FFFD, and never pairs with the next piece).
   *
   * The filled-in message is not kept (the same template makes other messages), but a template
   * that comes twice in a row with as many arguments is: its escaped slices between the
   * placeholders it fills, and their codes (PrintfTemplate). Then only the arguments are
   * rendered; the slices are copied.
   */
  write(template: string | undefined, args: readonly unknown[], argStart: number, argCount: number): void {
    const out = this.#out;
    let next = 0;
    const kept = this.#template;
    if (template === undefined) {
      out.ascii(',"msg":"');
    } else if (kept !== undefined && kept.template === template && kept.argCount === argCount) {
      const { slices, codes } = kept;
      const filled = codes.length;
      for (; next < filled; next++) {
        out.put(slices[next]!);
        this.#placeholder(codes[next]!, args[argStart + next]);
      }
      out.put(slices[filled]!);
    } else {
      this.#printfTemplate(template, args, argStart, argCount);
      next = this.#filled;
    }
    // Arguments left over, each after a space (without a template, the first without one).
    for (; next < argCount; next++) {
      if (template !== undefined || next > 0) {
        out.room(1);
        out.scratch[out.at++] = 0x20;
      }
      this.#asString(args[argStart + next]);
    }
    out.ascii('"}\n');
  }

  /**
   * `,"msg":"` and the template with the placeholders it fills (#filled of them) filled in,
   * as formatMessage's loop: the second time in a row, the template is kept (write).
   */
  #printfTemplate(template: string, args: readonly unknown[], argStart: number, argCount: number): void {
    const out = this.#out;
    const marks = this.#marks;
    const codes = this.#codes;
    marks[0] = out.at;
    out.ascii(',"msg":"');
    let next = 0;
    const length = template.length;
    let copied = 0;
    let i = template.indexOf('%');
    while (i !== -1 && i + 1 < length) {
      const code = template.charCodeAt(i + 1);
      if (code === PERCENT) {
        out.chars(template, copied, i + 1);
        copied = i + 2;
      } else if (next < argCount && isPlaceholder(code)) {
        out.chars(template, copied, i);
        // A slice ends where a placeholder starts, and the next starts after its argument.
        marks[2 * next + 1] = out.at;
        codes[next] = code;
        this.#placeholder(code, args[argStart + next]);
        next++;
        marks[2 * next] = out.at;
        copied = i + 2;
      }
      i = template.indexOf('%', i + 2);
    }
    out.chars(template, copied, length);
    marks[2 * next + 1] = out.at;
    this.#filled = next;
    if (template !== this.#templateSeen || argCount !== this.#templateSeenArgs) {
      this.#templateSeen = template;
      this.#templateSeenArgs = argCount;
      return;
    }
    const slices: Uint8Array[] = [];
    for (let j = 0; j <= next; j++) slices.push(out.scratch.slice(marks[2 * j], marks[2 * j + 1]));
    this.#template = { template, argCount, slices, codes: codes.slice(0, next) };
  }

  /** printf.ts's renderPlaceholder, for a code isPlaceholder took. */
  #placeholder(code: number, value: unknown): void {
    switch (code) {
      case 115: // s
        return this.#asString(value);
      case 100: // d
        return this.#asNumber(value, false);
      case 105: // i
        return this.#asNumber(value, true);
      case 102: // f
        if (typeof value === 'number') return this.#numberText(value);
        if (typeof value === 'string') return this.#numberText(parseFloat(value));
        if (typeof value === 'bigint') return this.#numberText(parseFloat(value.toString()));
        if (typeof value === 'object' && value !== null) this.#checkOpaque(value);
        else if (typeof value === 'symbol' || typeof value === 'function') throw REFUSED;
        return this.#out.ascii('NaN');
      default: // j o O
        if (value === undefined) return this.#out.ascii('undefined');
        return this.#json(value, 0);
    }
  }

  /** printf.ts's asString. */
  #asString(value: unknown): void {
    const out = this.#out;
    switch (typeof value) {
      case 'string':
        return value.length < LONG_STRING ? out.chars(value, 0, value.length) : out.long(value);
      case 'number':
        return this.#numberText(value);
      case 'bigint':
        out.ascii(value.toString());
        return out.ascii('n');
      case 'boolean':
        return out.ascii(value ? 'true' : 'false');
      case 'undefined':
        return out.ascii('undefined');
      case 'object':
        if (value === null) return out.ascii('null');
        if (!Array.isArray(value) && !isPlain(value) && value instanceof Error) {
          // A path may redact the type or message (`message`, `*`): the encoder's way decides.
          if (out.redaction !== undefined) throw REFUSED;
          // `${type}: ${message}`, two strings of the record.
          const message = value.message;
          if (typeof message !== 'string') throw REFUSED;
          const type = errorType(value);
          out.chars(type, 0, type.length);
          out.ascii(': ');
          return out.chars(message, 0, message.length);
        }
        return this.#json(value, 0);
      default:
        throw REFUSED;
    }
  }

  /** printf.ts's asNumber. */
  #asNumber(value: unknown, truncate: boolean): void {
    const out = this.#out;
    if (typeof value === 'number') return this.#numberText(truncate ? Math.trunc(value) : value);
    if (typeof value === 'bigint') {
      out.ascii(value.toString());
      return out.ascii('n');
    }
    if (typeof value === 'object' && value !== null) {
      this.#checkOpaque(value);
      return out.ascii('NaN');
    }
    if (typeof value === 'symbol' || typeof value === 'function') throw REFUSED;
    const n = Number(value);
    this.#numberText(truncate ? Math.trunc(n) : n);
  }

  /**
   * A value printf renders as 'NaN' whatever it holds, once decoded: an array, a plain object
   * or an error.
   * Anything the encoder would turn into something else (a string, through toJSON or a
   * function's name; a number) is refused.
   */
  #checkOpaque(value: object): void {
    if (Array.isArray(value) || isPlain(value)) return;
    if (!(value instanceof Error)) throw REFUSED;
  }

  /** printf.ts's numberText: String(n), but -0 keeps its sign. */
  #numberText(n: number): void {
    const out = this.#out;
    if ((n | 0) === n) {
      if (n === 0 && 1 / n < 0) return out.ascii('-0');
      return out.int(n);
    }
    out.ascii(String(n));
  }

  /**
   * The JSON of `value` (appendJsonValue's, what the writer's value() writes for a field) as the
   * characters of a JSON string: written as JSON, then its quotes and backslashes escaped in
   * place. That is all the escaping it needs: value()'s bytes hold no control character, no raw
   * U+2028/9 and no lone surrogate (each already written as an escape or as U+FFFD).
   */
  #json(value: unknown, depth: number): void {
    const out = this.#out;
    const from = out.at;
    // An argument is redacted as a call's fields are (pino redacts interpolated objects too).
    out.value(value, depth, out.redaction?.root);
    const end = out.at;
    let scratch = out.scratch;
    let count = 0;
    for (let p = from; p < end; p++) {
      const byte = scratch[p];
      if (byte === QUOTE || byte === BACKSLASH) count++;
    }
    if (count === 0) return;
    out.room(count);
    scratch = out.scratch;
    let write = end + count;
    for (let read = end; read > from; ) {
      const byte = scratch[--read]!;
      scratch[--write] = byte;
      if (byte === QUOTE || byte === BACKSLASH) scratch[--write] = BACKSLASH;
    }
    out.at = end + count;
  }
}

/** `%s %d %i %f %j %o %O`: the placeholders printf.ts fills in (any other `%x` stays as written). */
function isPlaceholder(code: number): boolean {
  return code === 115 || code === 100 || code === 105 || code === 102 || code === 106 || code === 111 || code === 79;
}
