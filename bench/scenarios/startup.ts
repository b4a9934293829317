/**
 * Startup: what a new pool worker pays before its first log line. A fresh worker thread imports
 * the library, makes a logger and logs once; the time runs from the worker's first statement to
 * the end of that call, beside pino doing the same. A pool that starts workers on demand pays it
 * on every start, so the producer side must load little (STYLE.md 2b; issue 12's target).
 *
 * ringlog's backend is made by the measuring process's main thread beforehand, as an app does;
 * each worker only calls connect(handle). pino writes with pino.destination('/dev/null'), its
 * synchronous sonic-boom: no thread of its own, as cheap a start as pino has. The floor is the
 * same first dynamic import of one empty module: what any library pays. The three alternate, one
 * worker each per round, after one untimed round that leaves both libraries' files in the page
 * cache alike (the measuring process has read ringlog's already).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createLogBackend } from '../../src/index.js';
import { inChild, withTempDir, type ChildSpec } from '../lib/child.js';
import type { Config } from '../lib/config.js';
import { fixed, int, table, times } from '../lib/format.js';
import { median, medianRatio } from '../lib/stats.js';
import type { Library, StartupData, StartupReply } from './startup-worker.js';

const WORKER_URL = new URL('./startup-worker.js', import.meta.url);
const ENTRY = new URL('../../src/index.js', import.meta.url).href;
const LIBRARIES = ['ringlog', 'pino', 'floor'] as const satisfies readonly Library[];
/** Issue 12: a worker's ringlog start (import, connect, first call) at most 0.4x pino's. */
export const STARTUP_TARGET = 0.4;

interface Spec extends ChildSpec {
  readonly samples: number;
}

export interface LibraryResult {
  /** ms from the worker's first statement to the end of its first log call, one per worker. */
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  /** Files (ES modules and CommonJS) the worker loaded, counted in one more, untimed worker. */
  readonly files: number;
}

export type Result = Record<Library, LibraryResult> & {
  /** Workers timed per library. */
  readonly samples: number;
  /** Median of the rounds' ringlog / pino ratios. */
  readonly ringlogOverPino: number;
};

export async function run(config: Config): Promise<Result> {
  console.log(
    `\n== startup: a fresh worker thread imports the library, makes a logger and logs one line;` +
      ` ${int(config.startupSamples)} workers each, alternating` +
      `\n   ringlog: connect(handle) from dist/src/index.js, the backend made by the main thread` +
      `\n   pino: pino(pino.destination('/dev/null')), synchronous sonic-boom` +
      `\n   floor: the same first dynamic import, of one empty module`,
  );
  const spec = { scenario: 'startup', samples: config.startupSamples } as const;
  const result = await withTempDir((dir) =>
    inChild<Result>({ ...spec, dir } satisfies Spec, 120_000),
  );
  const row = (library: Library): string[] => {
    const { samplesMs, medianMs, files } = result[library];
    const [min, max] = [Math.min(...samplesMs), Math.max(...samplesMs)];
    return [library, fixed(medianMs, 1), fixed(min, 1), fixed(max, 1), int(files)];
  };
  const header = ['library', 'median ms', 'min ms', 'max ms', 'files loaded'];
  console.log(table(header, LIBRARIES.map(row)));
  console.log(
    `ringlog / pino: ${times(result.ringlogOverPino)}` +
      ` (median of the rounds' ratios; target <= ${fixed(STARTUP_TARGET, 1)}x)`,
  );
  return result;
}

/** In the measuring process. */
export async function measure(spec: Spec): Promise<Result> {
  const path = join(spec.dir, 'app.log');
  const backend = await createLogBackend({ file: path });
  const start = (library: Library, count = false): Promise<StartupReply> =>
    startWorker({ library, entry: ENTRY, handle: backend.handle, count });
  for (const library of LIBRARIES) await start(library);
  const samples: Record<Library, number[]> = { ringlog: [], pino: [], floor: [] };
  for (let round = 0; round < spec.samples; round++) {
    for (const library of LIBRARIES) samples[library].push(elapsed(await start(library)));
  }
  const files: Record<Library, number> = { ringlog: 0, pino: 0, floor: 0 };
  for (const library of LIBRARIES) files[library] = filesOf(await start(library, true));
  await backend.close();
  // Every ringlog worker's line (the untimed ones' too) must be in the file.
  const workers = spec.samples + 2;
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.includes('"msg":"ready"'));
  if (lines.length !== workers) {
    throw new Error(`${path} holds ${lines.length} 'ready' lines; ${workers} ringlog workers logged once each`);
  }
  const of = (library: Library): LibraryResult => ({
    samplesMs: samples[library],
    medianMs: median(samples[library]),
    files: files[library],
  });
  return {
    samples: spec.samples,
    ringlog: of('ringlog'),
    pino: of('pino'),
    floor: of('floor'),
    ringlogOverPino: medianRatio(samples.ringlog, samples.pino),
  };
}

async function startWorker(data: StartupData): Promise<StartupReply> {
  const worker = new Worker(WORKER_URL, { workerData: data });
  // Not once(): its promise would reject on 'error' too, unawaited when 'message' rejects first.
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const [reply] = (await once(worker, 'message')) as [StartupReply];
  await exited;
  return reply;
}

function elapsed(reply: StartupReply): number {
  if (!('elapsedMs' in reply)) throw new Error('a timed startup worker replied without its time');
  return reply.elapsedMs;
}

function filesOf(reply: StartupReply): number {
  if (!('files' in reply)) throw new Error('a counting startup worker replied without its count');
  return reply.files;
}
