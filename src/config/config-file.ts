/**
 * The options as a JSON file: `createLogBackend('ringlog.json')` (or a file: URL) reads the file
 * and resolves its object exactly as it would resolve the same object given in code. Paths in
 * it (sinks, formatter modules) are relative to the working directory, as in code, not to the
 * file.
 *
 * Errors keep the code and class of the option errors, with the file named first:
 *
 *   ringlog: /etc/app/ringlog.json: options.sinks[2].rotate.maxFiles must be an integer from 1 to 100000; received 0
 *   ringlog: /etc/app/ringlog.json is not valid JSON: Expected ',' or '}' after property value (line 3, column 5)
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOptionError, optionError, show } from '../core/errors.js';
import { resolveOptions, type ResolvedOptions } from './options.js';

/** A string or URL given as the options: the configuration file's path. */
export function isConfigSource(value: unknown): value is string | URL {
  return typeof value === 'string' || value instanceof URL;
}

/** Reads, parses and resolves the configuration file at `source`. */
export async function resolveConfigFile(source: string | URL): Promise<ResolvedOptions> {
  const path = configPath(source);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw optionError(Error, `cannot read the configuration file ${path}: ${(error as Error).message}`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw optionError(TypeError, `${path} is not valid JSON: ${describeSyntaxError(error, text)}`, error);
  }
  try {
    return resolveOptions(parsed);
  } catch (error) {
    throw inFile(error, path);
  }
}

function configPath(source: string | URL): string {
  const expected = 'options must be an object or undefined, or the path or file: URL of a JSON configuration file (ending in .json)';
  let path: string;
  if (source instanceof URL) {
    if (source.protocol !== 'file:') throw optionError(TypeError, `${expected}; received the URL ${show(source.href)}`);
    path = fileURLToPath(source);
  } else {
    if (source.includes('\0')) throw optionError(TypeError, `${expected}; received ${show(source)}`);
    path = resolve(source);
  }
  // Anything else is most likely meant as the log file: say so rather than read it as JSON.
  if (!path.toLowerCase().endsWith('.json')) {
    throw optionError(TypeError, `${expected}; received ${show(source instanceof URL ? source.href : source)}; for a log file, use { file: ${show(source instanceof URL ? path : source)} }`);
  }
  return path;
}

/** V8 says where as `position N`; a person editing the file wants the line and column. */
function describeSyntaxError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /at position (\d+)/.exec(message);
  if (match === null || /\bline\b/.test(message)) return message;
  const position = Number(match[1]);
  const before = text.slice(0, position).split('\n');
  return `${message} (line ${before.length}, column ${before.at(-1)!.length + 1})`;
}

/** An option error from the file's object, with the file named first. */
function inFile(error: unknown, path: string): unknown {
  if (!isOptionError(error)) return error;
  const message = error.message.replace(/^ringlog: /, `ringlog: ${path}: `);
  if (error.stack !== undefined) error.stack = error.stack.replace(error.message, message);
  error.message = message;
  return error;
}
