/** Reading chart states in tests. */
import type { StateValue } from 'xstate';

/** The top-level state of a snapshot (`connected` for `{ connected: 'stable' }`); undefined without one. */
export function topState(snapshot: { value: StateValue } | undefined): string | undefined {
  const value = snapshot?.value;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : Object.keys(value)[0];
}
