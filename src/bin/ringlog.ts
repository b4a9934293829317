#!/usr/bin/env node
/**
 * The package's command, `ringlog aggregate --config ringlog.json`: a standalone aggregator,
 * for when no process of the app is the natural owner of the files (pm2 cluster mode, several
 * programs, systemd). It is createLogBackend on the file with `listen` in it, kept running until
 * SIGTERM or SIGINT, and then closed as an app would close it: what it took from the senders is
 * written, the files are closed, and its stats go to stderr as one JSON line.
 *
 * What it says goes to stderr, one line each, so that a supervisor's log shows it:
 *
 *   ringlog: aggregating on /run/app/ringlog.sock into /var/log/app/app.log
 *   {"recordsWritten":10000,...,"received":10000,"duplicates":0,"maybeDuplicated":0}
 *
 * Exit status: 0 closed by a signal; 1 it could not start (another aggregator has the socket, a
 * log file cannot be opened); 2 a usage or configuration error (the message names the option);
 * 3 the backend stopped writing on its own (its consumer thread kept failing): an aggregator
 * that writes nothing must end, so that pm2 or systemd starts it again while the forwarding
 * processes spill. Other trouble while running (a disk, a hostile peer) is the backend's: one
 * line on stderr, written by the backend, and the aggregator goes on.
 */
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfigFile } from '../config/config-file.js';
import type { ResolvedOptions } from '../config/options.js';
import { ErrorCode, isOptionError } from '../core/errors.js';
import { createLogBackend, type LogBackend } from '../index.js';

const SHORT_USAGE = `Usage: ringlog aggregate --config <file.json>
       ringlog --help`;

const USAGE = `${SHORT_USAGE}

Commands:
  aggregate   Run an aggregator: take the lines of every process that forwards to the socket
              named by the file's "listen", and write them through the file's sinks (rotation,
              retention and gzip as configured). Runs until SIGTERM or SIGINT, then writes
              what it has taken, closes the files and prints its stats as a JSON line.

Options:
  -c, --config <file.json>  createLogBackend's options as JSON, with "listen": the socket path
  -h, --help                this text

Exit status: 0 closed by a signal; 1 could not start (the socket is taken, a file cannot be
opened); 2 a usage or configuration error; 3 stopped writing (its consumer kept failing).
`;

const enum Exit {
  OK = 0,
  START_FAILED = 1,
  USAGE = 2,
  STOPPED = 3,
}

function say(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nowhere left to say it.
  }
}

/** Says `message` (and the usage, for a usage error) and ends with `code`. */
function quit(code: Exit, message?: string, usage = false): never {
  if (message !== undefined) say(message);
  if (usage) say(`${SHORT_USAGE}\n(ringlog --help says more)`);
  process.exit(code);
}

function main(argv: readonly string[]): void {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== 'aggregate') quit(Exit.USAGE, `ringlog: unknown command '${command}'`, true);
  let values: { config?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    quit(Exit.USAGE, `ringlog aggregate: ${(error as Error).message}`, true);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals.length > 0) {
    quit(Exit.USAGE, `ringlog aggregate: unexpected argument '${positionals[0]}'`, true);
  }
  if (values.config === undefined || values.config === '') {
    quit(Exit.USAGE, 'ringlog aggregate: --config <file.json> is required', true);
  }
  if (!values.config.toLowerCase().endsWith('.json')) {
    const received = `received '${values.config}'`;
    quit(Exit.USAGE, `ringlog aggregate: --config takes a JSON file (ending in .json); ${received}`, true);
  }
  aggregate(resolve(values.config)).catch((error: unknown) => {
    // A bug of ours: say it whole, and end as a start that failed.
    quit(Exit.START_FAILED, `ringlog aggregate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  });
}

/** Runs the aggregator of the configuration file at `config`, an absolute path. */
async function aggregate(config: string): Promise<void> {
  // Nothing of the backend keeps the process alive (its threads are unref'd, so that an app
  // ends when it is done): an aggregator has nothing else to do, and runs until a signal.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  let backend: LogBackend | undefined;
  let stopping: NodeJS.Signals | undefined;
  const stop = async (): Promise<void> => {
    if (backend === undefined) return; // still starting: aggregate() closes it once it has it
    const stats = await backend.close();
    say(JSON.stringify(stats));
    clearInterval(keepAlive);
    process.exit(Exit.OK);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      // A second signal (Ctrl-C twice, a supervisor that gives up waiting): end now. The
      // backend's exit handler still writes what is in the ring.
      quit(Exit.START_FAILED, `ringlog: ${signal} while closing on ${stopping}: exiting without waiting`);
    }
    stopping = signal;
    void stop();
  };
  // Ours from the start: with a listener of the app's, the backend leaves signals to the app.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let options: ResolvedOptions;
  try {
    options = await resolveConfigFile(config);
  } catch (error) {
    quit(isOptionError(error) ? Exit.USAGE : Exit.START_FAILED, messageOf(error));
  }
  const listen = options.listen;
  if (listen === undefined) {
    quit(
      Exit.USAGE,
      `ringlog: ${config}: options.listen is required by ringlog aggregate: the socket path the ` +
        `forwarding processes send to (their forward address), such as "listen": "logs/ringlog.sock"`,
    );
  }
  // Forwarded lines go to the root sinks (options.ts refuses a `listen` without one).
  const into = options.sinks.filter((sink) => sink.loggers.length === 0).map(describeSink);

  try {
    backend = await createLogBackend(config);
  } catch (error) {
    quit(isOptionError(error) ? Exit.USAGE : Exit.START_FAILED, messageOf(error));
  }
  // The backend writes its own line on stderr for each episode; the listener only keeps it
  // from being an unhandled 'error' (it never is without one, but this is the contract we rely on).
  backend.on('error', () => {});
  backend.once('close', () => {
    if (stopping !== undefined) return;
    quit(
      Exit.STOPPED,
      'ringlog aggregate: the backend stopped writing on its own (its consumer thread kept failing, ' +
        'as said above); exiting so that a supervisor starts the aggregator again',
    );
  });
  if (stopping !== undefined) {
    await stop();
    return;
  }
  say(`ringlog: aggregating on ${listen} into ${into.join(', ')}`);
}

function describeSink(sink: ResolvedOptions['sinks'][number]): string {
  switch (sink.kind) {
    case 'file':
      return sink.file!.path;
    case 'forward':
      return `forward to ${sink.forward!.address}`;
    default:
      return sink.kind;
  }
}

/** The error's own message, which names the option or the path; `ringlog: ` first, as all of ours. */
function messageOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === ErrorCode.LISTEN || isOptionError(error)) return message;
  return message.startsWith('ringlog: ') ? message : `ringlog: could not start the aggregator: ${message}`;
}

main(process.argv.slice(2));
