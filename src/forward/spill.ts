/**
 * The spill file: where a sender puts what the aggregator could not take for longer than
 * `spill.afterMs`, so that the outbox, and behind it the ring and the app, go on. One file per
 * sender session, `<pid>-<session>.spill` in the spill directory, replayed in order on
 * reconnect under the same session (so the aggregator drops what it had) and deleted once all
 * of it is acknowledged. A process that ends with a spill file leaves it for the next one:
 * at start, a sender takes the files of processes that no longer run (renaming one to
 * `...spill.<its pid>` first, which only one of several can do) and replays them too.
 *
 * Capped at `spill.maxSize` bytes; what does not fit is dropped and counted.
 *
 * ```
 * file:  'RLSPILL1' | session (16 bytes) | entry | entry | ...
 * entry: [line bytes: u32 LE][lines: u32 LE][seq: f64 LE][flags: u32 LE][lines]
 * flags: BATCH flags; REPLAY when the batch had been sent before it was spilled
 * ```
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MAGIC = Buffer.from('RLSPILL1');
const HEADER_BYTES = MAGIC.length + 16;
export const SPILL_ENTRY_HEAD_BYTES = 20;
const NAME = /^(\d+)-([0-9a-f]{32})\.spill(?:\.(\d+))?$/;

export interface SpillEntry {
  readonly seq: number;
  readonly lines: number;
  /** BATCH flags to send it with. */
  readonly flags: number;
  readonly bytes: Buffer;
  /** File offset after the entry. */
  readonly end: number;
}

export class SpillFile {
  readonly path: string;
  readonly session: string;
  #fd: number;
  #size: number;
  readonly #maxBytes: number;

  private constructor(path: string, session: string, fd: number, size: number, maxBytes: number) {
    this.path = path;
    this.session = session;
    this.#fd = fd;
    this.#size = size;
    this.#maxBytes = maxBytes;
  }

  /** This session's own file, created now (mode 0600: it holds log lines). */
  static create(dir: string, session: string, maxBytes: number): SpillFile {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${process.pid}-${session}.spill`);
    const fd = openSync(path, 'w+', 0o600);
    const header = Buffer.concat([MAGIC, Buffer.from(session, 'hex')]);
    writeSync(fd, header);
    return new SpillFile(path, session, fd, HEADER_BYTES, maxBytes);
  }

  /** A file taken over from a process that ended; undefined when it is not a spill file. */
  static adopt(path: string, maxBytes: number): SpillFile | undefined {
    const fd = openSync(path, 'r+');
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
      closeSync(fd);
      return undefined;
    }
    return new SpillFile(path, header.toString('hex', MAGIC.length), fd, fstatSync(fd).size, maxBytes);
  }

  /** Where the entries start. */
  get firstEntry(): number {
    return HEADER_BYTES;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends an entry; false (nothing written) when it would pass the cap. */
  append(seq: number, lines: number, bytes: Uint8Array, flags = 0): boolean {
    const total = SPILL_ENTRY_HEAD_BYTES + bytes.length;
    if (this.#size + total > this.#maxBytes) return false;
    const head = Buffer.allocUnsafe(SPILL_ENTRY_HEAD_BYTES);
    head.writeUInt32LE(bytes.length, 0);
    head.writeUInt32LE(lines, 4);
    head.writeDoubleLE(seq, 8);
    head.writeUInt32LE(flags, 16);
    writeFully(this.#fd, head, this.#size);
    writeFully(this.#fd, bytes, this.#size + head.length);
    this.#size += total;
    return true;
  }

  /** The entry at `offset`, or undefined at the end (or at a torn last entry, which a crash mid-write leaves). */
  read(offset: number): SpillEntry | undefined {
    if (offset + SPILL_ENTRY_HEAD_BYTES > this.#size) return undefined;
    const head = Buffer.allocUnsafe(SPILL_ENTRY_HEAD_BYTES);
    readFully(this.#fd, head, offset);
    const length = head.readUInt32LE(0);
    const end = offset + SPILL_ENTRY_HEAD_BYTES + length;
    if (end > this.#size) return undefined;
    const bytes = Buffer.allocUnsafe(length);
    readFully(this.#fd, bytes, offset + SPILL_ENTRY_HEAD_BYTES);
    return { seq: head.readDoubleLE(8), lines: head.readUInt32LE(4), flags: head.readUInt32LE(16), bytes, end };
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  /** Everything in it was acknowledged. */
  remove(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch {
      // Gone already.
    }
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function readFully(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length; ) {
    const read = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (read === 0) throw new Error(`ringlog: spill file ended early at ${position + done}`);
    done += read;
  }
}

/**
 * Takes over the spill files in `dir` whose process no longer runs: each is renamed to carry
 * this pid (an atomic rename: of several processes starting together, one gets each file).
 */
export function adoptOrphans(dir: string): SpillFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const adopted: SpillFile[] = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (match === null) continue;
    const owner = Number(match[3] ?? match[1]);
    if (owner === process.pid || isRunning(owner)) continue;
    const taken = join(dir, `${match[1]}-${match[2]}.spill.${process.pid}`);
    try {
      renameSync(join(dir, name), taken);
    } catch {
      // Another process took it first.
      continue;
    }
    try {
      const file = SpillFile.adopt(taken, Number.MAX_SAFE_INTEGER);
      if (file !== undefined) adopted.push(file);
      else setAside(taken);
    } catch {
      // Unreadable now (permissions, a failing disk): left as taken, for a later start.
    }
  }
  return adopted;
}

/**
 * A taken file without a spill header is not replayed, and must not be taken again at every
 * start: shorter than the header, it is what a process that died while creating it left (it
 * holds no entry: the header is written first), and is deleted; anything else is renamed
 * `<name>.corrupt`, out of the way and kept for whoever wants to look.
 */
function setAside(path: string): void {
  if (statSync(path).size < HEADER_BYTES) unlinkSync(path);
  else renameSync(path, `${path}.corrupt`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
