/**
 * Which sinks a record goes to, by its logger's dotted name and its level: Python's logging
 * hierarchy, as plain data that crosses threads in the handle.
 *
 * - A sink with no `loggers` is a root sink: it hears every logger that propagates to the root.
 * - A sink with `loggers: ['foo']` is attached to the logger `foo`, and so hears `foo`,
 *   `foo.bar`, `foo.bar.baz` (records propagate up the dotted hierarchy, as in Python).
 * - `loggers: { 'foo': { propagate: false } }` stops records of `foo` and below at `foo`: they
 *   reach the sinks attached to `foo` and its descendants on the way, not the root sinks.
 * - `loggers: { 'foo': { level } }` sets the level of `foo` and below (Python's effective level:
 *   the nearest configured ancestor's), checked before any sink's own level.
 *
 * Producers use this once per logger, when it is made: a logger whose records no sink would
 * accept gets the threshold SILENT, and its calls return before encoding anything. The consumer
 * uses it per record, cached per name, and then checks each sink's own level.
 */
import { SILENT } from './levels.js';

export interface SinkRoute {
  /** The sink's minimum level number. */
  readonly level: number;
  /** Logger names the sink is attached to; empty for a root sink. */
  readonly loggers: readonly string[];
}

export interface LoggerRoute {
  /** Level number of this logger and its descendants without one of their own. */
  readonly level?: number;
  /** False: records stop here instead of going on to the ancestors' and the root's sinks. */
  readonly propagate: boolean;
}

export interface RouteTable {
  /** Level number of the root logger: of every logger without a configured level. */
  readonly level: number;
  readonly sinks: readonly SinkRoute[];
  readonly loggers: Readonly<Record<string, LoggerRoute>>;
}

/**
 * Whether a record's logger name can change where it goes: some sink is attached to loggers, or
 * some logger stops propagation. When not, every record goes to the root sinks, by level alone.
 */
export function namesRoute(table: RouteTable): boolean {
  return table.sinks.some((sink) => sink.loggers.length > 0) || Object.values(table.loggers).some((logger) => logger.propagate === false);
}

/** `foo.bar.baz`, `foo.bar`, `foo`, then the root (''); an unnamed logger is the root. */
export function lineage(name: string | undefined): string[] {
  const names: string[] = [];
  if (name !== undefined && name !== '') {
    for (let at = name.length; at > 0; at = name.lastIndexOf('.', at - 1)) names.push(name.slice(0, at));
  }
  names.push('');
  return names;
}

/**
 * The settings of a configured logger. Own keys only: after a structured clone the table is an
 * ordinary object, and a logger named `constructor` must not find Object.prototype's.
 */
function loggerRoute(table: RouteTable, name: string): LoggerRoute | undefined {
  return Object.hasOwn(table.loggers, name) ? table.loggers[name] : undefined;
}

/** The level a logger of this name checks first: its own, or its nearest configured ancestor's. */
export function effectiveLevel(table: RouteTable, name: string | undefined): number {
  for (const node of lineage(name)) {
    const level = node === '' ? undefined : loggerRoute(table, node)?.level;
    if (level !== undefined) return level;
  }
  return table.level;
}

/** Indices of the sinks a record of this logger reaches, before their own levels apply. */
export function sinksFor(table: RouteTable, name: string | undefined): number[] {
  const reached: number[] = [];
  for (const node of lineage(name)) {
    table.sinks.forEach((sink, index) => {
      const attached = node === '' ? sink.loggers.length === 0 : sink.loggers.includes(node);
      if (attached) reached.push(index);
    });
    if (node !== '' && loggerRoute(table, node)?.propagate === false) break;
  }
  return reached;
}

/** The lowest level among the sinks a record of this logger reaches; SILENT when it reaches none. */
export function sinkFloor(table: RouteTable, name: string | undefined): number {
  let lowest = SILENT;
  for (const index of sinksFor(table, name)) lowest = Math.min(lowest, table.sinks[index]!.level);
  return lowest;
}

/**
 * The lowest level a record of this logger can have and still be written somewhere: above
 * both the logger's level and the lowest level among the sinks it reaches. SILENT when it
 * reaches no sink.
 */
export function producerThreshold(table: RouteTable, name: string | undefined): number {
  return Math.max(effectiveLevel(table, name), sinkFloor(table, name));
}

/** One root sink that takes every level: the table of a backend without `sinks` or `loggers`. */
export function singleSinkTable(level: number): RouteTable {
  return { level, sinks: [{ level: 0, loggers: [] }], loggers: {} };
}
