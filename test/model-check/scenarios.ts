/**
 * The scenarios of the model check (docs/model-check.md), each with a small bound (run by `npm test`)
 * and a full bound (`npm run model-check`). A scenario fixes what the applications do (connect, send
 * messages, close, restart ICE, restart the process) and what may go wrong (lost, duplicated or reordered
 * signals, transport faults, early timers, a new signaling session); the checker explores every
 * interleaving of all of it.
 */
import type { PairOptions } from '../../src/testing/pair-model.js';

/** One scenario: its name and its options at each bound. */
export interface Scenario {
  name: string;
  small: PairOptions;
  full: PairOptions;
}

/** What the channel may do at full bound: reorder within 2, lose one signal, fire one timer early. */
const unreliable: PairOptions = { window: 2, losses: 1, timers: 1 };

/** The scenarios, in the order the table prints them. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'both connect at once, a impolite',
    small: { connect: ['a', 'b'], timers: 0 },
    full: { connect: ['a', 'b'], ...unreliable },
  },
  {
    name: 'both connect at once, a polite',
    small: { connect: ['b', 'a'], polite: 'a', timers: 0 },
    full: { connect: ['b', 'a'], polite: 'a', ...unreliable },
  },
  {
    name: 'both connect at once, signals duplicated',
    small: { duplicates: 1, window: 1, timers: 0 },
    full: { duplicates: 1, losses: 1, window: 2, timers: 0 },
  },
  {
    name: 'connect, then close on either side at any point',
    small: { close: ['a', 'b'], timers: 0 },
    full: { close: ['a', 'b'], window: 2, losses: 1, timers: 0 },
  },
  {
    name: 'ICE restart on one side, during the first negotiation too',
    small: { restartIce: ['a'], timers: 0 },
    full: { restartIce: ['a'], window: 2, losses: 1, timers: 0 },
  },
  {
    name: 'ICE restart on both sides (glare of restarts)',
    small: { restartIce: ['a', 'b'], startConnected: true, window: 1, timers: 0 },
    full: { restartIce: ['a', 'b'], startConnected: true, window: 2, timers: 0 },
  },
  {
    name: 'the remote restarts as a new actor',
    small: { restart: ['b'], startConnected: true, window: 1, timers: 0 },
    full: { restart: ['b'], connect: ['a'], window: 2, timers: 0 },
  },
  {
    name: 'transport faults: ICE restart, then a full reconnect',
    small: { faults: 1, maxIceRestarts: 0, startConnected: true, timers: 0 },
    full: { faults: 2, maxIceRestarts: 1, startConnected: true, window: 2, timers: 0 },
  },
  {
    name: 'a full reconnect after failed',
    small: { faults: 1, maxIceRestarts: 0, maxReconnects: 0, startConnected: true, timers: 0 },
    full: {
      faults: 2,
      maxIceRestarts: 0,
      maxReconnects: 0,
      startConnected: true,
      window: 2,
      losses: 1,
      timers: 1,
    },
  },
  {
    name: 'the signaling session changes generation mid-negotiation',
    small: { session: ['b'], connect: ['a'], window: 1, timers: 0 },
    full: { session: ['a'], window: 2, timers: 0 },
  },
  {
    name: 'messages across an ICE restart of the same association',
    small: { send: ['a'], restartIce: ['a'], startConnected: true, window: 1, timers: 0 },
    full: { send: ['a'], restartIce: ['a', 'b'], startConnected: true, window: 1, timers: 0 },
  },
  {
    name: 'messages to a remote that restarts as a new actor',
    small: { send: ['a'], restart: ['b'], startConnected: true, window: 1, timers: 0 },
    full: { send: ['a', 'b'], restart: ['b'], startConnected: true, window: 1, timers: 0 },
  },
  {
    name: 'messages across a full reconnect',
    small: { send: ['a'], faults: 1, maxIceRestarts: 0, maxReconnects: 0, startConnected: true, timers: 0 },
    full: { send: ['a', 'b'], faults: 1, maxIceRestarts: 0, startConnected: true, window: 2, timers: 0 },
  },
  {
    name: 'messages, then close on either side at any point',
    small: { send: ['a'], close: ['b'], timers: 0 },
    full: { send: ['a', 'b'], close: ['a', 'b'], window: 1, timers: 0 },
  },
];
