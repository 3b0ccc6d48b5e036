/**
 * A fresh project that installs peerstate from its packed tarball, as a user's would. The install is
 * `npm ci --offline` against a lockfile written from this repository's own package-lock.json, so it
 * takes the versions this repository is tested with, from npm's cache (filled by `npm ci` here),
 * without asking the registry anything.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

type LockPackages = Record<string, LockEntry>;

const repoLock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: LockPackages;
};
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as LockEntry & {
  name: string;
  bin?: Record<string, string>;
};

/** Where npm finds `name` for the package installed at `from` (nested first, then up the tree). */
function locate(packages: LockPackages, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** The lock entries of `names` and of everything they need, from this repository's lock. */
function closure(names: readonly string[]): LockPackages {
  const out: LockPackages = {};
  const visit = (from: string, name: string, optional: boolean) => {
    const key = locate(repoLock.packages, from, name);
    if (!key) {
      if (optional) return;
      throw new Error(`${name} (needed by ${from || 'the project'}) is not in package-lock.json`);
    }
    if (out[key]) return;
    const {
      dev: _dev,
      devOptional: _devOptional,
      peer: _peer,
      ...entry
    } = repoLock.packages[key] as LockEntry;
    out[key] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(key, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(key, dep, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {}))
      if (!entry.peerDependenciesMeta?.[dep]?.optional) visit(key, dep, false);
  };
  for (const name of names) visit('', name, false);
  return out;
}

/**
 * Writes package.json and package-lock.json into `dir` (which holds nothing else of npm's) and
 * installs: peerstate from `tarball` plus `peers`, which must be among the repository's dependencies
 * or devDependencies. Returns npm's output (stdout and stderr). Throws if npm fails.
 */
export function installConsumer(dir: string, tarball: string, peers: readonly string[] = []): string {
  const ranges: Record<string, string> = {
    ...(manifest.dependencies ?? {}),
    ...((manifest.devDependencies as Record<string, string>) ?? {}),
  };
  const file = `file:${basename(tarball)}`;
  const dependencies: Record<string, string> = { peerstate: file };
  for (const peer of peers) dependencies[peer] = ranges[peer] ?? '*';
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packed: LockEntry = {
    version: manifest.version,
    resolved: file,
    integrity,
    license: manifest.license,
    dependencies: manifest.dependencies,
    bin: manifest.bin,
    engines: manifest.engines,
    peerDependencies: manifest.peerDependencies,
    peerDependenciesMeta: manifest.peerDependenciesMeta,
  };
  const packages: LockPackages = {
    '': { name: 'consumer', version: '1.0.0', dependencies },
    'node_modules/peerstate': packed,
    ...closure([...Object.keys(manifest.dependencies ?? {}), ...peers]),
  };
  const pkg = { name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const lock = { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  return execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });
}
