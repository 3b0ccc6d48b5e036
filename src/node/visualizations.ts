/**
 * visualizations/ on disk: `tsx src/node/visualizations.ts [--check] [--out DIR]` writes the files
 * that src/visualize renders from machines/, or with `--check` writes nothing and exits 1 listing the
 * files that are missing, changed or extra. visualizations/ holds generated files only.
 */

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from '../visualize/render.js';

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** How a visualizations folder differs from what the charts generate now. */
export interface Staleness {
  /** Generated files that are not there. */
  missing: string[];
  /** Files whose content differs. */
  changed: string[];
  /** Files there that the generator does not produce. */
  extra: string[];
}

/** Compares `outDir` with {@link renderAll}; every list is empty when it is fresh. */
export async function checkVisualizations(outDir: string): Promise<Staleness> {
  const expected = await renderAll();
  const present = await listFiles(outDir);
  const result: Staleness = { missing: [], changed: [], extra: [] };
  for (const [file, content] of expected) {
    if (!present.includes(file)) result.missing.push(file);
    else if ((await readFile(path.join(outDir, file), 'utf8')) !== content) result.changed.push(file);
  }
  result.extra = present.filter((file) => !expected.has(file));
  return result;
}

/**
 * Writes every generated file into `outDir` (created if needed) and removes files there that the
 * generator no longer produces. Returns the paths written.
 */
export async function generateVisualizations(outDir: string): Promise<string[]> {
  const files = await renderAll();
  await mkdir(outDir, { recursive: true });
  for (const file of await listFiles(outDir)) {
    if (!files.has(file)) await rm(path.join(outDir, file));
  }
  const written: string[] = [];
  for (const [file, content] of files) {
    const target = path.join(outDir, file);
    await writeFile(target, content);
    written.push(target);
  }
  return written;
}

const DEFAULT_OUT = fileURLToPath(new URL('../../visualizations/', import.meta.url));

/** Runs the command with `args` (without node and script); resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const check = args.includes('--check');
  const outAt = args.indexOf('--out');
  const outDir = path.resolve(outAt >= 0 ? (args[outAt + 1] ?? '') : DEFAULT_OUT);
  const relative = (file: string) => path.relative(process.cwd(), path.join(outDir, file)) || file;
  if (!check) {
    const written = await generateVisualizations(outDir);
    for (const file of written) console.log(`wrote ${path.relative(process.cwd(), file)}`);
    return 0;
  }
  const { missing, changed, extra } = await checkVisualizations(outDir);
  for (const file of missing) console.error(`missing: ${relative(file)}`);
  for (const file of changed) console.error(`changed: ${relative(file)}`);
  for (const file of extra) console.error(`extra: ${relative(file)}`);
  const stale = missing.length + changed.length + extra.length;
  if (stale > 0) {
    console.error(
      `${stale} file(s) in ${relative('.')} are not what the charts generate: run npm run visualize`,
    );
    return 1;
  }
  console.log(`${relative('.')} is fresh`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 2;
    },
  );
}
