import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWithMode, swapLiveFile, type ReopenPort } from '../../../../src/consumer/rotate/swap.js';
import { tempDir } from '../../../support/log-files.js';
import { noteAfter } from '../../../support/fs-watch.js';

let dir = '';
let live = '';
let cleanup = (): void => {};
beforeEach(() => {
  ({ dir, remove: cleanup } = tempDir());
  live = join(dir, 'app.log');
});
afterEach(() => cleanup());

const realFs: ReopenPort = fs;
const modeOf = (path: string): number => fs.statSync(path).mode & 0o7777;
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: injected`), { code });
/** node:fs whose link(2) is not supported, as on some network file systems. */
const noLinks: ReopenPort = {
  ...realFs,
  linkSync: () => {
    throw errno('EPERM');
  },
};

/** A live file with `content` and `mode`, open for appending as the sink holds it. */
function openLive(content: string, mode = 0o644): number {
  fs.writeFileSync(live, content);
  fs.chmodSync(live, mode);
  return fs.openSync(live, 'a');
}

describe('openWithMode', () => {
  it.each([0o666, 0o664, 0o640, 0o600])('creates a file with mode %o exactly, whatever the umask', (mode) => {
    const fd = openWithMode(realFs, live, mode);
    fs.closeSync(fd);
    expect(modeOf(live)).toBe(mode);
  });

  it('an existing file keeps its content, is appended to, and gets the mode', () => {
    fs.writeFileSync(live, 'old\n');
    const fd = openWithMode(realFs, live, 0o640);
    fs.writeSync(fd, 'new\n');
    fs.closeSync(fd);
    expect(fs.readFileSync(live, 'utf8')).toBe('old\nnew\n');
    expect(modeOf(live)).toBe(0o640);
  });

  it("a file owned by someone else keeps its own mode (EPERM from fchmod is not an error)", () => {
    const fd = openWithMode({ ...realFs, fchmodSync: () => { throw errno('EPERM'); } }, live, 0o666);
    fs.closeSync(fd);
    expect(fs.existsSync(live)).toBe(true);
  });

  it('another fchmod error closes the descriptor and is thrown', () => {
    const closed: number[] = [];
    const port: ReopenPort = {
      ...realFs,
      fchmodSync: () => {
        throw errno('EIO');
      },
      closeSync: (fd) => {
        closed.push(fd);
        fs.closeSync(fd);
      },
    };
    expect(() => openWithMode(port, live, 0o666)).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(closed).toHaveLength(1);
  });
});

describe.each([
  { variant: 'with hard links', port: realFs },
  { variant: 'without hard links (two renames)', port: noLinks },
])('swapLiveFile, $variant', ({ port }) => {
  const rotated = (): string => join(dir, 'app.log.1');

  it.each([0o666, 0o640, 0o600])('moves the live file away and puts an empty file of mode %o in its place', (mode) => {
    const old = openLive('a\nb\n', mode);
    const fd = swapLiveFile(port, { fd: old, livePath: live, rotatedPath: rotated() });
    // The old descriptor now writes to the rotated file, the new one to the live path.
    fs.writeSync(old, 'c\n');
    fs.closeSync(old);
    fs.writeSync(fd, 'd\n');
    fs.closeSync(fd);
    expect(fs.readFileSync(rotated(), 'utf8')).toBe('a\nb\nc\n');
    expect(fs.readFileSync(live, 'utf8')).toBe('d\n');
    expect(modeOf(live)).toBe(mode);
    expect(modeOf(rotated())).toBe(mode);
    expect(fs.readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1']);
  });

  it('opens the new file for appending', () => {
    const old = openLive('x\n');
    const fd = swapLiveFile(port, { fd: old, livePath: live, rotatedPath: rotated() });
    fs.closeSync(old);
    fs.writeSync(fd, 'one\n');
    fs.writeFileSync(live, 'other writer\n', { flag: 'a' });
    fs.writeSync(fd, 'two\n');
    fs.closeSync(fd);
    expect(fs.readFileSync(live, 'utf8')).toBe('one\nother writer\ntwo\n');
  });

  it('never overwrites: an existing rotated name is EEXIST, and nothing moves or leaks', () => {
    const old = openLive('live\n');
    fs.writeFileSync(rotated(), 'older\n');
    const opened: number[] = [];
    const closed: number[] = [];
    const counting: ReopenPort = {
      ...port,
      openSync: (path, flags, mode) => {
        const fd = fs.openSync(path, flags, mode);
        opened.push(fd);
        return fd;
      },
      closeSync: (fd) => {
        closed.push(fd);
        fs.closeSync(fd);
      },
    };
    expect(() => swapLiveFile(counting, { fd: old, livePath: live, rotatedPath: rotated() })).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    fs.closeSync(old);
    expect(closed).toEqual(opened);
    expect(fs.readFileSync(live, 'utf8')).toBe('live\n');
    expect(fs.readFileSync(rotated(), 'utf8')).toBe('older\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1']);
  });

  it('a refused last rename leaves the live file where it was, under its one name', () => {
    const old = openLive('live\n');
    let renames = 0;
    const refusing: ReopenPort = {
      ...port,
      renameSync: (from, to) => {
        // The fallback's first rename (live -> rotated) goes through; the one over the live path fails.
        if (from.endsWith('.next') || ++renames > 1) throw errno('EACCES');
        fs.renameSync(from, to);
      },
    };
    expect(() => swapLiveFile(refusing, { fd: old, livePath: live, rotatedPath: rotated() })).toThrow(
      expect.objectContaining({ code: 'EACCES' }),
    );
    fs.closeSync(old);
    if (port === realFs) {
      // With hard links nothing moved: no second name is left behind for the next attempt to trip on.
      expect(fs.readdirSync(dir).sort()).toEqual(['app.log']);
      expect(fs.statSync(live).nlink).toBe(1);
    } else {
      // Without, the documented exception: the live file is already at its rotated name.
      expect(fs.readdirSync(dir).sort()).toEqual(['app.log.1']);
    }
  });

  it('overwrites a half-made new file left by a crash', () => {
    const old = openLive('live\n');
    fs.writeFileSync(`${live}.next`, 'left by a crash\n');
    const fd = swapLiveFile(port, { fd: old, livePath: live, rotatedPath: rotated() });
    fs.closeSync(old);
    fs.closeSync(fd);
    expect(fs.readFileSync(live, 'utf8')).toBe('');
    expect(fs.readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1']);
  });
});

describe('swapLiveFile: readers of the path', () => {
  /** node:fs that notes, after each call, whether the live path names a file. */
  function watching(base: ReopenPort): { port: ReopenPort; seen: boolean[] } {
    const seen: boolean[] = [];
    const after = noteAfter(seen, () => fs.existsSync(live));
    const port: ReopenPort = {
      ...base,
      openSync: after(base.openSync),
      linkSync: after(base.linkSync),
      renameSync: after(base.renameSync),
    };
    return { port, seen };
  }

  it('with hard links the live path names a whole file at every step', () => {
    const old = openLive('x\n');
    const { port, seen } = watching(realFs);
    fs.closeSync(swapLiveFile(port, { fd: old, livePath: live, rotatedPath: join(dir, 'app.log.1') }));
    fs.closeSync(old);
    expect(seen).toEqual([true, true, true]); // open .next, link, rename over
  });

  it('without them there is one step where it does not (why links are tried first)', () => {
    const old = openLive('x\n');
    const { port, seen } = watching(noLinks);
    fs.closeSync(swapLiveFile(port, { fd: old, livePath: live, rotatedPath: join(dir, 'app.log.1') }));
    fs.closeSync(old);
    expect(seen).toEqual([true, false, true]); // open .next, rename away, rename in
  });
});

const hasTail = spawnSync('tail', ['--version']).status === 0;

describe.skipIf(!hasTail).each([
  { variant: 'with hard links', port: realFs },
  { variant: 'without hard links', port: noLinks },
])('tail -F follows the path across a rotation, $variant', ({ port }) => {
  async function until(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('prints every line written before and after', async () => {
    const before = Array.from({ length: 50 }, (_, i) => `before ${i}\n`);
    const after = Array.from({ length: 50 }, (_, i) => `after ${i}\n`);
    const old = openLive('');
    fs.writeSync(old, before.slice(0, 25).join(''));
    // -s: the polling interval where inotify is not available.
    const tail = spawn('tail', ['-F', '-n', '+1', '-s', '0.05', live], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tail.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    try {
      await until('the first lines', () => out.includes('before 24\n'));
      fs.writeSync(old, before.slice(25).join(''));
      await until('the lines before rotation', () => out.includes('before 49\n'));
      const fd = swapLiveFile(port, { fd: old, livePath: live, rotatedPath: join(dir, 'app.log.1') });
      fs.closeSync(old);
      for (const line of after) fs.writeSync(fd, line);
      fs.closeSync(fd);
      await until('the lines after rotation', () => out.includes('after 49\n'));
      expect(out).toBe(before.join('') + after.join(''));
    } finally {
      tail.kill();
    }
  });
});
