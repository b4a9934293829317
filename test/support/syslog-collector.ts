/**
 * A syslog collector for tests, in process: TCP or Unix stream with RFC 6587 framing (octet
 * counting, or LF), or UDP, one message a datagram. It keeps every message, parsed as RFC 5424
 * (parseSyslog), and can stop and start again on the same address (a collector restarted).
 */
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface SyslogMessage {
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: string;
  readonly msg: string;
}

/** Parses one RFC 5424 message (without structured data other than '-'); throws on anything else. */
export function parseSyslog(text: string): SyslogMessage {
  const match = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\])(?: ([\s\S]*))?$/.exec(text);
  if (match === null) throw new Error(`not an RFC 5424 message: ${JSON.stringify(text.slice(0, 200))}`);
  const [, pri, version, timestamp, hostname, appName, procId, msgId, structuredData, msg = ''] = match;
  return { pri: Number(pri), version: Number(version), timestamp: timestamp!, hostname: hostname!, appName: appName!, procId: procId!, msgId: msgId!, structuredData: structuredData!, msg };
}

/** Cuts a TCP stream into messages: octet-counted frames, or LF-terminated ones. */
export class FrameSplitter {
  #pending: Buffer = Buffer.alloc(0);
  readonly #framing: 'octet-counting' | 'lf';

  constructor(framing: 'octet-counting' | 'lf') {
    this.#framing = framing;
  }

  push(chunk: Buffer): string[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: string[] = [];
    let at = 0;
    const data = this.#pending;
    for (;;) {
      if (this.#framing === 'lf') {
        const nl = data.indexOf(0x0a, at);
        if (nl === -1) break;
        out.push(data.toString('utf8', at, nl));
        at = nl + 1;
        continue;
      }
      const space = data.indexOf(0x20, at);
      if (space === -1) break;
      const digits = data.toString('latin1', at, space);
      if (!/^[1-9]\d{0,8}$/.test(digits)) throw new Error(`bad octet count ${JSON.stringify(digits)}`);
      const end = space + 1 + Number(digits);
      if (end > data.length) break;
      out.push(data.toString('utf8', space + 1, end));
      at = end;
    }
    this.#pending = data.subarray(at);
    return out;
  }
}

export interface Collector {
  readonly messages: string[];
  /** The port (tcp, udp) it listens on. */
  readonly port: number;
  /** Stops listening and closes every connection (abruptly: a collector that dies). */
  stop(): Promise<void>;
  /** Listens again on the same address. */
  start(): Promise<void>;
  /** Resolves once `count` messages arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

export async function startCollector(
  transport: 'tcp' | 'udp' | 'unix',
  options: { framing?: 'octet-counting' | 'lf'; path?: string; port?: number } = {},
): Promise<Collector> {
  const messages: string[] = [];
  const framing = options.framing ?? 'octet-counting';
  let server: Server | undefined;
  let datagrams: DatagramSocket | undefined;
  const sockets = new Set<Socket>();
  let port = options.port ?? 0;

  const start = async (): Promise<void> => {
    if (transport === 'udp') {
      const socket = createSocket('udp4');
      socket.on('message', (message) => messages.push(message.toString('utf8')));
      await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
      port = socket.address().port;
      datagrams = socket;
      return;
    }
    const s = createServer((socket) => {
      sockets.add(socket);
      const splitter = new FrameSplitter(framing);
      socket.on('data', (chunk) => messages.push(...splitter.push(chunk)));
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      if (transport === 'unix') s.listen(options.path!, resolve);
      else s.listen(port, '127.0.0.1', resolve);
    });
    if (transport === 'tcp') port = (s.address() as AddressInfo).port;
    server = s;
  };

  await start();
  return {
    messages,
    get port() {
      return port;
    },
    async stop() {
      if (datagrams !== undefined) {
        datagrams.close();
        datagrams = undefined;
        return;
      }
      if (server === undefined) return;
      const s = server;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const socket of sockets) socket.resetAndDestroy();
      await closed;
      server = undefined;
    },
    start,
    async waitFor(count, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > until) throw new Error(`${messages.length} messages of ${count} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
