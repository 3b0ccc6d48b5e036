/**
 * Conformance of the browser profile (`BROWSER_PROFILE`, what an `rtc` that declares nothing is
 * taken for) with Debian's Chromium: each capability is measured in a page on the browser's own
 * RTCPeerConnection (tools/stacks/capabilities.ts), two pcs in that page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_PROFILE } from '../../src/index.js';
import type { PageServer } from '../../tools/page-server.js';
import type { MeasuredCapabilities } from '../../tools/stacks/capabilities.js';
import type { CapabilitiesPage } from '../../tools/stacks/capabilities-page.js';
import { type ChromiumSession, launchChromium, serveCapabilitiesPage } from '../../tools/stacks/chromium.js';

let chromium: ChromiumSession | undefined;
let server: PageServer | undefined;

beforeAll(async () => {
  [chromium, server] = await Promise.all([launchChromium(), serveCapabilitiesPage()]);
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe('Chromium does what the browser profile declares (measured in a page)', () => {
  it('every capability; maxMessageSize at least the declared stand-in', { timeout: 120_000 }, async () => {
    if (!chromium || !server) throw new Error('Chromium is not running');
    const page = await chromium.context.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => 'measureBrowserCapabilities' in globalThis);
    const measured: MeasuredCapabilities = await page.evaluate(() =>
      (globalThis as unknown as CapabilitiesPage).measureBrowserCapabilities(),
    );
    const { maxMessageSize, ...capabilities } = measured;
    expect(capabilities).toEqual({
      implicitRollback: BROWSER_PROFILE.implicitRollback,
      parameterlessSetLocalDescription: BROWSER_PROFILE.parameterlessSetLocalDescription,
      iceRestartRestoresDataFlow: BROWSER_PROFILE.iceRestartRestoresDataFlow,
      hasBufferedAmountLow: BROWSER_PROFILE.hasBufferedAmountLow,
    });
    // The profile's value only stands in for a pc that reports none (RFC 8841's 64 KiB); Chromium
    // reports its own.
    expect(maxMessageSize).not.toBeNull();
    expect(maxMessageSize).toBeGreaterThanOrEqual(BROWSER_PROFILE.maxMessageSize);
    console.log(`Chromium measured: ${JSON.stringify(measured)}`);
  });
});
