/**
 * Bundle size of each package entry as a user's bundler would see it: esbuild bundles the entry
 * with everything it imports (xstate, rxjs, the validation library), minifies it, and the result is
 * gzipped. Browser entries are bundled for the browser; `peerstate/server` and `peerstate/node`
 * for Node, with @roamhq/wrtc left out (a native addon no bundler inlines).
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** One entry of package.json `exports` and the platform its users bundle it for. */
export interface BundleEntry {
  /** The export, as users import it (`peerstate`, `peerstate/server`, ...). */
  name: string;
  /** Source file of the entry, relative to the repository root. */
  source: string;
  platform: 'browser' | 'node';
}

/** The measured size of one entry, in bytes. */
export interface BundleSize extends BundleEntry {
  minifiedBytes: number;
  gzippedBytes: number;
}

/** Every entry of package.json `exports`. */
export const ENTRIES: readonly BundleEntry[] = [
  { name: 'peerstate', source: 'src/index.ts', platform: 'browser' },
  { name: 'peerstate/machines', source: 'machines/index.ts', platform: 'browser' },
  { name: 'peerstate/testing', source: 'src/testing/index.ts', platform: 'browser' },
  { name: 'peerstate/server', source: 'src/server/index.ts', platform: 'node' },
  { name: 'peerstate/node', source: 'src/node/index.ts', platform: 'node' },
];

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles, minifies and gzips one entry in memory. Rejects if esbuild cannot bundle it. */
export async function measureEntry(entry: BundleEntry): Promise<BundleSize> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry.source],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: entry.platform,
    target: 'es2022',
    external: ['@roamhq/wrtc'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { ...entry, minifiedBytes: code.byteLength, gzippedBytes: gzipSync(code, { level: 9 }).byteLength };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const entry of ENTRIES) {
    const size = await measureEntry(entry);
    console.log(
      `${size.name.padEnd(20)} ${size.platform.padEnd(8)} minified ${kib(size.minifiedBytes).padStart(10)}, gzipped ${kib(size.gzippedBytes).padStart(9)}`,
    );
  }
}
