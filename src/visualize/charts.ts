/**
 * The charts to draw: every state machine that machines/index.ts exports, named by its machine id.
 * A chart added to machines/ (and exported there) is drawn without any change here.
 */

import type { AnyStateMachine } from 'xstate';
import { StateMachine } from 'xstate';
import * as machines from '../../machines/index.js';

/** A chart: its name (the machine id, used for file names) and its machine. */
export interface Chart {
  name: string;
  machine: AnyStateMachine;
}

/** Every machine exported by machines/, sorted by name; throws if two share an id. */
export function listCharts(): Chart[] {
  const byName = new Map<string, AnyStateMachine>();
  for (const value of Object.values(machines as Record<string, unknown>)) {
    if (!(value instanceof StateMachine)) continue;
    const machine = value as AnyStateMachine;
    const known = byName.get(machine.id);
    if (known && known !== machine) throw new Error(`two charts in machines/ have the id ${machine.id}`);
    byName.set(machine.id, machine);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, machine]) => ({ name, machine }));
}
