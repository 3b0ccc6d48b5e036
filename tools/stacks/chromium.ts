/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser of its own), and the page
 * that hosts browser endpoints: served from 127.0.0.1 with the library loaded from the browser build
 * of the root entry (tools/browser-bundle.ts).
 */
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { bundleForBrowser, ROOT_ENTRY } from '../browser-bundle.js';
import { type PageServer, servePages } from '../page-server.js';
import { type Endpoint, type EndpointOptions, type HarnessCall, pageEndpoint } from './endpoint.js';
import type { PageHarness } from './page-entry.js';
import { withFreshProfile } from './profile-dir.js';

/** The Chromium binary: `PEERSTATE_CHROMIUM`, else Debian's /usr/bin/chromium. */
export function chromiumExecutable(): string {
  return process.env.PEERSTATE_CHROMIUM ?? '/usr/bin/chromium';
}

/** Flags for a quiet, headless, offline Chromium (a fresh profile directory is added per launch). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-crash-reporter',
  '--disable-breakpad',
];

/**
 * Flags that make Chromium's host candidates carry their real address instead of an mDNS name, so
 * that the UDP relay (src/node/udp-relay.ts) can carry its traffic. Chromium gathers no loopback
 * candidates (not even with --allow-loopback-in-peer-connection here): relay its interface address.
 */
export const PLAIN_HOST_CANDIDATE_FLAGS: readonly string[] = [
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** A running Chromium with its own profile directory. */
export interface ChromiumSession {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile directory; idempotent. */
  close(): Promise<void>;
}

/** Launches Chromium headless with {@link CHROMIUM_FLAGS}, `extraFlags` and a fresh `--user-data-dir`. */
export async function launchChromium(extraFlags: readonly string[] = []): Promise<ChromiumSession> {
  const { browser, close } = await withFreshProfile(
    'peerstate-chromium-',
    // playwright passes the profile directory as --user-data-dir itself.
    (profile) =>
      chromium.launchPersistentContext(profile, {
        executablePath: chromiumExecutable(),
        headless: true,
        args: [...CHROMIUM_FLAGS, ...extraFlags],
      }),
    (context) => context.close(),
  );
  return { context: browser, close };
}

const PAGE_ENTRY = fileURLToPath(new URL('./page-entry.ts', import.meta.url));

/**
 * Serves the harness page on 127.0.0.1: `/` loads `/harness.js` (tools/stacks/page-entry.ts), which
 * imports the library from `/peerstate.js`, the browser build of the root entry.
 */
export async function serveHarnessPage(): Promise<PageServer> {
  const [library, harness] = await Promise.all([
    bundleForBrowser(ROOT_ENTRY),
    bundleForBrowser(PAGE_ENTRY, { externals: { [ROOT_ENTRY]: '/peerstate.js' } }),
  ]);
  const script = 'text/javascript; charset=utf-8';
  return servePages({
    '/': {
      type: 'text/html; charset=utf-8',
      body: '<!doctype html><meta charset="utf-8"><title>peerstate harness</title><script type="module" src="/harness.js"></script>',
    },
    '/peerstate.js': { type: script, body: library.code },
    '/harness.js': { type: script, body: harness.code },
  });
}

const CAPABILITIES_ENTRY = fileURLToPath(new URL('./capabilities-page.ts', import.meta.url));

/**
 * Serves a page on 127.0.0.1 whose script (tools/stacks/capabilities-page.ts) measures the browser's
 * own RTCPeerConnection: `measureBrowserCapabilities()` on the page's `globalThis`.
 */
export async function serveCapabilitiesPage(): Promise<PageServer> {
  const script = await bundleForBrowser(CAPABILITIES_ENTRY);
  return servePages({
    '/': {
      type: 'text/html; charset=utf-8',
      body: '<!doctype html><meta charset="utf-8"><title>peerstate capabilities</title><script type="module" src="/capabilities.js"></script>',
    },
    '/capabilities.js': { type: 'text/javascript; charset=utf-8', body: script.code },
  });
}

/** A browser endpoint and its page. */
export interface PageEndpoint extends Endpoint {
  readonly page: Page;
  /** Crashes the page's renderer: its peer connections and socket die without a goodbye. */
  crash(): Promise<void>;
}

/** Opens the harness page of `harnessUrl` in a new tab and starts an endpoint there. */
export async function openPageEndpoint(
  context: BrowserContext,
  harnessUrl: string,
  options: EndpointOptions,
  stack = 'chromium',
): Promise<PageEndpoint> {
  const page = await context.newPage();
  await page.goto(`${harnessUrl}/`);
  await page.waitForFunction(() => 'peerstateHarness' in globalThis);
  const call: HarnessCall = (method, args) =>
    page.evaluate(
      ([name, list]) => {
        const harness = (globalThis as unknown as { peerstateHarness: PageHarness }).peerstateHarness;
        return (harness[name] as (...a: unknown[]) => unknown)(...list);
      },
      [method, args] as const,
    ) as never;
  const endpoint = await pageEndpoint(stack, options, call);
  return {
    ...endpoint,
    page,
    async crash() {
      const crashed = new Promise<void>((resolve) => page.once('crash', () => resolve()));
      const cdp = await context.newCDPSession(page);
      // Page.crash never answers: the renderer dies first.
      void cdp.send('Page.crash').catch(() => {});
      await crashed;
      await page.close();
    },
  };
}
