/**
 * The model check must be able to fail: each planted bug (applied to a copy of the peer chart, to its
 * provided implementations, to the pc model's operations, to the routing or to the outbox's resume;
 * machines/ and src/peer/ are untouched)
 * is found with a short counterexample path, in a scenario that ./model-check.test.ts checks clean.
 */

import { describe, expect, it } from 'vitest';
import { sendTo } from 'xstate';
import type { PeerContext, PeerEvent } from '../../machines/peer.js';
import { connectionOf } from '../../machines/peer.js';
import { signalingMachine } from '../../machines/signaling.js';
import { systemMachine } from '../../machines/system.js';
import { checkModel } from '../../src/testing/model-checker.js';
import type { Mutation, PairOptions } from '../../src/testing/pair-model.js';
import { pairSystem } from '../../src/testing/pair-model.js';
import { setRemoteOffer } from '../../src/testing/pc-model.js';
import { SCENARIOS } from './scenarios.js';

interface PlantedBug {
  name: string;
  mutation: Mutation;
  scenario: PairOptions;
  /** The invariant that must catch it. */
  caughtBy: RegExp;
}

/** Path of a state node in a chart config (`live.connecting.remoteCandidates.buffering`). */
function stateConfig(config: Record<string, unknown>, path: string): Record<string, unknown> {
  let node = config;
  for (const key of path.split('.'))
    node = (node.states as Record<string, Record<string, unknown>>)[key] as Record<string, unknown>;
  return node;
}

/** The small bound of the scenario whose name starts with `name` (./model-check.test.ts passes it unmutated). */
function small(name: string): PairOptions {
  const scenario = SCENARIOS.find((s) => s.name.startsWith(name));
  if (!scenario) throw new Error(`no scenario ${name}`);
  return scenario.small;
}

const BUGS: PlantedBug[] = [
  {
    name: 'no rollback on glare (the polite side sets the remote offer over its own)',
    mutation: { operations: { acceptOffer: (pc, input) => setRemoteOffer(pc, input) } },
    scenario: small('ICE restart on both sides'),
    caughtBy: /acceptOffer: setRemoteDescription\(offer\) in signalingState have-local-offer/,
  },
  {
    name: 'no ufrag filter (candidates of an older ICE generation are applied)',
    mutation: {
      provide: {
        guards: {
          isCurrentGeneration: ({ context, event }: { context: PeerContext; event: PeerEvent }) =>
            event.type !== 'SIGNAL.CANDIDATE' || connectionOf(context, event) === 'current',
        },
        actions: {
          drainRemoteCandidates: sendTo('pc', ({ context }: { context: PeerContext }) => ({
            type: 'ADD_CANDIDATES',
            candidates: context.bufferedCandidates,
          })),
        },
      } as never,
    },
    scenario: small('ICE restart on one side'),
    caughtBy: /another ICE generation/,
  },
  {
    name: 'no generation check (a signal reaching a session the receiver left is routed to it)',
    mutation: {
      signaling: signalingMachine.provide({ guards: { isCurrentSession: () => true } }),
      system: systemMachine.provide({ guards: { isStale: () => false } }),
    },
    scenario: small('the signaling session changes'),
    caughtBy: /of a signaling session the receiver left changed its state/,
  },
  {
    name: 'candidates applied while buffering (before the remote description)',
    mutation: {
      chart: (config) => {
        const buffering = stateConfig(config, 'live.connecting.remoteCandidates.buffering');
        (buffering.on as Record<string, unknown>)['SIGNAL.CANDIDATE'] = { actions: 'addRemoteCandidate' };
      },
    },
    scenario: small('both connect at once, a impolite'),
    caughtBy: /before any remote description/,
  },
  {
    name: 'resending on an ICE restart of the same association (the outbox rewinds on the channel that carried it)',
    // `resync` is `resume` without its same-channel rule: everything after the resume point goes again.
    mutation: {
      resume: (outbox, lastDelivered, sink, sameNumbering) =>
        outbox.resync(lastDelivered, sink, sameNumbering),
    },
    scenario: small('messages across an ICE restart'),
    caughtBy: /sent again on the channel that carried it/,
  },
];

/** A counterexample this long or shorter is one a reader can follow. */
const SHORT = 20;

describe('planted bugs: the model check finds each one', () => {
  for (const bug of BUGS) {
    it(bug.name, () => {
      const result = checkModel(pairSystem({ ...bug.scenario, mutation: bug.mutation }), {
        stopAtFirstViolation: true,
        safetyOnly: true,
      });
      const found = result.violations[0];
      expect(found?.message).toMatch(bug.caughtBy);
      expect(found?.path.length).toBeLessThanOrEqual(SHORT);
      console.log(
        `${bug.name}\n  ${found?.message}\n  after ${found?.path.length} moves:\n    ${found?.path.join('\n    ')}`,
      );
    }, 120_000);
  }
});
