/** One Chromium and one harness page server per test file, for the browser end-to-end tests. */
import { afterAll, beforeAll } from 'vitest';
import type { PageServer } from '../../tools/page-server.js';
import {
  type ChromiumSession,
  launchChromium,
  openPageEndpoint,
  type PageEndpoint,
  serveHarnessPage,
} from '../../tools/stacks/chromium.js';
import type { EndpointOptions } from '../../tools/stacks/endpoint.js';

/**
 * Launches Chromium (with `flags` added) and serves the harness page before the file's tests, closes
 * both after them. `open` starts an endpoint in a new tab.
 */
export function chromiumPerFile(flags: readonly string[] = []): {
  open(options: EndpointOptions): Promise<PageEndpoint>;
} {
  let chromium: ChromiumSession | undefined;
  let harness: PageServer | undefined;
  beforeAll(async () => {
    [chromium, harness] = await Promise.all([launchChromium(flags), serveHarnessPage()]);
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await harness?.close();
  });
  return {
    open(options) {
      if (!chromium || !harness) throw new Error('Chromium is not running (open() outside a test?)');
      return openPageEndpoint(chromium.context, harness.url, options);
    },
  };
}
