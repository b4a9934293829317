#!/usr/bin/env node
/**
 * Fetches the real syslog engines the syslog tests run against (test/integration/
 * syslog-engines.test.ts): rsyslog and syslog-ng-core from the system's Debian/Ubuntu
 * archive, with `apt-get download` (no root, nothing installed), unpacked with `dpkg -x` into
 * .cache/engines/ (ignored by git), with the libraries they need that the system lacks.
 * Idempotent: a second run with everything in place does nothing. .ci/run runs it before
 * `npm test`.
 *
 * Writes .cache/engines/engines.json, which the tests read: each engine's binary, its module
 * directory and the LD_LIBRARY_PATH it needs. Without apt-get (not Debian, no network) it says
 * why and exits 0, and the tests skip with that message; with CI=true it exits 1, for CI must
 * run them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, '.cache', 'engines');
const DEBS = join(CACHE, 'debs');
const TREE = join(CACHE, 'root');
const MANIFEST = join(CACHE, 'engines.json');
const ENGINES = ['rsyslog', 'syslog-ng-core'];
const ci = process.env.CI === 'true' || process.env.CI === '1';

function give(reason) {
  console.error(`engines: ${reason}`);
  console.error(ci ? 'engines: CI=true: the syslog engine tests must run, failing' : 'engines: the syslog engine tests will be skipped');
  process.exit(ci ? 1 : 0);
}

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** The direct dependencies of `packages` (the first alternative of each). */
function dependencies(packages) {
  const out = run('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...packages]);
  const found = new Set();
  for (const line of out.split('\n')) {
    // "  Depends: libfoo1" is a dependency; "    libbar" under it an alternative, and "|Depends:" one with alternatives.
    const match = /^\s{2}\|?(?:Pre)?Depends: (\S+)/.exec(line);
    if (match !== null && !match[1].startsWith('<')) found.add(match[1]);
  }
  return [...found];
}

function installed(name) {
  const status = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return status.status === 0 && status.stdout.includes('install ok installed');
}

/** The engines and what they need that is not installed here, dependencies of dependencies included. */
function packagesToFetch() {
  const wanted = new Set(ENGINES);
  for (let next = [...ENGINES]; next.length > 0; ) {
    next = dependencies(next).filter((name) => !wanted.has(name) && !installed(name));
    for (const name of next) wanted.add(name);
  }
  return [...wanted];
}

function find(dir, test, depth = 6) {
  if (depth < 0 || !existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (test(path, entry)) return path;
    if (entry.isDirectory()) {
      const found = find(path, test, depth - 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function libraryDirs() {
  const dirs = new Set();
  const walk = (dir, depth) => {
    if (depth < 0 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), depth - 1);
      else if (/\.so(\.\d+)*$/.test(entry.name) && entry.name.startsWith('lib')) dirs.add(dir);
    }
  };
  walk(join(TREE, 'usr', 'lib'), 3);
  walk(join(TREE, 'lib'), 3);
  // Module directories hold plugins, not libraries to link.
  return [...dirs].filter((dir) => !dir.endsWith('/rsyslog') && !/syslog-ng\/\d/.test(dir));
}

/** Libraries `binary` needs that neither the system nor the tree has. */
function unresolved(binary, env) {
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8', env });
  return ldd.stdout.split('\n').filter((line) => line.includes('not found')).map((line) => line.trim().split(' ')[0]);
}

function manifest() {
  const rsyslogd = join(TREE, 'usr', 'sbin', 'rsyslogd');
  const syslogNg = join(TREE, 'usr', 'sbin', 'syslog-ng');
  const rsyslogModules = find(TREE, (path, entry) => entry.isDirectory() && path.endsWith('/rsyslog') && existsSync(join(path, 'imtcp.so')));
  const syslogNgModules = find(TREE, (path, entry) => entry.isDirectory() && existsSync(join(path, 'libafsocket.so')));
  if (!existsSync(rsyslogd) || !existsSync(syslogNg) || rsyslogModules === undefined || syslogNgModules === undefined) return undefined;
  const libraryPath = libraryDirs().join(':');
  const env = { ...process.env, LD_LIBRARY_PATH: libraryPath };
  const missing = [rsyslogd, syslogNg, join(rsyslogModules, 'imtcp.so'), join(syslogNgModules, 'libafsocket.so'), join(syslogNgModules, 'libaffile.so')]
    .flatMap((binary) => unresolved(binary, env));
  return { rsyslogd, rsyslogModules, syslogNg, syslogNgModules, libraryPath, missing: [...new Set(missing)] };
}

const cached = existsSync(MANIFEST) ? manifest() : undefined;
if (cached !== undefined && cached.missing.length === 0) {
  console.log(`engines: ready in ${CACHE}`);
  process.exit(0);
}

for (const tool of ['apt-get', 'apt-cache', 'dpkg', 'dpkg-query']) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) give(`${tool} is not available (not a Debian-based system?)`);
}

rmSync(CACHE, { recursive: true, force: true });
mkdirSync(DEBS, { recursive: true });
let packages;
try {
  packages = packagesToFetch();
  console.log(`engines: apt-get download ${packages.join(' ')}`);
  run('apt-get', ['download', ...packages], { cwd: DEBS, stdio: ['ignore', 'inherit', 'pipe'] });
} catch (error) {
  give(`apt-get download failed: ${String(error.stderr ?? error.message).trim().split('\n').filter((l) => !l.startsWith('W:')).join(' ')}`);
}
for (const deb of readdirSync(DEBS).filter((name) => name.endsWith('.deb'))) run('dpkg', ['-x', join(DEBS, deb), TREE]);

const found = manifest();
if (found === undefined) give(`the packages did not unpack to an rsyslogd and a syslog-ng with their modules in ${TREE}`);
if (found.missing.length > 0) give(`libraries not found for the engines: ${found.missing.join(', ')}`);
writeFileSync(MANIFEST, `${JSON.stringify(found, null, 2)}\n`);
console.log(`engines: ready in ${CACHE}`);
