/**
 * Debian's Firefox ESR, driven headless by puppeteer-core over WebDriver BiDi (puppeteer-core
 * downloads no browser of its own), hosting the same harness page as Chromium
 * (tools/stacks/chromium.ts).
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { type Endpoint, type EndpointOptions, type HarnessCall, pageEndpoint } from './endpoint.js';
import type { PageHarness } from './page-entry.js';
import { withFreshProfile } from './profile-dir.js';

/** The Firefox binary: `PEERSTATE_FIREFOX`, else Debian's /usr/bin/firefox-esr. */
export function firefoxExecutable(): string {
  return process.env.PEERSTATE_FIREFOX ?? '/usr/bin/firefox-esr';
}

/**
 * Prefs for loopback tests: gather host candidates on 127.0.0.1 and show real addresses rather than
 * mDNS names.
 */
const PREFS = {
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
};

/** A running Firefox with its own profile directory. */
export interface FirefoxSession {
  readonly browser: Browser;
  /** Closes the browser and removes its profile directory; idempotent. */
  close(): Promise<void>;
}

/** Launches Firefox headless with a fresh profile. */
export async function launchFirefox(): Promise<FirefoxSession> {
  return withFreshProfile(
    'peerstate-firefox-',
    (profile) =>
      puppeteer.launch({
        browser: 'firefox',
        executablePath: firefoxExecutable(),
        headless: true,
        userDataDir: profile,
        extraPrefsFirefox: PREFS,
      }),
    (browser) => browser.close(),
  );
}

/**
 * Opens the harness page of `harnessUrl` in a new Firefox tab and starts an endpoint there. `kill`
 * closes the tab without a goodbye from peerstate (WebDriver BiDi cannot crash a content process).
 */
export async function openFirefoxEndpoint(
  browser: Browser,
  harnessUrl: string,
  options: EndpointOptions,
): Promise<Endpoint & { kill(): Promise<void> }> {
  const page = await browser.newPage();
  await page.goto(`${harnessUrl}/`);
  await page.waitForFunction(() => 'peerstateHarness' in globalThis);
  const call: HarnessCall = (method, args) =>
    page.evaluate(
      (name, list) => {
        const harness = (globalThis as unknown as { peerstateHarness: PageHarness }).peerstateHarness;
        return (harness[name as keyof PageHarness] as (...a: unknown[]) => unknown)(...(list as unknown[]));
      },
      method,
      args,
    ) as never;
  const endpoint = await pageEndpoint('firefox', options, call);
  return { ...endpoint, kill: () => page.close() };
}
