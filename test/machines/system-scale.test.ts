/** The system chart at scale: counts, not seconds (speed belongs in bench/). Its own file, so no other test shares its worker. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { SIGNALING_CHILD_ID } from '../../machines/system.js';
import { startSystemHarness } from './system-harness.js';

beforeEach(() => {
  vi.useFakeTimers();
  // Events sent to stopped actors make XState's development build warn.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// No timing assertion (speed belongs in bench/). The signaling child's id is integer-like so that
// XState's per-spawn/per-stop copy of the children object stays on V8's fast path.
it('spawning 10,000 peers completes; all are registered; closing them all leaves no peer child', {
  timeout: 180_000,
}, () => {
  const h = startSystemHarness();
  const ids = Array.from({ length: 10_000 }, (_, i) => `peer-${i}`);
  for (const id of ids) h.send({ type: 'CONNECT', peerId: id });
  expect(h.peerChildren()).toHaveLength(10_000);
  expect(h.rec.resourceStarts).toHaveLength(10_000);
  expect(ids.every((id) => h.peer(id) !== undefined)).toBe(true);
  expect(h.peer('peer-9999')?.getSnapshot().context.key).toBe(10_000);
  for (const id of ids) h.send({ type: 'CLOSE_PEER', peerId: id });
  expect(h.peerChildren()).toEqual([]);
  expect(Object.keys(h.actor.getSnapshot().children)).toEqual([SIGNALING_CHILD_ID]);
  expect(ids.some((id) => h.peer(id) !== undefined)).toBe(false);
  expect(h.rec.resourceCleanups).toHaveLength(10_000);
  expect(h.rec.counts.releaseOutbox).toBe(10_000);
  expect(h.errors).toEqual([]);
  h.actor.stop();
});
