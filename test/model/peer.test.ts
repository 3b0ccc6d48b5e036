/**
 * Model-based tests of the peer chart: paths generated from machines/peer.ts (`peerPaths()`) drive a
 * real peer system (src/system.ts, src/peer/actors.ts, src/rtc/binding.ts) on the scripted fakes, the
 * test playing the signaling server and the remote peer; after every step the peer's actor must be in
 * the chart's state, with the chart's context. Random walks of feasible events check the same on
 * longer interleavings; random walks of the pure chart reach what no real-world event can.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { PeerInput } from '../../machines/peer.js';
import { peerMachine } from '../../machines/peer.js';
import type { ModelPath } from '../../src/testing/index.js';
import {
  ChartExplorer,
  coveringPaths,
  createPeerDriver,
  PEER_CONFIGURATIONS,
  peerModel,
} from '../../src/testing/index.js';
import { CoverageReport, useFakeTime } from './helpers.js';

const report = new CoverageReport('peer', peerMachine);
const explorers = PEER_CONFIGURATIONS.map((options) => new ChartExplorer(peerModel(options)));
// The same paths as `peerPaths()`, with the explorers kept for the walks.
const paths = coveringPaths(explorers, 'runtime');

async function play(path: ModelPath): Promise<void> {
  const clock = useFakeTime();
  const driver = createPeerDriver({
    clock,
    input: path.input as PeerInput,
    inspect: [report.runtime.inspect],
  });
  try {
    await driver.play(path);
  } finally {
    await driver.stop();
    vi.useRealTimers();
  }
}

describe('peer chart: generated paths on the runtime', () => {
  it('the traversal found paths', () => {
    expect(paths.length).toBeGreaterThan(0);
  });

  for (const path of paths) {
    it(path.description, async () => {
      report.counts.paths++;
      await play(path);
    });
  }

  it('random walks of feasible events: the runtime agrees with the chart at every step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: explorers.length - 1 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 16 }),
        async (which, choices) => {
          report.counts.runtimeWalks++;
          await play((explorers[which] as ChartExplorer).walk(choices, 'runtime'));
        },
      ),
      { numRuns: 40, seed: 11 },
    );
  });

  it('random walks of the pure chart (every event, also those the runtime cannot produce)', () => {
    // On from a point of a generated path, so that walks start deep in the chart.
    fc.assert(
      fc.property(
        fc.nat({ max: paths.length - 1 }),
        fc.nat(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        (which, cut, choices) => {
          report.counts.pureWalks++;
          const path = paths[which] as ModelPath;
          const explorer = explorers.find((e) => e.model.input === path.input) as ChartExplorer;
          const walk = explorer.walk(choices, 'pure', path.steps.slice(0, 1 + (cut % path.steps.length)));
          report.pure.addPath(walk);
          for (const step of walk.steps) expect(step.snapshot.status).not.toBe('error');
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });

  it('every event the runtime cannot produce, at every step of every generated path, in the pure chart', () => {
    for (const path of paths) {
      const explorer = explorers.find((e) => e.model.input === path.input) as ChartExplorer;
      for (const step of path.steps) {
        const runtime = new Set(explorer.stepsFrom(step, 'runtime').map((s) => JSON.stringify(s.event)));
        for (const next of explorer.stepsFrom(step, 'pure')) {
          if (runtime.has(JSON.stringify(next.event))) continue;
          report.pure.addPath({ steps: [next] });
          expect(next.snapshot.status).not.toBe('error');
        }
      }
    }
  });

  it('covers every state and transition of the chart', () => {
    report.expectComplete();
  });
});

afterAll(() => {
  report.print();
});
