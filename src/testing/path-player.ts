/**
 * Playing a generated path on the real runtime: each chart event of the path is turned into what
 * causes it in the real world by an executor (a frame from the server, a settled or failed
 * RTCPeerConnection operation, an expired timer, an API call) and, after each step, a check that the
 * runtime is in the state the path says.
 */

import type { AnyActorRef, AnyMachineSnapshot } from 'xstate';
import type { ModelPath, ModelStep } from './chart-model.js';
import { formatValue } from './path-description.js';

/** Turns one step's chart event into its real-world cause. */
export type Executor = (step: ModelStep, index: number) => Promise<void> | void;

/** How a path is played: executors by event key, and the check after each step. */
export interface PathPlayer {
  executors: Record<string, Executor>;
  /** Throws if the runtime disagrees with `step.snapshot`. */
  check(step: ModelStep, index: number): Promise<void> | void;
}

/** The executor of a step; throws, naming the event, if there is none. */
export function executorFor(executors: Record<string, Executor>, step: ModelStep): Executor {
  const executor = executors[step.key];
  if (!executor) throw new Error(`no executor for event "${step.key}" (${step.event.type})`);
  return executor;
}

/** Plays a path: executes each step and checks the runtime after it. Errors name the step and the path. */
export async function playPath(path: ModelPath, player: PathPlayer): Promise<void> {
  for (const [index, step] of path.steps.entries()) {
    try {
      await executorFor(player.executors, step)(step, index);
      await player.check(step, index);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const trail = path.steps
        .map((s, i) => `${i === index ? '>' : ' '} ${i}. ${s.key} → ${formatValue(s.snapshot.value)}`)
        .join('\n');
      e.message = `${e.message}\nat step ${index} (${step.key}) of:\n${trail}`;
      throw e;
    }
  }
}

/** Throws unless the actor's state value is the one of `expected`. */
export function expectValue(
  actor: AnyActorRef | undefined,
  expected: AnyMachineSnapshot,
  what: string,
): void {
  if (!actor) throw new Error(`${what}: no actor, expected ${formatValue(expected.value)}`);
  const actual = (actor.getSnapshot() as AnyMachineSnapshot).value;
  if (JSON.stringify(actual) !== JSON.stringify(expected.value)) {
    throw new Error(`${what} is ${formatValue(actual)}, the chart says ${formatValue(expected.value)}`);
  }
}
