/**
 * Leak check on the real stack: after stop, no live actors, timers or sockets beyond the baseline.
 * Its own file, so no other test's teardown overlaps the baseline.
 */
import { expect, it } from 'vitest';
import { createNodePeerSystem } from '../../src/node/index.js';
import { startSignalingServer } from '../../src/server/index.js';
import { until } from '../support/time.js';
import { activeResources } from './helpers.js';

it('after stop: no live actors, no timers, no sockets (real stack)', async () => {
  const baseline = activeResources();
  const server = await startSignalingServer();
  const alice = createNodePeerSystem({ localId: 'alice', url: server.url });
  const bob = createNodePeerSystem({ localId: 'bob', url: server.url });
  bob.incoming$.subscribe((h) => h.messages$.subscribe((m) => h.send(m)));
  const toBob = alice.connect('bob');
  toBob.send('ping');
  await new Promise<void>((resolve) => toBob.messages$.subscribe(() => resolve()));
  expect(activeResources()).not.toEqual(baseline);

  await Promise.all([alice.stop(), bob.stop()]);
  for (const system of [alice, bob]) {
    expect(system.actor.getSnapshot().status).not.toBe('active');
    const children = Object.values(system.actor.getSnapshot().children);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) expect(child?.getSnapshot().status).not.toBe('active');
  }
  expect(await until(() => server.stats().connections === 0, 2_000)).toBe(true);
  await server.close();
  // Nothing beyond the baseline: every kind of resource (timers, sockets, servers) at most as many as before.
  const beyond = () =>
    Object.entries(activeResources()).filter(([kind, count]) => count > (baseline[kind] ?? 0));
  await until(() => beyond().length === 0, 2_000);
  expect(beyond()).toEqual([]);
});
