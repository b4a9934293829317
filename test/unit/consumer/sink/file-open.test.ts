/**
 * file-open.ts on real files: directories made with an exact mode, and the symlink that
 * noFollow refuses, also when it is planted under a running sink (in place of the live file, or
 * at the rotation's temporary name).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeLogDir, openLogFile } from '../../../../src/consumer/sink/file-open.js';
import { createFileSink } from '../../../../src/consumer/sink/file-sink.js';
import type { FailureEvent } from '../../../../src/core/episode.js';
import { tempDir } from '../../../support/log-files.js';

let dir = '';
let cleanup = (): void => {};
beforeEach(() => {
  ({ dir, remove: cleanup } = tempDir());
});
afterEach(() => cleanup());

const modeOf = (path: string): number => fs.statSync(path).mode & 0o777;

/** A file someone wants protected, and a symlink to it at `at`. */
function plantLink(at: string): string {
  const target = join(dir, 'target');
  fs.writeFileSync(target, 'untouched\n');
  fs.chmodSync(target, 0o600);
  fs.symlinkSync(target, at);
  return target;
}

function expectUntouched(target: string): void {
  expect(fs.readFileSync(target, 'utf8')).toBe('untouched\n');
  expect(modeOf(target)).toBe(0o600);
}

describe('makeLogDir', () => {
  it('gives each directory it creates exactly dirMode; those that existed keep theirs', () => {
    fs.mkdirSync(join(dir, 'a'));
    fs.chmodSync(join(dir, 'a'), 0o755);
    makeLogDir(fs, join(dir, 'a', 'b', 'c'), 0o770);
    expect(modeOf(join(dir, 'a'))).toBe(0o755);
    expect(modeOf(join(dir, 'a', 'b'))).toBe(0o770);
    expect(modeOf(join(dir, 'a', 'b', 'c'))).toBe(0o770);
    makeLogDir(fs, join(dir, 'a', 'b', 'c'), 0o700);
    expect(modeOf(join(dir, 'a', 'b', 'c'))).toBe(0o770);
  });
});

describe('openLogFile with noFollow', () => {
  it('refuses a symlink with ELOOP naming the path; a plain file opens', () => {
    const path = join(dir, 'app.log');
    const target = plantLink(path);
    const access = { mode: undefined, dirMode: undefined, noFollow: true };
    expect(() => openLogFile(fs, path, access)).toThrow(expect.objectContaining({ code: 'ELOOP', path, message: expect.stringContaining(`${path} is a symbolic link`) }));
    expect(() => openLogFile(fs, path, { ...access, mode: 0o666 })).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expectUntouched(target);
    fs.unlinkSync(path);
    fs.closeSync(openLogFile(fs, path, access));
    expect(fs.lstatSync(path).isFile()).toBe(true);
  });
});

describe('a file sink with noFollow, a symlink planted while it runs', () => {
  it('in place of the live file: the reopen is refused and reported as an open failure; the lines are counted, the target untouched', () => {
    const path = join(dir, 'app.log');
    const events: FailureEvent[] = [];
    const monitor = { report: (event: FailureEvent) => events.push(event), sleep: () => {} };
    const sink = createFileSink({ path, noFollow: true, mode: 0o640, watchMs: 0, monitor });
    sink.writeLine('{"n":1}\n');
    sink.flush();
    fs.unlinkSync(path);
    const target = plantLink(path);
    sink.writeLine('{"n":2}\n');
    sink.flush();
    sink.close();
    expectUntouched(target);
    expect(sink.linesDropped).toBe(1);
    expect(events[0]).toMatchObject({ type: 'failed', operation: 'open', target: path, error: { code: 'ELOOP' } });
  });

  it('at the rotation\'s temporary name: the rotation fails and is reported, the target untouched, the lines go on into the live file', () => {
    const path = join(dir, 'app.log');
    const events: FailureEvent[] = [];
    const monitor = { report: (event: FailureEvent) => events.push(event), sleep: () => {} };
    const target = plantLink(`${path}.next`);
    const sink = createFileSink({ path, maxFileBytes: 10, maxFiles: 2, monitor });
    sink.writeLine('{"n":1}\n');
    sink.writeLine('{"n":2}\n');
    sink.close();
    expectUntouched(target);
    expect(fs.readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    expect(events[0]).toMatchObject({ type: 'failed', operation: 'rotate', error: { code: 'ELOOP' } });
  });
});
