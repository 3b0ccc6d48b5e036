/**
 * `npm run screenshot`: regenerates docs/inspector.png, the inspector page as README shows it. It
 * runs the 3-peer demo with the inspector, waits until every link is connected, cuts the link
 * peer-1 ↔ peer-2 at its UDP relay and forces an ICE restart on it, selects peer-1 → peer-2 (so the
 * page shows why it is not connected), and photographs the page in Chromium (tools/stacks/chromium.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInspectedDemo } from '../test/support/inspected-demo.js';
import { launchChromium } from '../tools/stacks/chromium.js';

const OUT = fileURLToPath(new URL('../docs/inspector.png', import.meta.url));
/** Bound of every wait on the page, in ms. */
const WAIT_MS = 30_000;

async function main(): Promise<void> {
  const { demo: started, finished } = startInspectedDemo();
  const demo = await started;
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
