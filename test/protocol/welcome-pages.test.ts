import { expect, it } from 'vitest';
import { parseServerFrame } from '../../src/protocol/signals.js';
import { welcomePages } from '../../src/protocol/welcome-pages.js';

it('one page without `more` when the room fits, also when it is empty', () => {
  expect(welcomePages('r', 'alice', [])).toEqual([
    { v: 1, type: 'welcome', room: 'r', peerId: 'alice', peers: [] },
  ]);
  expect(welcomePages('r', 'alice', ['bob', 'carol'])).toEqual([
    { v: 1, type: 'welcome', room: 'r', peerId: 'alice', peers: ['bob', 'carol'] },
  ]);
});

it('pages within the byte limit, valid frames, every id once in order, `more` on all but the last', () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => `${'\\\\"'.repeat(41)}${i}`.slice(0, 128));
  for (const limit of [1_000, 4_096, 64 * 1024]) {
    const pages = welcomePages('room', 'me', ids, limit);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      const text = JSON.stringify(page);
      expect(text.length).toBeLessThanOrEqual(limit);
      expect(parseServerFrame(text)).toEqual({ ok: true, frame: page });
    }
    expect(pages.flatMap((page) => page.peers)).toEqual(ids);
    expect(pages.map((page) => page.more ?? false)).toEqual(pages.map((_, i) => i < pages.length - 1));
  }
});
