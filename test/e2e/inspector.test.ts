/**
 * The inspector page in a real browser (Debian's Chromium through playwright-core) while the real
 * 3-peer demo runs on @roamhq/wrtc, every link through its own UDP relay on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';
import type { DemoSummary, RunningDemo } from '../../src/cli/demo.js';
import { demoSucceeded, runDemo } from '../../src/cli/demo.js';
import { type Replay, startReplay } from '../../src/node/index.js';
import { type ChromiumSession, launchChromium } from '../../tools/stacks/chromium.js';
import { startInspectedDemo } from '../support/inspected-demo.js';

let chromium: ChromiumSession | undefined;
let demo: RunningDemo | undefined;
let finished: Promise<DemoSummary> | undefined;
let replay: Replay | undefined;
let folder: string | undefined;

afterEach(async () => {
  demo?.stop();
  await finished;
  await replay?.close();
  await chromium?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
  replay = undefined;
  folder = undefined;
  chromium = undefined;
  demo = undefined;
  finished = undefined;
});

/** The `data-state` of the link between two systems in the mesh, or null without one. */
function linkState(page: Page, link: string): Promise<string | null> {
  return page.locator(`[data-link="${link}"]`).getAttribute('data-state');
}

it('shows the 3-peer mesh connected, a forced ICE restart leave and return, and why a peer waits', async () => {
  const started = startInspectedDemo();
  finished = started.finished;
  demo = await started.demo;
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
  // The heartbeat's last round trip: a number of ms once a pong came back (every 500 ms).
  await page.waitForFunction(
    () =>
      /^\d+(\.\d)?$/.test(document.querySelector('#figures [data-figure="roundTripMs"]')?.textContent ?? ''),
    null,
    { timeout: 10_000 },
  );

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

/** The last public state of each direction (`from>to`) in the demo's log lines (`a → b: s1 12 → s2 40 ms; ...`). */
function finalStates(lines: readonly string[]): Record<string, string> {
  const finals: Record<string, string> = {};
  for (const line of lines) {
    const match = /^(\S+) → (\S+): (.*) ms; received/.exec(line);
    if (!match) continue;
    const [, from, to, states = ''] = match;
    finals[`${from}>${to}`] = states.split(' → ').at(-1)?.split(' ')[0] ?? '';
  }
  return finals;
}

it('replays a recording of the demo: its final states, and all 3 links connected when scrubbed back', async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'peerstate-replay-'));
  const file = path.join(folder, 'run.jsonl');
  const lines: string[] = [];
  const summary = await runDemo(
    { peers: 3, messages: 20, timeoutMs: 30_000, progress: false, record: file },
    (line) => lines.push(line),
  );
  expect(demoSucceeded(summary)).toBe(true);
  const finals = finalStates(lines);
  expect(Object.keys(finals)).toHaveLength(6);

  replay = await startReplay(file);
  expect(replay.recording.invalidLines).toBe(0);
  chromium = await launchChromium();
  const page = await chromium.context.newPage();
  await page.goto(replay.url);
  await page.waitForFunction(() => document.querySelectorAll('#peers tr[data-peer-key]').length === 6, null, {
    timeout: 10_000,
  });
  const shown = await page
    .locator('#peers tr[data-peer-key]')
    .evaluateAll((rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-peer-key'), r.getAttribute('data-state')])),
    );
  expect(shown).toEqual(finals);

  // Scrub back to when the last direction first reached connected: the mesh shows every link connected.
  const firstConnected = await page.locator('#timeline li[data-to="connected"]').evaluateAll((items) => {
    const first: Record<string, number> = {};
    for (const li of items) first[li.getAttribute('data-key') ?? ''] = Number(li.getAttribute('data-t'));
    return first;
  });
  expect(Object.keys(firstConnected)).toHaveLength(6);
  await page.locator('#scrubber').fill(String(Math.ceil(Math.max(...Object.values(firstConnected)))));
  await page.waitForFunction(
    () => document.querySelectorAll('[data-link][data-state="connected"]').length === 3,
    null,
    { timeout: 10_000 },
  );
  expect(await page.locator('[data-system]').count()).toBe(3);
}, 120_000);
