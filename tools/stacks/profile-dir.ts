import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Launches a browser on a fresh profile directory (`<tmp>/<prefix>XXXXXX`) and returns it with a
 * `close` that closes the browser, then removes the directory (idempotent). The directory is removed
 * too if the launch fails.
 */
export async function withFreshProfile<T>(
  prefix: string,
  launch: (profile: string) => Promise<T>,
  closeBrowser: (browser: T) => Promise<void>,
): Promise<{ browser: T; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(profile, { recursive: true, force: true });
  let browser: T;
  try {
    browser = await launch(profile);
  } catch (error) {
    await remove();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    browser,
    close() {
      closed ??= closeBrowser(browser).finally(remove);
      return closed;
    },
  };
}
