/**
 * The inspector page in a real browser (Debian's Chromium through playwright-core) while the real
 * 3-peer demo runs on @roamhq/wrtc, every link through its own UDP relay on 127.0.0.1.
 */
import type { Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';
import type { DemoSummary, RunningDemo } from '../../src/cli/demo.js';
import { demoSucceeded, runDemo } from '../../src/cli/demo.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';

let chromium: LaunchedChromium | undefined;
let demo: RunningDemo | undefined;
let finished: Promise<DemoSummary> | undefined;

afterEach(async () => {
  demo?.stop();
  await finished;
  await chromium?.close();
  chromium = undefined;
  demo = undefined;
  finished = undefined;
});

/** Starts the demo with the inspector, running until stopped; resolves once it runs. */
function startDemo(): Promise<RunningDemo> {
  return new Promise((resolve) => {
    finished = runDemo(
      {
        peers: 3,
        messages: 20,
        timeoutMs: 30_000,
        progress: false,
        inspect: true,
        relay: true,
        durationMs: Number.POSITIVE_INFINITY,
        onStart: resolve,
      },
      () => {},
    );
  });
}

/** The `data-state` of the link between two systems in the mesh, or null without one. */
function linkState(page: Page, link: string): Promise<string | null> {
  return page.locator(`[data-link="${link}"]`).getAttribute('data-state');
}

it('shows the 3-peer mesh connected, a forced ICE restart leave and return, and why a peer waits', async () => {
  demo = await startDemo();
  expect(demo.inspectorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  chromium = await launchChromium();
  const page = await chromium.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(demo.inspectorUrl as string);

  await page.waitForFunction(
    () =>
      document.querySelectorAll('[data-system][data-signaling="open"]').length === 3 &&
      document.querySelectorAll('[data-link][data-state="connected"]').length === 3,
    null,
    { timeout: 30_000 },
  );
  expect(await page.locator('[data-system]').count()).toBe(3);
  expect(await page.locator('[data-link]').count()).toBe(3);

  // The selected peer's chart highlights its active leaf state.
  await page.locator('tr[data-peer-key="peer-1>peer-2"]').click();
  await page.waitForSelector('#chart [id="state:peer.live.connected.stable"].active', { timeout: 10_000 });

  // Forced ICE restart on peer-1 ↔ peer-2 while their relay drops everything: the link cannot come back until healed.
  demo.cut('peer-1', 'peer-2');
  demo.systems[0]?.peer('peer-2')?.restartIce();
  await page.waitForFunction(
    () => document.querySelector('[data-link="peer-1|peer-2"]')?.getAttribute('data-state') !== 'connected',
    null,
    { timeout: 15_000 },
  );
  expect(await linkState(page, 'peer-1|peer-3')).toBe('connected');
  expect(await linkState(page, 'peer-2|peer-3')).toBe('connected');
  // Why it is not connected: the leaf states it waits in, from the chart.
  await page.waitForSelector('#why [data-waiting^="live.connecting"], #why [data-waiting^="idle"]', {
    timeout: 10_000,
  });
  expect(await page.locator('#chart g.node.active').count()).toBeGreaterThan(0);
  expect(await page.locator('#chart [id="state:peer.live.connected.stable"].active').count()).toBe(0);

  demo.heal('peer-1', 'peer-2');
  await page.waitForFunction(
    () => document.querySelector('[data-link="peer-1|peer-2"]')?.getAttribute('data-state') === 'connected',
    null,
    { timeout: 30_000 },
  );
  // The timeline has the link leaving connected and coming back, newest first.
  const changes = await page
    .locator('#timeline li[data-key="peer-1>peer-2"][data-kind="transition"] .public')
    .allTextContents();
  expect(changes[0]).toMatch(/→ connected$/);
  expect(changes.some((text) => text.startsWith('connected →'))).toBe(true);
  expect(pageErrors).toEqual([]);

  demo.stop();
  const summary = await finished;
  expect(summary && demoSucceeded(summary)).toBe(true);
}, 120_000);
