/**
 * The generator on a chart made for it: parallel root, history, nested finals, numeric delays, state
 * and invoke `onDone`, built-in guards and actions, transitions into and out of clusters, and a
 * compound state re-entering itself. Charts in machines/ will grow into these shapes.
 */

import { describe, expect, it } from 'vitest';
import { assign, createMachine, fromPromise, not, stateIn } from 'xstate';
import { toDot } from '../../src/visualize/dot.js';
import { configToJson } from '../../src/visualize/json.js';
import { toMermaid } from '../../src/visualize/mermaid.js';
import { renderSvg } from '../../src/visualize/svg.js';
import { transitionKey, walkMachine } from '../../src/visualize/walk.js';

const machine = createMachine({
  id: 'demo',
  type: 'parallel',
  context: () => ({ n: 0 }),
  on: { RESET: { target: '.left.idle', actions: assign({ n: 0 }) }, PING: { actions: 'pong' } },
  states: {
    left: {
      initial: 'idle',
      states: {
        idle: { on: { GO: 'busy.working' }, after: { 500: 'done' } },
        busy: {
          initial: 'working',
          entry: 'startBusy',
          on: { AGAIN: { target: 'busy', reenter: true }, 'STOP.*': '#demo.left.idle' },
          onDone: 'done',
          states: {
            working: {
              invoke: {
                src: fromPromise(async () => 1),
                input: ({ context }) => context,
                onDone: 'finished',
                onError: '#demo.left.idle',
              },
            },
            hist: { type: 'history', history: 'deep' },
            finished: { type: 'final' },
          },
        },
        done: { type: 'final' },
      },
    },
    right: {
      initial: 'waiting',
      states: {
        waiting: { always: { guard: not(stateIn('#demo.left.busy')), target: 'ready' } },
        ready: { on: { BACK: '#demo.left.busy.hist' } },
      },
    },
  },
});

describe('walkMachine', () => {
  const graph = walkMachine(machine);

  it('names triggers, guards and actions', () => {
    const labels = graph.transitions.map((t) => `${t.source} ${t.trigger} [${t.guard ?? ''}] ${t.actions}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        'demo RESET [] assign',
        'demo PING [] pong',
        'demo.left.idle after 500ms [] ',
        'demo.left.busy done [] ',
        'demo.left.busy.working done inline [] ',
        'demo.left.busy.working error inline [] ',
        'demo.right.waiting always [!in(left.busy)] ',
      ]),
    );
    expect(graph.byId.get('demo.left.busy.hist')?.history).toBe('deep');
    expect(graph.byId.get('demo.left.idle')?.entry).toEqual([]);
  });

  it('keys each transition as XState reports its definition, with its delay or actor named', () => {
    const idle = machine.getStateNodeById('demo.left.idle');
    const delayed = idle.after[0];
    if (!delayed) throw new Error('demo.left.idle has no delayed transition');
    expect(graph.transitions.find((t) => t.key === transitionKey(delayed))).toMatchObject({
      source: 'demo.left.idle',
      index: 0,
      kind: 'after',
      delay: 500,
      src: null,
    });
    const working = graph.transitions.filter((t) => t.source === 'demo.left.busy.working');
    expect(working.map((t) => [t.kind, t.src])).toEqual([
      ['done', 'inline'],
      ['error', 'inline'],
    ]);
  });

  it('writes Mermaid with a wrapped parallel root, any-state nodes and finals', () => {
    const mmd = toMermaid(graph);
    expect(mmd).toContain('state "demo" as demo {');
    expect(mmd).toContain('demo__any --> demo_left_idle : RESET');
    expect(mmd).toContain('demo_left_busy__any --> demo_left_busy_working : AGAIN');
    expect(mmd).toContain('state "H*" as demo_left_busy_hist');
    expect(mmd).toMatch(/^ +demo_left_busy_finished --> \[\*\]$/m);
  });

  it('renders the DOT to SVG without a Graphviz warning', async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(toDot(graph), (message) => warnings.push(message));
    expect(warnings).toEqual([]);
    expect(svg).toContain('>working</text>');
  });

  it('replaces functions in the JSON config by placeholders', () => {
    const json = JSON.parse(configToJson(machine));
    expect(json.context).toBe('[inline function: context]');
    expect(json.on.RESET.actions).toBe('[inline action: assign]');
    expect(json.states.right.states.waiting.always.guard).toBe('[inline guard: !in(demo.left.busy)]');
    const invoke = json.states.left.states.busy.states.working.invoke;
    expect(invoke.src).toMatch(/^\[inline actor: /);
    expect(invoke.input).toBe('[inline function: input]');
  });
});
