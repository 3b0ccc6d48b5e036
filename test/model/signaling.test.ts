import { expect } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import type { SignalingContext, SignalingEvent } from '../../machines/signaling.js';
import { signalingMachine } from '../../machines/signaling.js';
import { PROTOCOL_VERSION } from '../../src/protocol/signals.js';
import type { ChartModel, ModelPath, ModelStep, PathPlayer, World } from '../../src/testing/index.js';
import { ChartExplorer, expectValue, playPath } from '../../src/testing/index.js';
import { CoverageReport, describeChartModel, fakeWorld } from './helpers.js';

// Two URLs: a lost session moves to the other one, so the model visits both.
const input = {
  url: 'ws://model.invalid',
  urls: ['ws://model.invalid', 'ws://model-2.invalid'],
  room: 'model',
  peerId: 'mmm',
};
const ctx = (s: AnyMachineSnapshot) => s.context as SignalingContext;
/** The step's event, typed as the chart's event of that type. */
const ev = <K extends SignalingEvent['type']>(step: ModelStep, _type: K) =>
  step.event as Extract<SignalingEvent, { type: K }>;
/** The runtime never rests in `disconnected`: createPeerSystem starts the session at once. */
const started = (s: AnyMachineSnapshot) => !s.matches('disconnected');

const model: ChartModel = {
  machine: signalingMachine,
  input,
  // generation and attempt grow without bound; the guards compare them with the events' (made from
  // the context itself), so states differ by value and URL only.
  contextKey: (c) => (c as SignalingContext).url,
  events: {
    CONNECT: {},
    CLOSE: { when: started },
    RETRY: {},
    SWITCH: { payloads: (type) => [{ type, url: 'ws://switched.invalid' }] },
    'SIGNALING.SEND': {
      // A peer's signal of the current session, and one stamped with an older session.
      payloads: (type, s) =>
        [ctx(s).generation, ctx(s).generation - 1].map((generation) => ({
          type,
          generation,
          to: 'zzz',
          signal: { type: 'hello' },
        })),
      when: started,
    },
    'SESSION.OPEN': { payloads: (type, s) => [{ type, generation: ctx(s).generation, peers: [] }] },
    'SESSION.CLOSED': {
      payloads: (type, s) => [
        { type, generation: ctx(s).generation, code: 1006, reason: 'abnormal closure' },
      ],
    },
    'SESSION.FRAME': {
      payloads: (type, s) => [
        {
          type,
          generation: ctx(s).generation,
          frame: { v: PROTOCOL_VERSION, type: 'presence', peerId: 'zzz', present: true },
        },
      ],
    },
    'SESSION.INVALID': {
      payloads: (type, s) => [{ type, generation: ctx(s).generation, reason: 'not JSON' }],
      // Only a socket that exists can carry a bad frame.
      when: (s) => s.matches('connecting') || s.matches('open'),
    },
    'SESSION.UNSENT': {
      payloads: (type, s) => [
        { type, generation: ctx(s).generation, to: 'zzz', reason: 'socket is not open' },
      ],
      // Only a session asked to transmit (in `open`) finds its socket closing.
      when: (s) => s.matches('open'),
    },
    'xstate.after.reconnectBackoff': {},
  },
};

const report = new CoverageReport('signaling', signalingMachine);
const explorer = new ChartExplorer(model);
const paths = explorer.coveringPaths('runtime');

/** Plays the chart's events on the world: the system's signaling actor, the fake server. */
function player(world: World): PathPlayer {
  const system = () => world.requireSystem();
  return {
    executors: {
      'xstate.init': () => {},
      CONNECT: () => {
        world.start();
      },
      'SESSION.OPEN': (step) => world.welcome(ev(step, 'SESSION.OPEN').peers),
      'SESSION.CLOSED': (step) =>
        world.socket().closeFromServer(ev(step, 'SESSION.CLOSED').code, ev(step, 'SESSION.CLOSED').reason),
      'SESSION.FRAME': (step) => world.serverSend(ev(step, 'SESSION.FRAME').frame),
      'SESSION.INVALID': () => {
        world.socket().acceptOpen();
        world.socket().deliverText('not JSON');
      },
      // CB-4: a peer's signal meets a socket that is closing before its close event arrived. The
      // socket then recovers, so that later steps find it open (the fake closes synchronously).
      'SESSION.UNSENT': (step) => {
        const socket = world.socket();
        socket.readyState = 2;
        world.signaling().send({
          type: 'SIGNALING.SEND',
          generation: ev(step, 'SESSION.UNSENT').generation,
          to: ev(step, 'SESSION.UNSENT').to,
          signal: { type: 'hello' },
        });
        socket.readyState = 1;
      },
      // What a peer actor does: send its signal, stamped with its generation, to the signaling actor.
      'SIGNALING.SEND': (step) => world.signaling().send(step.event),
      SWITCH: (step) => system().actor.send({ type: 'SIGNALING.SWITCH', url: ev(step, 'SWITCH').url }),
      RETRY: () => system().retrySignaling(),
      'xstate.after.reconnectBackoff': (step) => world.fireDelayed(world.signaling(), step.event.type),
      CLOSE: () => world.stop(),
    },
    async check(step) {
      await world.settle();
      if (!world.system) return;
      const actor = world.signaling();
      expectValue(actor, step.snapshot, 'the signaling actor');
      expect(actor.getSnapshot().context).toEqual(ctx(step.snapshot));
    },
  };
}

async function play(path: ModelPath): Promise<void> {
  const world = fakeWorld({
    inspect: [report.runtime.inspect],
    system: { url: input.urls, reconnectBackoff: { maxMs: 400 } },
  });
  try {
    await playPath(path, player(world));
  } finally {
    await world.done();
  }
}

describeChartModel({ chart: 'signaling', paths, explorer, report, play, seed: 5 });
