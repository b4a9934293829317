/**
 * The startup scenario's thread (see startup.ts): a fresh worker imports one library, makes a
 * logger and logs one line, and reports how long that took from its first statement. It imports
 * nothing of its own statically but node:worker_threads, so that its module graph, loaded before
 * the clock starts, is the same for every library.
 *
 * With `count`, it first registers module hooks (startup-hooks.ts) and reports the files the
 * import loaded instead; hooks slow loading down, so that run is never a timed one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LogHandle } from '../../src/index.js';

/** floor: one empty module through the same first dynamic import, what no library can avoid. */
export type Library = 'ringlog' | 'pino' | 'floor';

export interface StartupData {
  readonly library: Library;
  /** ringlog's entry, dist/src/index.js, as a file URL. */
  readonly entry: string;
  readonly handle: LogHandle;
  readonly count: boolean;
}

export type StartupReply = { readonly elapsedMs: number } | { readonly files: number };

type Ringlog = typeof import('../../src/index.js');

const started = performance.now();
const { library, entry, handle, count } = workerData as StartupData;
const seen = count ? await watchLoads() : undefined;
if (library === 'ringlog') {
  const { connect } = (await import(entry)) as Ringlog;
  const log = connect(handle);
  log.info('ready');
} else if (library === 'pino') {
  const { default: pino } = await import('pino');
  const log = pino(pino.destination('/dev/null'));
  log.info('ready');
} else {
  const empty: string = 'data:text/javascript,export const ready = 1;';
  await import(empty);
}
const elapsedMs = performance.now() - started;
const reply: StartupReply = seen === undefined ? { elapsedMs } : { files: (await seen()).size };
parentPort!.postMessage(reply);

/**
 * Starts collecting the file URLs this thread loads: ES modules through the hooks' load(), and
 * CommonJS files (pino is CommonJS, and require() bypasses the ES hooks in Node 20) from
 * require.cache. Returns what collects them when called.
 */
async function watchLoads(): Promise<() => Promise<Set<string>>> {
  const { register, createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const { MessageChannel } = await import('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  const urls = new Set<string>();
  port1.on('message', (url: string) => urls.add(url));
  const hooks = new URL('./startup-hooks.js', import.meta.url);
  register(hooks, { data: { port: port2 }, transferList: [port2] });
  return async () => {
    // The hooks post in load order: once this last import's URL is back, every earlier one is.
    const sentinel = 'data:text/javascript,export{}';
    const back = new Promise<void>((resolve) => {
      port1.on('message', (url: string) => url === sentinel && resolve());
    });
    await import(sentinel);
    await back;
    port1.close();
    const { cache } = createRequire(import.meta.url);
    for (const path of Object.keys(cache)) urls.add(pathToFileURL(path).href);
    return new Set([...urls].filter((url) => url.startsWith('file:')));
  };
}
