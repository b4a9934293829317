/**
 * The options of `connect(handle, options)` and `child(bindings, options)`, checked in the
 * worker that calls them: the producer side loads none of the main thread's config/.
 */
import { checkLevel, checkName, checkRecord } from '../core/checks.js';
import { fail, show } from '../core/errors.js';
import type { LevelOption } from '../core/levels.js';

export interface ConnectOptions {
  /** The logger's name, written as `"name"` on every line; at most 256 characters. */
  name?: string;
  /**
   * This logger's minimum level, in place of the one configured for its name. Records that no
   * sink on the logger's route would take are still filtered out. Default: the configured one.
   */
  level?: LevelOption;
  /**
   * Record where each call was made: every record of this logger (and its children, unless
   * they say otherwise) gets a field `caller`, `"functionName (file:line:column)"` like
   * pino-caller, from a stack trace taken in the call (a few microseconds each; off by default).
   */
  callSite?: boolean;
}

export interface ResolvedConnectOptions {
  readonly name: string | undefined;
  readonly level: LevelOption | undefined;
  readonly callSite: boolean | undefined;
}

const CONNECT_KEYS = ['name', 'level', 'callSite'] as const;

/**
 * Validates `connect` options once; the result is frozen. `label` names the options argument in
 * messages: 'options' for connect(handle, options), 'child(bindings, options): options' for child().
 */
export function resolveConnectOptions(options?: unknown, label = 'options'): ResolvedConnectOptions {
  const o = checkRecord(options, label, CONNECT_KEYS);
  const name = o?.name;
  const level = o?.level;
  const callSite = o?.callSite;
  if (callSite !== undefined && typeof callSite !== 'boolean') {
    fail(TypeError, `${label}.callSite must be true, false or undefined; received ${show(callSite)}`);
  }
  return Object.freeze({
    name: name === undefined ? undefined : checkName(name, `${label}.name`),
    level: level === undefined ? undefined : checkLevel(level, `${label}.level`),
    callSite,
  });
}
