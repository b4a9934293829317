/**
 * rsyslog and syslog-ng for the tests, as test/engines/setup.mjs unpacked them in
 * .cache/engines/: each started in the foreground on 127.0.0.1 with a configuration written
 * here, receiving RFC 5424 over TCP (octet counting, or LF) and writing one line per message
 * to a file, its fields apart:
 *
 *   PRI|TIMESTAMP|HOSTNAME|APP-NAME|PROCID|MSGID|MSG
 *
 * rsyslog keeps the order only with one worker on its main queue: 'Direct' (no queue at all)
 * here, which also means a killed rsyslog had nothing queued. Its 8 KiB default message limit
 * is raised to 64 KiB, as syslog-ng's log-msg-size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EngineManifest {
  readonly rsyslogd: string;
  readonly rsyslogModules: string;
  readonly syslogNg: string;
  readonly syslogNgModules: string;
  readonly libraryPath: string;
}

const MANIFEST = fileURLToPath(new URL('../../.cache/engines/engines.json', import.meta.url));

/** The engines as setup.mjs left them, or why there are none. */
export function loadEngines(): EngineManifest | string {
  if (!existsSync(MANIFEST)) return `no ${MANIFEST}: run \`node test/engines/setup.mjs\` (.ci/run does)`;
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as EngineManifest;
  for (const path of [manifest.rsyslogd, manifest.syslogNg]) if (!existsSync(path)) return `${path} is gone: run \`node test/engines/setup.mjs\``;
  return manifest;
}

export type EngineName = 'rsyslog' | 'syslog-ng';

export interface EngineLine {
  readonly pri: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly msg: string;
}

export interface Engine {
  readonly name: EngineName;
  readonly port: number;
  /** The lines written so far, parsed. */
  lines(): EngineLine[];
  /** Resolves once `count` lines are written, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<EngineLine[]>;
  /** SIGKILL: dies with whatever it had not written. */
  kill(): Promise<void>;
  /** Starts again on the same port, appending to the same file. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function rsyslogConfig(m: EngineManifest, dir: string, port: number, out: string, framing: 'octet-counting' | 'lf', socket: string | undefined): string {
  // imptcp listens on a Unix stream socket too, with path=.
  const where = socket === undefined ? `port="${port}" address="127.0.0.1"` : `path="${socket}"`;
  // imptcp takes both framings; LF framing is its default when a frame does not start with a digit.
  return `global(workDirectory="${dir}" maxMessageSize="64k")
main_queue(queue.type="Direct")
module(load="${join(m.rsyslogModules, 'imptcp.so')}")
input(type="imptcp" ${where} supportOctetCountedFraming="${framing === 'octet-counting' ? 'on' : 'off'}")
template(name="fields" type="string" string="%PRI%|%TIMESTAMP:::date-rfc3339%|%HOSTNAME%|%APP-NAME%|%PROCID%|%MSGID%|%msg%\\n")
action(type="omfile" file="${out}" template="fields" flushOnTXEnd="on" asyncWriting="off")
`;
}

/**
 * rsyslog's imfile following `file` (inotify mode, from its start), writing each line's message
 * as it was: a shipper tailing ringlog's rotating file.
 */
function rsyslogTailConfig(m: EngineManifest, dir: string, file: string, out: string): string {
  return `global(workDirectory="${dir}")
main_queue(queue.type="Direct")
module(load="${join(m.rsyslogModules, 'imfile.so')}" mode="inotify")
input(type="imfile" File="${file}" Tag="app" freshStartTail="off")
template(name="raw" type="string" string="%msg%\\n")
action(type="omfile" file="${out}" template="raw" flushOnTXEnd="on" asyncWriting="off")
`;
}

/** Starts rsyslog tailing `file` with imfile; it writes each line to `dir`/shipped.log. Resolves once it runs. */
export async function startTail(m: EngineManifest, dir: string, file: string): Promise<{ shipped: () => string[]; stop: () => Promise<void> }> {
  const out = join(dir, 'shipped.log');
  const config = join(dir, 'tail.conf');
  writeFileSync(config, rsyslogTailConfig(m, dir, file, out));
  const child = spawn(m.rsyslogd, ['-n', '-f', config, '-i', join(dir, 'tail.pid'), '-M', m.rsyslogModules], {
    env: { ...process.env, LD_LIBRARY_PATH: m.libraryPath },
    stdio: 'ignore',
  });
  // No port to probe: its pid file says it has started.
  const until = Date.now() + 10_000;
  while (!existsSync(join(dir, 'tail.pid'))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`rsyslog (imfile) did not start: exit ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    shipped: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').slice(0, -1) : []),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function syslogNgConfig(port: number, out: string, framing: 'octet-counting' | 'lf'): string {
  // syslog() reads RFC 6587 octet counting; network() with syslog-protocol reads LF-framed RFC 5424.
  const source =
    framing === 'octet-counting'
      ? `syslog(ip("127.0.0.1") port(${port}) transport("tcp") log-msg-size(65536))`
      : `network(ip("127.0.0.1") port(${port}) transport("tcp") flags(syslog-protocol) log-msg-size(65536))`;
  return `@version: 3.38
options { keep-hostname(yes); keep-timestamp(yes); frac-digits(3); flush-lines(0); stats-freq(0); };
source s { ${source}; };
destination d { file("${out}" template("\${PRI}|\${ISODATE}|\${HOST}|\${PROGRAM}|\${PID}|\${MSGID}|\${MESSAGE}\\n")); };
log { source(s); destination(d); };
`;
}

/** Starts `name` in `dir`, listening on a free port; it writes to `dir`/messages.log. */
/** `socket`: rsyslog listens on this Unix stream socket instead of a TCP port. */
export async function startEngine(
  m: EngineManifest,
  name: EngineName,
  dir: string,
  framing: 'octet-counting' | 'lf' = 'octet-counting',
  socket?: string,
): Promise<Engine> {
  const port = await freePort();
  const out = join(dir, 'messages.log');
  const config = join(dir, `${name}.conf`);
  writeFileSync(config, name === 'rsyslog' ? rsyslogConfig(m, dir, port, out, framing, socket) : syslogNgConfig(port, out, framing));
  const env = { ...process.env, LD_LIBRARY_PATH: m.libraryPath };
  const args =
    name === 'rsyslog'
      ? [m.rsyslogd, '-n', '-f', config, '-i', join(dir, 'rsyslog.pid'), '-M', m.rsyslogModules]
      : [m.syslogNg, '-F', '-f', config, `--module-path=${m.syslogNgModules}`, '-p', join(dir, 'syslog-ng.pid'), '-c', join(dir, 'syslog-ng.ctl'), '-R', join(dir, 'syslog-ng.persist'), '--no-caps'];
  let child: ChildProcess | undefined;
  let output = '';

  const start = async (): Promise<void> => {
    const c = spawn(args[0]!, args.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    c.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Ready when it takes a connection.
    const until = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`${name} exited (${c.exitCode}): ${output}`);
      if (socket === undefined ? await accepts(port) : existsSync(socket)) return;
      if (Date.now() > until) throw new Error(`${name} did not listen on ${port} in 10 s: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal);
    await exited;
  };

  const lines = (): EngineLine[] => {
    if (!existsSync(out)) return [];
    const text = readFileSync(out, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    return complete.split('\n').slice(0, -1).map(parseLine);
  };

  await start();
  return {
    name,
    port,
    lines,
    async waitFor(count, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const seen = lines();
        if (seen.length >= count) return seen;
        if (Date.now() > until) throw new Error(`${name}: ${seen.length} lines of ${count} after ${timeoutMs} ms; its output: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kill: () => stop('SIGKILL'),
    start,
    stop: () => stop('SIGTERM'),
  };
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port` (the probe then closes, sending nothing). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function parseLine(line: string): EngineLine {
  const fields = line.split('|');
  if (fields.length < 7) throw new Error(`not an engine line: ${JSON.stringify(line)}`);
  const [pri, timestamp, hostname, appName, procId, msgId] = fields;
  return { pri: Number(pri), timestamp: timestamp!, hostname: hostname!, appName: appName!, procId: procId!, msgId: msgId!, msg: fields.slice(6).join('|') };
}
