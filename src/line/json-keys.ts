/**
 * The keys a JSON line writes itself, which a binding or field of the same name must not write
 * again: a key appears once in a line, since JSON.parse keeps the last duplicate and other
 * readers the first. `level`, `time`, `pid` and `hostname` are always the line's; `name` when
 * the record has a name, `msg` when it has a message (without one, a field `msg` is written as
 * logged, as pino does).
 *
 * Shared because two writers must agree on it to the byte: the consumer's formatter
 * (line/json-format.ts), which is the specification, and the producer's lines
 * (producer/json-line.ts), which must be what the formatter would have written.
 */

/** Whether the line writes `key` itself, for a record with a name and a message or without. */
export function isOurs(key: string, hasName: boolean, hasMsg: boolean): boolean {
  switch (key) {
    case 'level':
    case 'time':
    case 'pid':
    case 'hostname':
      return true;
    case 'name':
      return hasName;
    case 'msg':
      return hasMsg;
    default:
      return false;
  }
}
