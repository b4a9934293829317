/**
 * The callSite option: where each call was made, as pino-caller writes it, only when asked for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createLogBackend } from '../../dist/src/index.js';
import { readRecords, tempDir } from '../support/log-files.js';

describe('callSite', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('adds `caller` (function, file, line, column of the call) to every record, children included, and only when asked', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ file: join(dir, 'app.log') });
    const log = connect(backend.handle, { name: 'app', callSite: true });
    const fields = { a: 1 };
    function handleRequest(): void {
      log.info(fields, 'with fields');
      log.info('message only');
      log.child({ request: 7 }).warn(new Map([['k', 1]]));
      log.child({ request: 8 }, { callSite: false }).info('child without');
    }
    handleRequest();
    connect(backend.handle).info('off by default');
    await backend.close();

    const records = readRecords(dir, 'app.log');
    const callers = records.map((r) => r['caller'] as string | undefined);
    for (const caller of callers.slice(0, 3)) expect(caller).toMatch(/^handleRequest \(.*call-site\.test\.(ts|js):\d+:\d+\)$/);
    expect(new Set(callers.slice(0, 3)).size).toBe(3);
    expect(callers.slice(3)).toEqual([undefined, undefined]);
    expect(records[0]).toMatchObject({ a: 1, msg: 'with fields' });
    expect(records[2]).toMatchObject({ request: 7, value: { k: 1 } });
    expect(fields).toEqual({ a: 1 });
  });

  it('a field of the call named caller wins, and a throwing getter does not make the call throw', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ file: join(dir, 'app.log') });
    const log = connect(backend.handle, { callSite: true });
    log.info({ caller: 'mine' }, 'own caller');
    const hostile = Object.defineProperty({}, 'bad', { enumerable: true, get: () => { throw new Error('no'); } });
    expect(() => log.info(hostile, 'hostile')).not.toThrow();
    await backend.close();
    const [own, bad] = readRecords(dir, 'app.log');
    expect(own).toMatchObject({ caller: 'mine' });
    expect(bad).toMatchObject({ bad: '[Throws]', msg: 'hostile' });
    expect(bad!['caller']).toEqual(expect.any(String));
  });

  it('reads in a text template as {caller}', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const path = join(dir, 'app.txt');
    const backend = await createLogBackend({
      formatters: { where: { type: 'text', template: '{levelname} {caller}: {message}', extras: 'none' } },
      sinks: [{ type: 'file', path, formatter: 'where' }],
    });
    function here(): void {
      connect(backend.handle, { callSite: true }).info('hello');
    }
    here();
    await backend.close();
    expect(readFileSync(path, 'utf8')).toMatch(/^INFO here \(.*call-site\.test\.(ts|js):\d+:\d+\): hello\n$/);
  });

  it('is a boolean, in connect() and child()', async () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const backend = await createLogBackend({ file: join(dir, 'app.log') });
    expect(() => connect(backend.handle, { callSite: 'yes' } as never)).toThrow(
      "ringlog: options.callSite must be true, false or undefined; received 'yes'",
    );
    expect(() => connect(backend.handle).child({}, { callSite: 1 } as never)).toThrow(/options\.callSite must be true, false or undefined; received 1/);
    await backend.close();
  });
});
