/**
 * `mode`, `dirMode` and `noFollow` with real threads and real files: the live file, every
 * rotated and gzipped file and the directories ringlog creates get exactly the modes asked for
 * (modes with group write, which the usual umask 022 would take away); a symlink planted at the
 * live path is refused with an error naming it, and the file it points to is left as it was.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend, type BackendOptions } from '../../dist/src/index.js';
import { tempDir } from '../support/log-files.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

let cleanup = (): void => {};
afterEach(() => cleanup());

function dir(): string {
  const temp = tempDir();
  cleanup = temp.remove;
  return temp.dir;
}

/** Logs `count` records of about 100 bytes, enough for a few rotations at maxSize 1KiB, and closes. */
async function logAndClose(options: BackendOptions, count = 60): Promise<void> {
  const backend = await createLogBackend({ bufferSize: '64KiB', ...options });
  const log = backend.logger('app');
  for (let n = 0; n < count; n++) log.info({ n, pad: 'x'.repeat(40) }, 'a record');
  await backend.close();
}

describe('mode and dirMode', () => {
  it('numbered rotation: the live and rotated files and the created directories have exactly the modes asked for', async () => {
    const root = dir();
    // `root` exists and keeps its mode; `logs` and `logs/app` are created.
    const before = modeOf(root);
    const logDir = join(root, 'logs', 'app');
    const path = join(logDir, 'app.log');
    await logAndClose({ sinks: [{ type: 'file', path, mode: 0o660, dirMode: 0o770, rotate: { maxSize: '1KiB', maxFiles: 3 } }] });
    const files = readdirSync(logDir).sort();
    expect(files).toEqual(['app.log', 'app.log.1', 'app.log.2', 'app.log.3']);
    for (const file of files) expect([file, modeOf(join(logDir, file))]).toEqual([file, 0o660]);
    expect(modeOf(join(root, 'logs'))).toBe(0o770);
    expect(modeOf(logDir)).toBe(0o770);
    expect(modeOf(root)).toBe(before);
  });

  it('dated rotation with gzip: every .gz has the mode too; a mode given as an octal string works as in JSON files', async () => {
    const root = dir();
    const path = join(root, 'app.log');
    await logAndClose({ file: { path, mode: '0600', rotate: { maxSize: '1KiB', maxFiles: 3, compress: true } } });
    const files = readdirSync(root).sort();
    const gz = files.filter((name) => name.endsWith('.gz'));
    expect(gz).toHaveLength(3);
    expect(files).toEqual(['app.log', ...gz].sort());
    for (const file of files) expect([file, modeOf(join(root, file))]).toEqual([file, 0o600]);
  });

  it('an existing live file is given the mode; without mode, a file keeps its own and a new one gets the umask\'s', async () => {
    const root = dir();
    const kept = join(root, 'kept.log');
    const given = join(root, 'given.log');
    const fresh = join(root, 'fresh.log');
    for (const file of [kept, given]) {
      writeFileSync(file, '');
      chmodSync(file, 0o604);
    }
    await logAndClose({ sinks: [{ type: 'file', path: kept }, { type: 'file', path: given, mode: 0o640 }, { type: 'file', path: fresh }] }, 1);
    expect(modeOf(kept)).toBe(0o604);
    expect(modeOf(given)).toBe(0o640);
    expect(modeOf(fresh)).toBe(0o666 & ~process.umask());
  });
});

describe('noFollow', () => {
  it('a symlink planted at the live path: createLogBackend rejects naming the path, and the target is untouched', async () => {
    const root = dir();
    const target = join(root, 'shadow');
    writeFileSync(target, 'secret\n');
    chmodSync(target, 0o600);
    const path = join(root, 'app.log');
    symlinkSync(target, path);
    const failure = createLogBackend({ file: { path, noFollow: true, mode: 0o666 } });
    await expect(failure).rejects.toThrow(`${path} is a symbolic link, and noFollow is set`);
    await expect(failure).rejects.toMatchObject({ code: 'ELOOP', path });
    expect(readFileSync(target, 'utf8')).toBe('secret\n');
    expect(modeOf(target)).toBe(0o600);
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
  });

  it('a symlink in a directory above the live path is followed: only the last component is checked', async () => {
    const root = dir();
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'logs'));
    await logAndClose({ file: { path: join(root, 'logs', 'app.log'), noFollow: true } }, 1);
    expect(existsSync(join(root, 'real', 'app.log'))).toBe(true);
  });

  it('without noFollow, the link is followed as before', async () => {
    const root = dir();
    const target = join(root, 'target.log');
    writeFileSync(target, '');
    symlinkSync(target, join(root, 'app.log'));
    await logAndClose({ file: join(root, 'app.log') }, 1);
    expect(readFileSync(target, 'utf8')).toContain('"n":0');
  });
});
