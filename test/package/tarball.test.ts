/**
 * The package as users get it: `npm pack`, then checks on the tarball (publint, attw's ESM-only
 * profile, what it ships and what its code imports), then two fresh projects that install it from
 * the tarball: one browser-only (peerstate alone), one for Node with the optional peers. In the
 * Node one, every TypeScript block of README.md is typechecked against every entry (strict,
 * NodeNext, no DOM lib) and run: scripts with node, vitest files with vitest. `npx peerstate demo`
 * runs there too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsumer, repoRoot } from './consumer-project.js';
import { readmeBlocks } from './readme-blocks.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);

/** Runs a command; resolves with its exit status and output (stdout then stderr). */
function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

let work: string;
let tarball: string;
let unpacked: string;
let browserProject: string;
let browserInstall: string;
let nodeProject: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'peerstate-package-'));
  // prepack builds dist/ first, as it does before a publish.
  const packed = execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  tarball = join(work, packed.trim().split('\n').at(-1) ?? '');
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);

  browserProject = join(work, 'browser-app');
  nodeProject = join(work, 'node-app');
  for (const dir of [browserProject, nodeProject]) {
    mkdirSync(dir);
    execFileSync('cp', [tarball, dir]);
  }
  browserInstall = installConsumer(browserProject, join(browserProject, basename(tarball)));
  installConsumer(nodeProject, join(nodeProject, basename(tarball)), [
    ...Object.keys(manifest.peerDependencies),
    '@types/node',
  ]);
  // vitest runs the README's test blocks; it is linked in, not installed, to keep the install small.
  symlinkSync(join(repoRoot, 'node_modules', 'vitest'), join(nodeProject, 'node_modules', 'vitest'), 'dir');
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the packed tarball', { timeout: 300_000 }, () => {
  it('passes publint, warnings included', () => {
    const result = run(bin('publint'), [unpacked, '--pack', 'false', '--strict'], repoRoot);
    expect(result.output).not.toMatch(/Errors:|Warnings:/);
    expect(result.status).toBe(0);
  });

  it("passes attw's ESM-only profile for every entry", () => {
    const result = spawnSync(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      analysis: { entrypoints: Record<string, unknown>; problems: { resolutionKind?: string }[] };
    };
    expect(Object.keys(report.analysis.entrypoints)).toEqual([
      '.',
      './machines',
      './server',
      './node',
      './testing',
    ]);
    // The ESM-only profile ignores CommonJS resolution (node10, node16 from CJS); nothing else may fail.
    const ignored = new Set(['node10', 'node16-cjs']);
    expect(report.analysis.problems.filter((p) => !ignored.has(p.resolutionKind ?? ''))).toEqual([]);
  });

  it('ships LICENSE, CHANGELOG, the bin, and every file README.md points at', () => {
    const files = new Set(listFiles(unpacked));
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'dist/src/cli/main.js'])
      expect(files).toContain(file);
    const readme = readFileSync(join(unpacked, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)]
      .map((m) => m[1] ?? '')
      .filter((t) => !/^[a-z]+:/.test(t));
    expect(targets).toContain('visualizations/peer.svg');
    for (const target of targets) expect(files).toContain(target);
  });

  it('holds no tests, benches or diagram generator, and its code imports only what it depends on', () => {
    const files = listFiles(unpacked);
    expect(
      files.filter((f) => /^(test|bench|scripts|\.ci)\//.test(f) || /visualize\/(svg|render)\./.test(f)),
    ).toEqual([]);
    const allowed = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies),
      ...builtinModules,
    ]);
    const imported = new Set<string>();
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(unpacked, file), 'utf8');
      for (const match of code.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)) {
        const specifier = match[1] ?? '';
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const parts = specifier.split('/');
        imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? ''));
      }
    }
    expect([...imported].filter((name) => !allowed.has(name))).toEqual([]);
    expect(imported).toContain('xstate');
  });
});

describe('a browser-only install (peerstate alone)', { timeout: 300_000 }, () => {
  it('installs no optional peer and prints no install-script warning', () => {
    const installed = readdirSync(join(browserProject, 'node_modules'));
    expect(installed).toContain('peerstate');
    for (const name of ['@roamhq', 'commander', 'cli-progress']) expect(installed).not.toContain(name);
    expect(browserInstall).not.toMatch(/install-scripts|allowScripts/);
  });

  it('imports every entry; createNodePeerSystem says which package is missing', () => {
    const script = `
      import { createPeerSystem } from 'peerstate';
      import { createNodePeerSystem } from 'peerstate/node';
      await import('peerstate/machines');
      await import('peerstate/server');
      await import('peerstate/testing');
      if (typeof createPeerSystem !== 'function') throw new Error('no createPeerSystem');
      try {
        createNodePeerSystem({ localId: 'a', url: 'ws://127.0.0.1:9' });
      } catch (error) {
        console.log(error.message);
      }`;
    writeFileSync(join(browserProject, 'entries.mjs'), script);
    const result = run(process.execPath, ['entries.mjs'], browserProject);
    expect(result.output).toMatch(/peerstate\/node needs @roamhq\/wrtc.*npm install @roamhq\/wrtc/);
    expect(result.status).toBe(0);
  });
});

describe('a Node project with the optional peers', { timeout: 300_000 }, () => {
  const blocks = readmeBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));

  it("typechecks README.md's TypeScript blocks and every entry, strict, without the DOM lib", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) writeFileSync(join(nodeProject, block.file), block.code);
    writeFileSync(
      join(nodeProject, 'entries.ts'),
      ['', '/machines', '/server', '/node', '/testing']
        .map((entry, i) => `export * as entry${i} from 'peerstate${entry}';`)
        .join('\n'),
    );
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022'],
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        outDir: 'out',
      },
      include: ['*.ts'],
    };
    writeFileSync(join(nodeProject, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const result = run(
      process.execPath,
      [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', '.'],
      nodeProject,
    );
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs each README script block to its end', () => {
    const scripts = blocks.filter((block) => !block.test);
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const block of scripts) {
      const compiled = join('out', block.file.replace(/\.ts$/, '.js'));
      expect(existsSync(join(nodeProject, compiled))).toBe(true);
      const result = run(process.execPath, [compiled], nodeProject);
      expect({ block: block.file, status: result.status, output: result.output }).toMatchObject({
        status: 0,
      });
    }
  });

  it('passes each README test block under vitest', () => {
    const tests = blocks.filter((block) => block.test);
    expect(tests.length).toBeGreaterThanOrEqual(1);
    const result = run(
      process.execPath,
      [
        join(repoRoot, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--root',
        nodeProject,
        ...tests.map((t) => t.file),
      ],
      nodeProject,
    );
    expect(result.output).toMatch(/Tests\s+\d+ passed/);
    expect(result.output).not.toMatch(/Tests\s+\d+ failed/);
    expect(result.status).toBe(0);
  });

  it('runs `npx peerstate demo` from the installed tarball', () => {
    const result = run(
      'npx',
      ['--offline', 'peerstate', 'demo', '--peers', '2', '--messages', '20'],
      nodeProject,
    );
    expect(result.output).toMatch(/^ok: 1\/1 links connected/m);
    expect(result.status).toBe(0);
  });
});
