/** How a path reads in test names and errors: its state values on one line and its events in order. */

import type { AnyEventObject, StateValue } from 'xstate';
import type { ModelStep } from './chart-model.js';

/** A readable one-line state value: `a.b` for nested states, `a(r1.x, r2.y)` for the regions of a parallel state. */
export function formatValue(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, sub]) => {
      if (sub === undefined) return key;
      if (typeof sub === 'string') return `${key}.${sub}`;
      const inner = formatValue(sub);
      return Object.keys(sub).length > 1 ? `${key}(${inner})` : `${key}.${inner}`;
    })
    .join(', ');
}

function describeEvent(step: ModelStep): string {
  const e = step.event as AnyEventObject & Record<string, unknown>;
  if (e.type === 'SIGNAL.DESCRIPTION') {
    return `SIGNAL.DESCRIPTION(${(e.description as { type: string }).type})`;
  }
  if (e.type === 'PC.CONNECTION_STATE') return `PC.CONNECTION_STATE(${String(e.state)})`;
  if (e.type === 'SIGNALING.FRAME') return `SIGNALING.FRAME(${(e.frame as { type: string }).type})`;
  return step.key;
}

/** A readable description of a path: its end state and its events. */
export function describePath(steps: readonly ModelStep[]): string {
  const last = steps.at(-1);
  const end = last ? formatValue(last.snapshot.value) : '';
  const events = steps.slice(1).map(describeEvent).join(' → ');
  return `${end} via ${events || '(initial)'}`;
}
