/**
 * Redaction end to end: worker threads log calls full of secrets (fixtures/redact-worker.ts)
 * into a backend with `redact`, and no secret appears anywhere in any sink's file, whichever way
 * the records went: finished JSON lines written by the producers (JSON sinks only), or encoded
 * values rendered by the consumer as JSON, text and a custom formatter that prints the whole
 * record; and the shared memory itself never holds one (a ring no consumer drains, since the
 * consumer zeroes what it has read). The paths come from code and from a configuration file; a
 * path that is not valid fails at startup, naming it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogBackend, ErrorCode, type BackendOptions, type LogBackend, type LogHandle } from '../../dist/src/index.js';
import { resolveOptions } from '../../dist/src/config/options.js';
import { handleFor } from '../../dist/src/main/backend.js';
import { allocateShared } from '../../dist/src/ring/layout.js';
import type { RedactWorkerData } from '../fixtures/redact-worker.js';
import { tempDir } from '../support/log-files.js';

const PATHS = ['password', 'req.headers.authorization', '*.token', 'users[*].ssn', 'headers["x-api-key"]', 'err.apiKey', 'err.cause.apiKey'];
const CENSOR = '[gone]';
const WORKERS = 2;
const ROUNDS = 20;
/** In every secret the worker logs. */
const SECRET_MARK = 's3cr3t';
/** The calls of one round of fixtures/redact-worker.ts. */
const RECORDS_PER_ROUND = 11;
const dump = new URL('../../dist/test/fixtures/formatters/dump.js', import.meta.url).href;

async function runWorkers(handle: LogHandle, rounds = ROUNDS): Promise<void> {
  await Promise.all(
    Array.from({ length: WORKERS }, (_, worker) => {
      const workerData: RedactWorkerData = { log: handle, worker, rounds, mark: SECRET_MARK };
      const thread = new Worker(new URL('../../dist/test/fixtures/redact-worker.js', import.meta.url), { workerData });
      return new Promise<void>((resolve, reject) => {
        thread.once('error', reject);
        thread.once('exit', () => resolve());
      });
    }),
  );
}

/** Runs the workers to the end and closes the backend; returns what every file in `dir` holds. */
async function run(backend: LogBackend, dir: string): Promise<Map<string, string>> {
  await runWorkers(backend.handle);
  const stats = await backend.close();
  expect(stats.recordsDropped).toBe(0);
  expect(stats.recordsFailed).toBe(0);
  return new Map(readdirSync(dir).filter((name) => name.endsWith('.log')).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/** What must survive: the redaction is of values, not of records or their neighbours. */
const KEPT = ['ok-user', 'ok-host', 'ok-id', 'ok-deep-token', 'ok-ann', 'ok-accept', 'ok-r1', 'ok-top-level-token', 'ok-code', 'ok-cause', 'ok-arg', 'ok-map'];

function expectNoSecret(files: Map<string, string>, records: number, kept = KEPT): void {
  for (const [name, text] of files) {
    // A text line of an error goes on with its stack, on lines of their own.
    if (name !== 'text.log') expect(text.split('\n').length - 1, name).toBe(records);
    const at = text.indexOf(SECRET_MARK);
    expect(at, `${name}: ${text.slice(Math.max(0, at - 120), at + 40)}`).toBe(-1);
    for (const value of kept) expect(text, `${name} keeps ${value}`).toContain(value);
  }
}

const json = (text: string): Record<string, unknown>[] => text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('redaction with real threads and files: no secret in any sink', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());
  const records = WORKERS * ROUNDS * RECORDS_PER_ROUND;

  it('JSON lines written by the producers (JSON sinks only): censored where pino censors', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ file: join(dir, 'app.log'), bufferSize: '64KiB', redact: { paths: PATHS, censor: CENSOR } });
    expect(backend.handle.lines).toBeDefined();
    const files = await run(backend, dir);
    expectNoSecret(files, records);
    const lines = json(files.get('app.log')!);
    const first = (msg: string) => lines.find((line) => line['msg'] === msg)!;
    expect(first('login')).toMatchObject({ password: CENSOR, user: 'ok-user' });
    expect(first('request')).toMatchObject({ req: { headers: { authorization: CENSOR, host: 'ok-host' } } });
    expect(first('wildcard')).toMatchObject({ session: { token: CENSOR, id: 'ok-id' }, deep: { a: { token: 'ok-deep-token' } } });
    expect(first('array')).toMatchObject({ users: [{ ssn: CENSOR, name: 'ok-ann' }, { ssn: CENSOR, name: 'ok-bob' }] });
    expect(first('quoted')).toMatchObject({ headers: { 'x-api-key': CENSOR, accept: 'ok-accept' } });
    expect(first('child')).toMatchObject({ password: CENSOR, requestId: 'ok-r1', token: 'ok-top-level-token' });
    expect(first('grandchild')).toMatchObject({ password: CENSOR, session: { token: CENSOR } });
    expect(first('ok-boom')).toMatchObject({ err: { message: 'ok-boom', apiKey: CENSOR, code: 'ok-code', cause: { message: 'ok-cause', apiKey: CENSOR } } });
    expect(first('with a message')).toMatchObject({ err: { message: 'ok-warn', apiKey: CENSOR } });
    expect(first(`payload {"password":"${CENSOR}","ok":"ok-arg"} then ok-string`)).toBeDefined();
    expect(first('a map')).toMatchObject({ session: { token: CENSOR, id: 'ok-map' } });
  });

  it('encoded records rendered as JSON, text and by a custom formatter, paths from a configuration file', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const options: BackendOptions = {
      bufferSize: '64KiB',
      formatters: { dump: { type: 'module', module: dump } },
      sinks: [
        { type: 'file', path: join(dir, 'app.log') },
        { type: 'file', path: join(dir, 'text.log'), formatter: 'text' },
        { type: 'file', path: join(dir, 'dump.log'), formatter: 'dump' },
      ],
      redact: PATHS,
    };
    const config = join(dir, 'ringlog.json');
    writeFileSync(config, JSON.stringify(options));
    const backend = await createLogBackend(config);
    expect(backend.handle.lines).toBeUndefined();
    const files = await run(backend, dir);
    expect([...files.keys()].sort()).toEqual(['app.log', 'dump.log', 'text.log']);
    expectNoSecret(files, records);
    expect(json(files.get('app.log')!).find((line) => line['msg'] === 'login')).toMatchObject({ password: '[Redacted]', user: 'ok-user' });
    expect(files.get('text.log')).toContain('"password":"[Redacted]"');
  });

  it('remove: true leaves the keys out; an array keeps its length', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({
      sinks: [{ type: 'file', path: join(dir, 'app.log') }, { type: 'file', path: join(dir, 'text.log'), formatter: 'text' }],
      redact: { paths: [...PATHS, 'users[0]'], remove: true },
    });
    const files = await run(backend, dir);
    expectNoSecret(files, records, KEPT.filter((value) => value !== 'ok-ann'));
    expect(files.get('text.log')).not.toContain('ok-ann');
    const lines = json(files.get('app.log')!);
    const login = lines.find((line) => line['msg'] === 'login')!;
    expect('password' in login).toBe(false);
    expect(lines.find((line) => line['msg'] === 'array')).toMatchObject({ users: [null, { name: 'ok-bob' }] });
  });

  it.each<[string, BackendOptions]>([
    ['JSON lines', { file: '/dev/null' }],
    ['encoded values', { sinks: [{ type: 'file', path: '/dev/null' }, { type: 'stdout', formatter: 'text' }] }],
  ])('the shared memory never holds a secret (%s): a ring that no consumer drains', async (way, options) => {
    for (const redact of [undefined, PATHS]) {
      const buffer = allocateShared(1 << 20);
      const handle = handleFor(resolveOptions({ ...options, ...(redact === undefined ? {} : { redact }) }), buffer);
      expect(handle.lines === undefined).toBe(way === 'encoded values');
      await runWorkers(handle, 2);
      const ring = Buffer.from(buffer);
      // The records are there; without paths the secrets too, so the check below can fail.
      expect(ring.includes('ok-user')).toBe(true);
      expect(ring.includes(SECRET_MARK)).toBe(redact === undefined);
    }
  });

  it('a path that is not valid fails at startup, naming it, from code and from a file', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    await expect(createLogBackend({ redact: ['password', 'req.headers.x-api-key'] })).rejects.toMatchObject({
      code: ErrorCode.OPTION,
      message: `ringlog: options.redact[1] is not a valid path ('req.headers.x-api-key'): at character 13, 'x-api-key' is not an identifier: write ["x-api-key"]`,
    });
    const config = join(dir, 'ringlog.json');
    writeFileSync(config, JSON.stringify({ redact: { paths: ['users[*.ssn'] } }));
    await expect(createLogBackend(config)).rejects.toMatchObject({
      code: ErrorCode.OPTION,
      message: `ringlog: ${config}: options.redact.paths[0] is not a valid path ('users[*.ssn'): at character 8, expected ]`,
    });
  });
});
