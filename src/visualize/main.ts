/**
 * `tsx src/visualize/main.ts [--check] [--out DIR]`: writes visualizations/ from machines/, or with
 * `--check` writes nothing and exits 1 listing the files that are missing, changed or extra.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkVisualizations, generateVisualizations } from './generate.js';

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
