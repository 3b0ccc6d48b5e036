/**
 * A chart's `machine.config` as JSON: what the Stately editor (and Stately Sketch) import, and what
 * `createMachine(JSON.parse(text))` loads back with the same states and transitions.
 *
 * Implementations named by string (actions, guards, actors, delays) are kept as they are. A function
 * cannot be JSON, so each one is replaced by a placeholder string that says what it was:
 * - `"[inline guard: in(peer.connecting.transport.connected) & ...]"`: an inline or built-in guard
 *   (`and`/`or`/`not`/`stateIn` spelled out), which XState then treats as a named guard;
 * - `"[inline action: assign]"`: an inline or built-in action creator in the config;
 * - `"[inline actor: <id>]"`: actor logic given inline as an invoke `src`;
 * - `"[inline function: <key>]"`: any other function, under the key it was at, e.g. the `context`
 *   factory (`"[inline function: context]"`) or an invoke's `input` mapper (`"[inline function: input]"`).
 * Keys keep the chart's order and `undefined` values are left out, so the text is stable.
 */

import type { AnyStateMachine } from 'xstate';
import { actionName, guardName } from './walk.js';

const ACTION_KEYS = new Set(['entry', 'exit', 'actions']);

function placeholder(value: unknown, key: string): string | undefined {
  if (key === 'src' && typeof value !== 'string') {
    const id = value && typeof value === 'object' && 'id' in value ? String(value.id) : 'logic';
    return `[inline actor: ${id}]`;
  }
  if (typeof value !== 'function') return undefined;
  if (key === 'guard') return `[inline guard: ${guardName(value, '', '')}]`;
  if (ACTION_KEYS.has(key)) return `[inline action: ${actionName(value)}]`;
  return `[inline function: ${key}]`;
}

function toJsonValue(value: unknown, key: string): unknown {
  const replaced = placeholder(value, key);
  if (replaced !== undefined) return replaced;
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toJsonValue(v, k);
    }
    return out;
  }
  return value;
}

/** Serializes `machine.config` as JSON (2-space indent, trailing newline), functions as placeholders. */
export function configToJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(toJsonValue(machine.config, ''), null, 2)}\n`;
}
