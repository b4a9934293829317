/**
 * The `redact` option, pino's (docs/redaction.md there): `redact: ['password', 'req.headers.authorization']`
 * or `redact: { paths, censor?, remove? }`. Checked and parsed once here, in the main thread, so
 * that a path that is not valid fails createLogBackend naming it; the paths travel in the handle
 * as the user wrote them, and each producer compiles them again (record/redact.ts).
 *
 *   ringlog: options.redact.paths[1] is not a valid path ('a.b-c'): at character 3, 'b-c' is
 *   not an identifier: write ["b-c"]
 */
import { checkRecord } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import { parseRedactPath, type RedactConfig } from '../record/redact.js';

export interface RedactOptions {
  /**
   * Where the values to redact are, in pino's path syntax: dots, brackets with a quoted key or an
   * index, `*` for any one key or index. Example: ['password', 'req.headers.authorization',
   * '*.token', 'users[*].ssn', 'headers["x-api-key"]'].
   */
  paths: readonly string[];
  /** What a redacted value is written as. Default '[Redacted]' (pino's). A string. */
  censor?: string;
  /** Leave the key out rather than write the censor (an array item becomes null). Default false. */
  remove?: boolean;
}

/** pino's default censor. */
export const CENSOR_DEFAULT = '[Redacted]';

const REDACT_KEYS = ['paths', 'censor', 'remove'] as const;

/** Resolves `options.redact`: undefined when there is nothing to redact. */
export function resolveRedact(value: unknown, option = 'options.redact'): RedactConfig | undefined {
  if (value === undefined) return undefined;
  const short = Array.isArray(value);
  const o = short ? { paths: value } : checkRecord(value, option, REDACT_KEYS);
  const pathsOption = short ? option : `${option}.paths`;
  const paths = checkPaths(o?.paths, pathsOption);
  const censor = o?.censor ?? CENSOR_DEFAULT;
  if (typeof censor !== 'string') {
    const why = typeof censor === 'function' ? ' (a function cannot be passed to the worker threads that log)' : '';
    fail(TypeError, `${option}.censor must be a string or undefined${why}; received ${show(censor)}`);
  }
  const remove = o?.remove ?? false;
  if (typeof remove !== 'boolean') fail(TypeError, `${option}.remove must be true, false or undefined; received ${show(remove)}`);
  if (paths.length === 0) return undefined;
  return Object.freeze({ paths: Object.freeze(paths), censor, remove });
}

function checkPaths(value: unknown, option: string): string[] {
  if (!Array.isArray(value)) {
    fail(TypeError, `${option} must be an array of paths such as ['password', 'req.headers.authorization']; received ${show(value)}`);
  }
  return value.map((path: unknown, index) => {
    if (typeof path !== 'string') fail(TypeError, `${option}[${index}] must be a path string; received ${show(path)}`);
    try {
      parseRedactPath(path);
    } catch (error) {
      fail(TypeError, `${option}[${index}] is not a valid path (${show(path)}): ${(error as Error).message}`);
    }
    return path;
  });
}
