/**
 * The aggregator's socket, made safe to listen on: it is created mode 0600 in a directory that
 * is not world-writable (anyone who can connect can write into the log files), a stale socket
 * file left by an aggregator that crashed is replaced, and a live one is never stolen: a second
 * aggregator on the same path fails, saying so.
 */
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { listenError } from '../core/errors.js';

/** Listens on `path`; rejects with ERR_RINGLOG_LISTEN naming the path and what is wrong. */
export async function listenSocket(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw listenError(path, `its directory ${dir} cannot be created (${(error as Error).message})`, error);
  }
  if ((statSync(dir).mode & 0o002) !== 0) {
    throw listenError(path, `its directory ${dir} is world-writable: anyone could replace the socket; use a directory of its own, such as ${dir.replace(/\/$/, '')}/ringlog/`);
  }
  // Paused: the receiver reads each connection into a buffer of its own (receiver.ts readingInto).
  const server = createServer({ pauseOnConnect: true }, onConnection);
  try {
    await listen(server, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw listenError(path, (error as Error).message, error);
    if (!isSocket(path)) throw listenError(path, 'the path exists and is not a socket; ringlog does not delete it');
    if (await answers(path)) throw listenError(path, 'another aggregator is listening on it');
    // Nobody answers: the socket of an aggregator that ended without closing it.
    unlinkSync(path);
    try {
      await listen(server, path);
    } catch (again) {
      throw listenError(path, (again as Error).message, again);
    }
  }
  chmodSync(path, 0o600);
  return server;
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ path, readableAll: false, writableAll: false }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Whether something accepts connections on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
