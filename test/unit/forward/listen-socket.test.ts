/**
 * The aggregator's socket (forward/listen-socket.ts): mode 0600, never in a world-writable
 * directory, a stale socket replaced, a live one or a file that is not a socket left alone.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenSocket } from '../../../src/forward/listen-socket.js';
import { tempDir } from '../../support/log-files.js';

describe('listenSocket', () => {
  const servers: Server[] = [];
  let cleanup = (): void => {};
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    cleanup();
  });
  const dir = (): string => {
    const made = tempDir();
    cleanup = made.remove;
    return made.dir;
  };
  const listen = async (path: string): Promise<Server> => {
    // Connections come paused (the receiver reads them its own way): resumed, to see the end.
    const server = await listenSocket(path, (socket) => socket.on('error', () => {}).resume().end('hi'));
    servers.push(server);
    return server;
  };

  it('creates the socket mode 0600, and its directory mode 0700 when missing', async () => {
    const d = dir();
    const path = join(d, 'run', 'agg.sock');
    await listen(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(d, 'run')).mode & 0o777).toBe(0o700);
    const said = await new Promise<string>((resolve) => {
      let text = '';
      connect(path).setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text));
    });
    expect(said).toBe('hi');
  });

  it('refuses a world-writable directory, naming it', async () => {
    const d = dir();
    const open = join(d, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(listenSocket(join(open, 'agg.sock'), () => {})).rejects.toMatchObject({
      code: 'ERR_RINGLOG_LISTEN',
      message: expect.stringContaining(`its directory ${open} is world-writable`),
    });
    expect(existsSync(join(open, 'agg.sock'))).toBe(false);
  });

  it('replaces the stale socket of an aggregator that died', async () => {
    const d = dir();
    const path = join(d, 'agg.sock');
    // A server that closes removes its file; one killed leaves it: the stale socket of a crash.
    const { spawnSync } = await import('node:child_process');
    const script = `const s=require('net').createServer().listen(${JSON.stringify(path)},()=>process.kill(process.pid,'SIGKILL'))`;
    spawnSync(process.execPath, ['-e', script]);
    expect(statSync(path).isSocket()).toBe(true);
    await listen(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('does not steal the socket of a live aggregator', async () => {
    const d = dir();
    const path = join(d, 'agg.sock');
    await listen(path);
    await expect(listenSocket(path, () => {})).rejects.toMatchObject({
      code: 'ERR_RINGLOG_LISTEN',
      message: `ringlog: cannot listen on ${path}: another aggregator is listening on it`,
    });
  });

  it('does not delete a file that is not a socket', async () => {
    const d = dir();
    const path = join(d, 'agg.sock');
    writeFileSync(path, 'precious');
    await expect(listenSocket(path, () => {})).rejects.toMatchObject({
      code: 'ERR_RINGLOG_LISTEN',
      message: expect.stringContaining('the path exists and is not a socket'),
    });
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });
});
