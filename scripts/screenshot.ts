/**
 * `npm run screenshot`: regenerates docs/inspector.png, the inspector page as README shows it. It
 * runs the 3-peer demo with the inspector, waits until every link is connected, cuts the link
 * peer-1 ↔ peer-2 at its UDP relay and forces an ICE restart on it, selects peer-1 → peer-2 (so the
 * page shows why it is not connected), and photographs the page in Chromium (test/support/chromium.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningDemo } from '../src/cli/demo.js';
import { runDemo } from '../src/cli/demo.js';
import { launchChromium } from '../test/support/chromium.js';

const OUT = fileURLToPath(new URL('../docs/inspector.png', import.meta.url));
/** Bound of every wait on the page, in ms. */
const WAIT_MS = 30_000;

async function main(): Promise<void> {
  let finished: Promise<unknown> = Promise.resolve();
  const running = new Promise<RunningDemo>((resolve) => {
    finished = runDemo(
      {
        peers: 3,
        messages: 20,
        timeoutMs: WAIT_MS,
        progress: false,
        inspect: true,
        relay: true,
        durationMs: Number.POSITIVE_INFINITY,
        onStart: resolve,
      },
      () => {},
    );
  });
  const demo = await running;
  const chromium = await launchChromium();
  try {
    const page = await chromium.context.newPage();
    await page.setViewportSize({ width: 1400, height: 860 });
    await page.goto(demo.inspectorUrl as string);
    await page.waitForFunction(
      () => document.querySelectorAll('[data-link][data-state="connected"]').length === 3,
      null,
      { timeout: WAIT_MS },
    );
    demo.cut('peer-1', 'peer-2');
    demo.systems[0]?.peer('peer-2')?.restartIce();
    await page.locator('tr[data-peer-key="peer-1>peer-2"]').click();
    await page.waitForSelector('#why [data-waiting]', { timeout: WAIT_MS });
    await page.screenshot({ path: OUT });
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await chromium.close();
    demo.heal('peer-1', 'peer-2');
    demo.stop();
    await finished;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
