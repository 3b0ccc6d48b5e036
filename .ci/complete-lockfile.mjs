#!/usr/bin/env node
// Completes package-lock.json for `npm ci`. The registry this project's machines reach serves only
// the Linux (glibc) builds of platform-specific optional packages (e.g. @biomejs/cli-darwin-arm64
// answers 404), so `npm install` cannot record the others, and `npm ci` then refuses the lock
// ("Missing: … from lock file"). This adds an entry for each optional package npm ci names as
// missing: its version, `optional: true`, and the os/cpu/libc its name says, so npm ci skips it on
// platforms it does not fit. Run after `npm install` changes the lock: `node .ci/complete-lockfile.mjs`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = new URL('../package-lock.json', import.meta.url);
const OS = [
  'android',
  'darwin',
  'freebsd',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
  'win32',
  'linux',
  'openharmony',
];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'mips64el', 'wasm32'];

/** What `npm ci` names as missing, asked in a scratch copy (its lock check fails before any download). */
function missing() {
  const scratch = mkdtempSync(join(tmpdir(), 'lockcheck-'));
  copyFileSync(new URL('../package.json', import.meta.url), join(scratch, 'package.json'));
  copyFileSync(LOCK, join(scratch, 'package-lock.json'));
  try {
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return [];
  } catch (error) {
    const text = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    // npm cannot resolve these, so it names them without a version: take it from the parent's pin.
    return [...text.matchAll(/Missing: (@?[^@\s]+)@(\S*) from lock file/g)].map((m) => ({
      name: m[1],
      version: m[2] || pinnedVersion(m[1]),
    }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The version a package in the lock pins `name` to in its optionalDependencies (ranges lose ^ and ~). */
function pinnedVersion(name) {
  for (const entry of Object.values(lock.packages)) {
    const spec = entry.optionalDependencies?.[name];
    if (spec) return spec.replace(/^[\^~=]/, '');
  }
  throw new Error(`no package pins ${name}`);
}

function platformOf(name) {
  const parts = name.split('/').pop().split(/[-_.]/);
  const entry = {};
  const os = parts.find((p) => OS.includes(p) || p === 'win' || p === 'macos');
  if (os) entry.os = [os === 'win' ? 'win32' : os === 'macos' ? 'darwin' : os];
  const cpu = parts.find((p) => CPU.includes(p) || p === 'x86' || p === 'aarch64');
  if (cpu) entry.cpu = [cpu === 'x86' ? 'ia32' : cpu === 'aarch64' ? 'arm64' : cpu];
  if (parts.includes('musl')) entry.libc = ['musl'];
  else if (parts.includes('gnu') || parts.includes('glibc')) entry.libc = ['glibc'];
  return entry;
}

const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const added = [];
for (const { name, version } of missing()) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version, optional: true, ...platformOf(name) };
  added.push(`${name}@${version}`);
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  added.length
    ? `added ${added.length} lock entries:\n  ${added.join('\n  ')}`
    : 'package-lock.json is complete',
);
