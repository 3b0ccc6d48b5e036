/**
 * The root entry `peerstate` bundles for browsers (esbuild, platform browser) with no Node built-in
 * anywhere in what it pulls in and no shim; the browser end-to-end tests load this same bundle.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, NodeImportError, ROOT_ENTRY } from '../../tools/browser-bundle.js';

describe('browser build of the root entry', () => {
  it('bundles with no Node import and exports the public API', async () => {
    const bundle = await bundleForBrowser(ROOT_ENTRY);
    expect(bundle.bytes).toBe(Buffer.byteLength(bundle.code));
    expect(bundle.code).toMatch(/export\s*\{[^}]*\bcreatePeerSystem\b/);
    expect(bundle.code).not.toMatch(/\brequire\(/);
    const inputs = Object.keys(bundle.inputs);
    expect(inputs.some((file) => file.startsWith('node_modules/xstate/'))).toBe(true);
    expect(inputs.filter((file) => /node_modules\/(ws|@roamhq)\//.test(file))).toEqual([]);
  });

  it('fails on a Node import, naming it and its importer', async () => {
    const relay = fileURLToPath(new URL('../../src/node/udp-relay.ts', import.meta.url));
    const failure = await bundleForBrowser(relay).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NodeImportError);
    expect((failure as NodeImportError).imports).toEqual([
      expect.stringMatching(/^node:dgram \(from .*udp-relay\.ts\)$/),
    ]);
  });
});
