/**
 * The sender of a syslog sink: ships the outbox's entries, already framed by the drainer's
 * syslog format (consumer/format/syslog-format.ts), to a collector that acknowledges nothing:
 * over TCP or a Unix stream socket as they are, over UDP one datagram per message.
 *
 * - **Connected**: entries are written as soon as the drainer publishes them, as views of the
 *   outbox; an entry's room is freed when its write is done (the kernel has the bytes).
 * - **Away** (refused, reset, closed): reconnect with back-off (reconnect.ts), one 'failed' and
 *   one 'recovered' per episode. Entries wait in the outbox; when it is full the drainer waits,
 *   the ring fills and `onFull` decides: memory never grows.
 * - **What is lost**: plain TCP syslog has no acknowledgement (RFC 6587 section 3.4), so when a
 *   connection breaks, the lines it carried last may or may not have reached the collector.
 *   They are not sent again (a collector does not drop duplicates): they are counted in LOST,
 *   an upper bound of what was lost: the lines of the last `doubtBytes` written (what the
 *   kernels' socket buffers on the way can hold), and those whose write had not completed.
 *   A collector that took lines into its own memory and then died loses them beyond what any
 *   plain syslog client can see: give it a disk-assisted queue for that.
 * - **UDP**: no connection, no episode of its own but a failing send; a datagram the network
 *   drops is not seen (RFC 5426). Failing sends are counted in LOST.
 * - **Closing** (the drainer closed: exit, close()): with the collector away, one attempt at
 *   once instead of waiting out the back-off; when it fails, what is left is dropped and
 *   counted, rather than holding the exit.
 */
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, isIPv6, type Socket } from 'node:net';
import { dropEntries, entryAt, OUTBOX_CONTROL_BYTES, OutboxCounter, OutboxSlot, watchOutbox, type OutboxViews } from './outbox.js';
import { Episode, type FailureEvent } from '../core/episode.js';
import { Backoff, stderr } from './reconnect.js';

/** Where a syslog sink sends, resolved (config/syslog-options.ts). */
export interface ResolvedSyslogTarget {
  readonly transport: 'tcp' | 'udp' | 'unix';
  /** For tcp and udp. */
  readonly host: string;
  readonly port: number;
  /** For unix: the socket path, absolute. */
  readonly path: string | undefined;
  /** The outbox's size in bytes, a power of two. */
  readonly outboxBytes: number;
}

/** How the target reads in messages: `tcp://host:port`, `udp://host:port` or `unix:///path`. */
export function targetName(target: ResolvedSyslogTarget): string {
  if (target.transport === 'unix') return `unix://${target.path}`;
  const host = isIPv6(target.host) ? `[${target.host}]` : target.host;
  return `${target.transport}://${host}:${target.port}`;
}

/** How long stop() lets a connected socket deliver what it has, before it is dropped. */
const STOP_FLUSH_MS = 1000;

/**
 * The bytes a broken connection may have held that never arrived: our send buffer and the
 * collector's receive buffer, each at most the kernel's maximum (Linux: the third field of
 * tcp_wmem and tcp_rmem; a Unix socket: wmem_max). Read once; 16 MiB where /proc says nothing.
 */
function doubtBytes(transport: 'tcp' | 'unix'): number {
  const field = (path: string, index: number): number => {
    try {
      const value = Number(readFileSync(path, 'utf8').trim().split(/\s+/)[index]);
      return Number.isSafeInteger(value) && value > 0 ? value : Number.NaN;
    } catch {
      return Number.NaN;
    }
  };
  const bytes =
    transport === 'tcp'
      ? field('/proc/sys/net/ipv4/tcp_wmem', 2) + field('/proc/sys/net/ipv4/tcp_rmem', 2)
      : 2 * field('/proc/sys/net/core/wmem_max', 0);
  return Number.isNaN(bytes) ? 16 * 1024 * 1024 : bytes;
}

/** An entry written to the socket: its lines, the position after it, and the connection's byte count after it. */
interface Written {
  readonly lines: number;
  readonly next: number;
  readonly end: number;
}

export class StreamSender {
  readonly #target: ResolvedSyslogTarget;
  readonly #name: string;
  readonly #outbox: OutboxViews;
  readonly #backoff = new Backoff();
  readonly #episode: Episode;
  readonly #doubtBytes: number;
  #socket: Socket | undefined;
  #datagrams: DatagramSocket | undefined;
  #connected = false;
  #writable = true;
  #reconnect: NodeJS.Timeout | undefined;
  /** The next entry to write. */
  #sendAt: number;
  /** Bytes written on this connection. */
  #bytes = 0;
  /** Written, not yet done (in order), then done and within the last #doubtBytes: what a break may take. */
  readonly #pending: Written[] = [];
  readonly #recent: Written[] = [];
  #recentLines = 0;
  #stopped = false;

  constructor(target: ResolvedSyslogTarget, outbox: OutboxViews, report: (event: FailureEvent) => void) {
    this.#target = target;
    this.#name = targetName(target);
    this.#outbox = outbox;
    this.#episode = new Episode('syslog', this.#name, report, { retrying: true, lost: () => Number(Atomics.load(outbox.counters, OutboxCounter.LOST)), errorPath: this.#name });
    this.#doubtBytes = target.transport === 'udp' ? 0 : doubtBytes(target.transport);
    this.#sendAt = Atomics.load(outbox.control, OutboxSlot.ACKED);
  }

  start(): void {
    this.#connect();
    watchOutbox(this.#outbox, {
      stopped: () => this.#stopped,
      wake: () => {
        // Closing while away: one more attempt now rather than at the end of the back-off (the
        // collector may be back); when it fails too, #closed() drops what is left.
        if (this.#closing() && this.#reconnect !== undefined) {
          clearTimeout(this.#reconnect);
          this.#connect();
        }
        this.#pump();
      },
      idle: () => this.#connected,
    });
  }

  /** The backend is closing: a connected socket delivers what it has (briefly); the rest is dropped and counted. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#pump();
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    const socket = this.#socket;
    if (socket !== undefined && this.#connected) {
      const flushed = new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        setTimeout(resolve, STOP_FLUSH_MS).unref();
      });
      socket.end();
      await flushed;
    }
    socket?.destroy();
    this.#datagrams?.close();
    // What is still not done did not go out in time.
    this.#lose(this.#pending.reduce((sum, entry) => sum + entry.lines, 0));
    const last = this.#pending.at(-1);
    this.#pending.length = 0;
    if (last !== undefined) this.#free(last.next);
    this.#dropAll();
  }

  // ---- the connection ------------------------------------------------------------------------

  #connect(): void {
    this.#reconnect = undefined;
    if (this.#stopped) return;
    if (this.#target.transport === 'udp') {
      this.#connectDatagrams();
      return;
    }
    const socket =
      this.#target.transport === 'unix' ? connect({ path: this.#target.path! }) : connect({ host: this.#target.host, port: this.#target.port });
    this.#socket = socket;
    this.#writable = true;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.#connected = true;
      this.#bytes = 0;
      this.#backoff.reset();
      this.#episode.recover();
      this.#pump();
    });
    socket.on('drain', () => {
      this.#writable = true;
      this.#pump();
    });
    // A collector that sends anything is not speaking syslog to us: ignored.
    socket.on('data', () => {});
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.#stopped) this.#episode.fail(error);
    });
    socket.on('close', (hadError) => this.#closed(socket, hadError));
  }

  #connectDatagrams(): void {
    const socket = createSocket(isIPv6(this.#target.host) ? 'udp6' : 'udp4');
    this.#datagrams = socket;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#stopped) return;
      this.#episode.fail(error);
      this.#connected = false;
      socket.close();
      this.#datagrams = undefined;
      this.#reconnect = setTimeout(() => this.#connect(), this.#backoff.take());
    });
    socket.connect(this.#target.port, this.#target.host, () => {
      this.#connected = true;
      this.#backoff.reset();
      this.#pump();
    });
  }

  /**
   * The connection is gone: what it may have held is counted lost, and we reconnect. Closed by
   * stop() without an error, the collector read up to our end (it answered it): nothing lost.
   */
  #closed(socket: Socket, hadError: boolean): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#connected = false;
    const delivered = this.#stopped && !hadError;
    const inDoubt = delivered ? 0 : this.#recentLines + this.#pending.reduce((sum, entry) => sum + entry.lines, 0);
    const last = this.#pending.at(-1);
    this.#pending.length = 0;
    this.#recent.length = 0;
    this.#recentLines = 0;
    if (last !== undefined) this.#free(last.next);
    // The episode starts first, so that what the connection took is counted in it.
    if (!this.#stopped && !this.#episode.failing) {
      this.#episode.fail(Object.assign(new Error(`ringlog: the connection to the syslog collector at ${this.#name} closed`), { code: 'ECONNRESET' }));
    }
    this.#lose(inDoubt);
    if (this.#stopped) return;
    if (this.#closing()) {
      this.#dropAll();
      return;
    }
    this.#reconnect = setTimeout(() => this.#connect(), this.#backoff.take());
  }

  // ---- sending -------------------------------------------------------------------------------

  #pump(): void {
    if (!this.#connected || this.#stopped) return;
    const outbox = this.#outbox;
    const write = Atomics.load(outbox.control, OutboxSlot.WRITE);
    while (this.#sendAt !== write && this.#writable) {
      const entry = entryAt(outbox, this.#sendAt);
      this.#sendAt = entry.next;
      // A view of the outbox, not a copy: the room is freed only once the write is done.
      const bytes = Buffer.from(outbox.buffer, OUTBOX_CONTROL_BYTES + entry.index, entry.bytes);
      if (this.#datagrams !== undefined) this.#sendDatagrams(this.#datagrams, bytes, entry.lines, entry.next);
      else this.#write(this.#socket!, bytes, entry.lines, entry.next);
    }
  }

  #write(socket: Socket, bytes: Buffer, lines: number, next: number): void {
    this.#bytes += bytes.length;
    const written: Written = { lines, next, end: this.#bytes };
    this.#pending.push(written);
    this.#writable = socket.write(bytes, (error) => {
      // A failed write is counted by #closed(), which follows.
      if (error !== undefined && error !== null) return;
      if (this.#socket !== socket || this.#pending[0] !== written) return;
      this.#pending.shift();
      this.#done(written);
    });
  }

  /**
   * One datagram per message: the entry's messages are octet-counted (`LEN SP MSG`). Sends
   * complete in order (libuv's queue), so entries are done in order too.
   */
  #sendDatagrams(socket: DatagramSocket, bytes: Buffer, lines: number, next: number): void {
    const messages = splitOctetCounted(bytes);
    const written: Written = { lines, next, end: 0 };
    this.#pending.push(written);
    let left = messages.length;
    let failed = lines - messages.length;
    let failure: Error | undefined;
    const sent = (error: Error | null): void => {
      if (error !== null) {
        failed++;
        failure = error;
      }
      if (--left > 0 || this.#pending[0] !== written) return;
      this.#pending.shift();
      this.#lose(failed);
      Atomics.add(this.#outbox.counters, OutboxCounter.SENT, BigInt(lines - failed));
      this.#free(next);
      if (failure !== undefined) this.#episode.fail(failure);
      else this.#episode.recover();
    };
    if (messages.length === 0) {
      left = 1;
      sent(null);
      return;
    }
    for (const message of messages) socket.send(message, sent);
  }

  /** A stream write is done: the room goes back, and the entry stays counted as in doubt for a while. */
  #done(written: Written): void {
    Atomics.add(this.#outbox.counters, OutboxCounter.SENT, BigInt(written.lines));
    this.#free(written.next);
    this.#recent.push(written);
    this.#recentLines += written.lines;
    while (this.#recent.length > 0 && this.#recent[0]!.end <= this.#bytes - this.#doubtBytes) {
      this.#recentLines -= this.#recent.shift()!.lines;
    }
  }

  #free(position: number): void {
    const control = this.#outbox.control;
    Atomics.store(control, OutboxSlot.ACKED, position);
    Atomics.notify(control, OutboxSlot.ACKED);
  }

  #lose(lines: number): void {
    if (lines > 0) Atomics.add(this.#outbox.counters, OutboxCounter.LOST, BigInt(lines));
  }

  #closing(): boolean {
    return Atomics.load(this.#outbox.control, OutboxSlot.CLOSING) === 1;
  }

  /** Drops every entry not yet written (the collector is away and the drainer has closed), counted. */
  #dropAll(): void {
    if (this.#pending.length > 0) return;
    const lines = dropEntries(this.#outbox);
    this.#sendAt = Atomics.load(this.#outbox.control, OutboxSlot.ACKED);
    if (lines === 0) return;
    this.#lose(lines);
    stderr(`ringlog: the syslog collector at ${this.#name} is away at close: ${lines} lines were dropped (stats().syslogLost)`);
  }
}

/** The messages of octet-counted frames (`LEN SP MSG` ...), as views; a malformed rest is left out. */
export function splitOctetCounted(bytes: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = 0;
    let digits = 0;
    while (at < bytes.length && bytes[at]! >= 0x30 && bytes[at]! <= 0x39 && digits < 9) {
      length = length * 10 + bytes[at++]! - 0x30;
      digits++;
    }
    if (digits === 0 || bytes[at] !== 0x20 || at + 1 + length > bytes.length) break;
    messages.push(bytes.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  return messages;
}
