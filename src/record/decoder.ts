/**
 * Consumer-side decoding of a record payload (format in record/descriptor.ts) into a LogRecord.
 * Every read is bounds-checked against the payload: a payload that does not parse throws, and
 * the consumer counts it instead of rendering garbage. The bytes may have been damaged in shared
 * memory (any thread can write there), so no count or length read from them sizes an
 * allocation or a loop before it is checked against the bytes left, and nesting is bounded
 * (MAX_NESTING): a damaged record costs at most a walk over its own bytes.
 */
import { Flag, HEADER_BYTES, MAX_NESTING, RecordOffset, Tag, type Bytes } from './descriptor.js';
import { ErrorValue, type LogRecord, type ObjectValue, type Value } from './log-record.js';

const BIGINT_DIGITS = /^-?\d+$/;

export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
}

export function decodeRecord(source: Bytes, index: number, length: number): LogRecord {
  if (length < HEADER_BYTES) throw new CorruptRecordError(`record of ${length} bytes is shorter than its header`);
  const { view } = source;
  const reader = new Reader(source, index + HEADER_BYTES, index + length);
  const argCount = view.getUint16(index + RecordOffset.ARG_COUNT, true);
  const name = reader.value(0);
  const bindings = reader.value(0);
  const msg = reader.value(0);
  // Each argument takes at least a byte: more than are left is corrupt, not an array to allocate.
  if (argCount > reader.end - reader.at) throw new CorruptRecordError(`${argCount} arguments in ${reader.end - reader.at} bytes`);
  const args: Value[] = new Array(argCount);
  for (let i = 0; i < argCount; i++) args[i] = reader.value(0);
  const fields = (view.getUint8(index + RecordOffset.FLAGS) & Flag.HAS_FIELDS) !== 0 ? reader.value(0) : undefined;
  if (reader.at !== reader.end) throw new CorruptRecordError(`record has ${reader.end - reader.at} bytes left over`);
  return {
    time: view.getFloat64(index + RecordOffset.TIME, true),
    level: view.getUint8(index + RecordOffset.LEVEL),
    threadId: view.getUint32(index + RecordOffset.THREAD_ID, true),
    name: typeof name === 'string' ? name : undefined,
    bindings: asObject(bindings),
    msg: typeof msg === 'string' ? msg : undefined,
    args,
    fields: asObject(fields),
  };
}

/** Decodes a run of values as the encoder writes them, without a record header (for tests). */
export function decodeValues(source: Bytes, index: number, length: number): Value[] {
  const reader = new Reader(source, index, index + length);
  const values: Value[] = [];
  while (reader.at < reader.end) values.push(reader.value(0));
  return values;
}

function asObject(value: Value): ObjectValue | undefined {
  if (value === undefined) return undefined;
  if (isObjectValue(value)) return value;
  // A merging "object" that encoded as something else (toJSON returned a string, say).
  const wrapped: ObjectValue = Object.create(null);
  wrapped['value'] = value;
  return wrapped;
}

function isObjectValue(value: Value): value is ObjectValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ErrorValue);
}

class Reader {
  constructor(
    readonly source: Bytes,
    public at: number,
    readonly end: number,
  ) {}

  #need(bytes: number): number {
    const at = this.at;
    if (at + bytes > this.end) throw new CorruptRecordError(`record ends inside a value at byte ${at}`);
    this.at = at + bytes;
    return at;
  }

  #string(): string {
    const length = this.source.view.getUint32(this.#need(4), true);
    const start = this.#need(length);
    return this.source.buffer.toString('utf8', start, start + length);
  }

  /** The value at `at`, within `depth` containers. */
  value(depth: number): Value {
    const { view } = this.source;
    const tag = view.getUint8(this.#need(1));
    if (tag >= Tag.ARRAY && tag <= Tag.ERROR && depth >= MAX_NESTING) {
      throw new CorruptRecordError(`values nested more than ${MAX_NESTING} deep at byte ${this.at - 1}`);
    }
    switch (tag) {
      case Tag.UNDEFINED:
        return undefined;
      case Tag.NULL:
        return null;
      case Tag.FALSE:
        return false;
      case Tag.TRUE:
        return true;
      case Tag.INT32:
        return view.getInt32(this.#need(4), true);
      case Tag.FLOAT64:
        return view.getFloat64(this.#need(8), true);
      case Tag.STRING:
        return this.#string();
      case Tag.BIGINT: {
        const digits = this.#string();
        if (!BIGINT_DIGITS.test(digits)) throw new CorruptRecordError(`bigint value ${JSON.stringify(digits.slice(0, 40))} is not digits`);
        return BigInt(digits);
      }
      case Tag.ARRAY: {
        const count = view.getUint32(this.#need(4), true);
        // Each element takes at least a byte: a count beyond what is left is corrupt, not a huge alloc.
        if (count > this.end - this.at) throw new CorruptRecordError(`array of ${count} items in ${this.end - this.at} bytes`);
        const items: Value[] = new Array(count);
        for (let i = 0; i < count; i++) items[i] = this.value(depth + 1);
        return items;
      }
      case Tag.OBJECT: {
        const count = view.getUint32(this.#need(4), true);
        // Each member takes at least five bytes (a key's length and a tag).
        if (count > (this.end - this.at) / 5) throw new CorruptRecordError(`object of ${count} members in ${this.end - this.at} bytes`);
        const object: ObjectValue = Object.create(null);
        for (let i = 0; i < count; i++) {
          const key = this.#string();
          object[key] = this.value(depth + 1);
        }
        return object;
      }
      case Tag.ERROR: {
        const type = this.#string();
        const message = this.#string();
        const stack = this.value(depth + 1);
        const fields = this.value(depth + 1);
        const cause = this.value(depth + 1);
        return new ErrorValue(
          type,
          message,
          typeof stack === 'string' ? stack : undefined,
          fields === undefined ? undefined : asObject(fields),
          cause,
        );
      }
      default:
        throw new CorruptRecordError(`unknown value tag ${tag} at byte ${this.at - 1}`);
    }
  }
}
