/**
 * Routing by dotted logger name and level, checked against what Python's logging does with the
 * same configuration (the cookbook's multiprocessing example among them).
 */
import { describe, expect, it } from 'vitest';
import { LEVELS, SILENT } from '../../../src/core/levels.js';
import { effectiveLevel, lineage, producerThreshold, sinksFor, type RouteTable } from '../../../src/core/routes.js';

const { debug, info, warn, error } = LEVELS;

/** The logging cookbook's mplog: console INFO, mplog.log all, mplog-foo.log foo, errors ERROR. */
const cookbook: RouteTable = {
  level: debug,
  sinks: [
    { level: info, loggers: [] }, // 0 console
    { level: 0, loggers: [] }, // 1 mplog.log
    { level: 0, loggers: ['foo'] }, // 2 mplog-foo.log
    { level: error, loggers: [] }, // 3 mplog-errors.log
  ],
  loggers: {},
};

describe('lineage', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, ['']],
    ['', ['']],
    ['foo', ['foo', '']],
    ['foo.bar.baz', ['foo.bar.baz', 'foo.bar', 'foo', '']],
    ['foo..bar', ['foo..bar', 'foo.', 'foo', '']],
  ])('%s', (name, expected) => {
    expect(lineage(name)).toEqual(expected);
  });
});

describe('sinksFor: the cookbook', () => {
  it.each<[string | undefined, number[]]>([
    [undefined, [0, 1, 3]],
    ['bar', [0, 1, 3]],
    ['foo', [2, 0, 1, 3]],
    ['foo.bar.baz', [2, 0, 1, 3]],
    ['food', [0, 1, 3]],
  ])('%s reaches %j', (name, expected) => {
    expect(sinksFor(cookbook, name)).toEqual(expected);
  });
});

describe('propagate: false', () => {
  const table: RouteTable = {
    level: info,
    sinks: [
      { level: 0, loggers: [] },
      { level: 0, loggers: ['app'] },
      { level: 0, loggers: ['app.db'] },
    ],
    loggers: { 'app.db': { propagate: false } },
  };

  it.each<[string, number[]]>([
    ['app', [1, 0]],
    ['app.db', [2]],
    ['app.db.pool', [2]],
    ['app.http', [1, 0]],
  ])('%s reaches %j', (name, expected) => {
    expect(sinksFor(table, name)).toEqual(expected);
  });
});

describe('levels', () => {
  const table: RouteTable = {
    level: info,
    sinks: [
      { level: warn, loggers: [] },
      { level: debug, loggers: ['noisy'] },
    ],
    loggers: { noisy: { level: debug, propagate: true }, 'noisy.quiet': { level: error, propagate: true }, mute: { propagate: false } },
  };

  it('a logger takes its nearest configured ancestor level, else the root level', () => {
    expect(effectiveLevel(table, undefined)).toBe(info);
    expect(effectiveLevel(table, 'other')).toBe(info);
    expect(effectiveLevel(table, 'noisy.child')).toBe(debug);
    expect(effectiveLevel(table, 'noisy.quiet.deeper')).toBe(error);
  });

  it('the producer threshold is the higher of the logger level and the lowest reachable sink level', () => {
    // Root only: logger info, sink warn -> warn. noisy: logger debug, sinks debug and warn -> debug.
    expect(producerThreshold(table, 'other')).toBe(warn);
    expect(producerThreshold(table, 'noisy.child')).toBe(debug);
    expect(producerThreshold(table, 'noisy.quiet')).toBe(error);
  });

  it('a logger that reaches no sink is silent: its calls never encode', () => {
    expect(producerThreshold(table, 'mute')).toBe(SILENT);
    expect(producerThreshold({ level: info, sinks: [], loggers: {} }, 'x')).toBe(SILENT);
  });
});
