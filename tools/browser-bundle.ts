/**
 * Bundles an entry of this package for browsers with esbuild: platform `browser`, ES module, every
 * dependency inlined, no shims. Any import of a Node built-in (`fs`, `node:dgram`, ...) fails the
 * build with {@link NodeImportError}, whoever imports it, so a browser build proves the entry and
 * everything it pulls in run without Node.
 */
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** The source of the package's root entry `peerstate` (package.json `exports["."]` is its build). */
export const ROOT_ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** Options of {@link bundleForBrowser}. */
export interface BrowserBundleOptions {
  /** Minify the output (default false). */
  minify?: boolean;
  /**
   * Module specifiers left as imports of a URL: the key is the absolute path of a source file
   * (as imported, resolved), the value the URL the bundle imports instead, e.g. `ROOT_ENTRY` →
   * `/peerstate.js` so that a page script loads the library from its own bundle.
   */
  externals?: Readonly<Record<string, string>>;
}

/** A browser bundle. */
export interface BrowserBundle {
  /** The bundle's code (one ES module). */
  code: string;
  /** Its size in bytes (UTF-8). */
  bytes: number;
  /** Every input file, relative to the working directory, with the bytes it contributes to the output. */
  inputs: Record<string, number>;
}

/** The build imported Node built-ins; `imports` lists `specifier (from importer)` per import. */
export class NodeImportError extends Error {
  override readonly name = 'NodeImportError';
  constructor(readonly imports: readonly string[]) {
    super(`the browser bundle imports Node built-ins: ${imports.join(', ')}`);
  }
}

/**
 * Bundles `entry` (a file path) for browsers.
 * @throws NodeImportError if anything it pulls in imports a Node built-in; esbuild's own error for
 * anything else that does not resolve or compile.
 */
export async function bundleForBrowser(
  entry: string,
  options: BrowserBundleOptions = {},
): Promise<BrowserBundle> {
  const nodeImports: string[] = [];
  const externals = new Map(Object.entries(options.externals ?? {}));
  const guard: Plugin = {
    name: 'browser-guard',
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'guarded') return undefined;
        if (isBuiltin(args.path)) {
          nodeImports.push(`${args.path} (from ${args.importer})`);
          return { path: args.path, external: true };
        }
        if (externals.size === 0) return undefined;
        const resolved = await builder.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'guarded',
        });
        const url = externals.get(resolved.path);
        return url === undefined ? resolved : { path: url, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: options.minify ?? false,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [guard],
  });
  if (nodeImports.length > 0) throw new NodeImportError(nodeImports);
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild wrote no output for ${entry}`);
  const inputs: Record<string, number> = {};
  for (const meta of Object.values(result.metafile.outputs))
    for (const [file, { bytesInOutput }] of Object.entries(meta.inputs)) inputs[file] = bytesInOutput;
  return { code: output.text, bytes: output.contents.byteLength, inputs };
}
