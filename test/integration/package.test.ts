/**
 * The package as users get it: `npm pack` (prepack cleans dist/ and builds it; here the suite
 * has just built it, so the pack skips the scripts), installed from the tarball into a project of
 * its own with no network, then used the way the README says: `import { createLogBackend } from
 * 'ringlog'` in the main thread, `connect` in a worker thread that imports the package by name,
 * and the `ringlog` bin. The lines must be in the file, and the tarball must hold only dist/src
 * beside the README and package.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/log-files.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const MAIN = `
import { Worker } from 'node:worker_threads';
import { createLogBackend } from 'ringlog';
const backend = await createLogBackend({ file: 'app.log' });
const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: backend.handle });
await new Promise((resolve) => worker.once('exit', resolve));
backend.logger('main').info('done');
console.log(JSON.stringify(await backend.close()));
`;

const WORKER = `
import { workerData } from 'node:worker_threads';
import { connect } from 'ringlog';
const log = connect(workerData, { name: 'worker' });
for (let i = 0; i < 1000; i++) log.info({ i }, 'job %d done', i);
`;

describe('the package', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('packs dist/src, the README and package.json only, installs offline, and works from its name in threads and as a bin', () => {
    const { dir, remove } = tempDir();
    cleanup = remove;
    const packed = JSON.parse(
      execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }),
    ) as { filename: string; files: { path: string }[] }[];
    const paths = packed[0]!.files.map((file) => file.path);
    expect(paths.filter((path) => !path.startsWith('dist/src/')).sort()).toEqual(['README.md', 'package.json']);
    expect(paths).toContain('dist/src/index.js');
    expect(paths).toContain('dist/src/bin/ringlog.js');

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed[0]!.filename)], { cwd: app, encoding: 'utf8' });
    writeFileSync(join(app, 'main.mjs'), MAIN);
    writeFileSync(join(app, 'worker.mjs'), WORKER);
    const stats = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' })) as Record<string, number>;
    expect(stats).toMatchObject({ recordsWritten: 1001, recordsDropped: 0 });
    const lines = readFileSync(join(app, 'app.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line['name'] === 'worker').map((line) => line['i'])).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(lines.at(-1)).toMatchObject({ name: 'main', msg: 'done' });

    const help = execFileSync(join(app, 'node_modules/.bin/ringlog'), ['--help'], { encoding: 'utf8' });
    expect(help).toMatch(/^Usage: ringlog aggregate --config <file.json>/);
    expect(readdirSync(join(app, 'node_modules'))).toContain('ringlog');
  });
});
