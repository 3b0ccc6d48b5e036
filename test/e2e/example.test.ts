/**
 * The browser example (`npm run example`): two Chromium tabs open the chat page, one calls the other
 * by id, each sees the other `connected` and both messages arrive, shown as text.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatExample, startChatExample } from '../../examples/chat/serve.js';
import { type ChromiumSession, launchChromium } from '../../tools/stacks/chromium.js';

let chromium: ChromiumSession;
let example: ChatExample;

beforeAll(async () => {
  [chromium, example] = await Promise.all([launchChromium(), startChatExample()]);
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await example?.close();
});

async function tab(query: string): Promise<Page> {
  const page = await chromium.context.newPage();
  await page.goto(`${example.url}/?${query}`);
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#say button');
}

describe('the chat example in Chromium (real stack)', () => {
  it('two tabs chat: each shows the other connected, messages arrive both ways as text', async () => {
    const alice = await tab('id=alice');
    const bob = await tab('id=bob&to=alice');
    await bob
      .locator('[data-peer="alice"] .state')
      .filter({ hasText: 'connected' })
      .waitFor({ timeout: 20_000 });
    await alice
      .locator('[data-peer="bob"] .state')
      .filter({ hasText: 'connected' })
      .waitFor({ timeout: 20_000 });
    await say(bob, 'hello <b>alice</b>');
    await say(alice, 'hi bob');
    await alice.locator('#log li', { hasText: 'bob: hello <b>alice</b>' }).waitFor({ timeout: 10_000 });
    await bob.locator('#log li', { hasText: 'alice: hi bob' }).waitFor({ timeout: 10_000 });
    // Markup from a peer is shown as text, never parsed.
    expect(await alice.locator('#log li', { hasText: 'bob:' }).locator('b').allTextContents()).toEqual([
      'bob: ',
    ]);
    expect(await alice.locator('#peers li').count()).toBe(1);
  }, 60_000);
});
