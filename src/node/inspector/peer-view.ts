/**
 * A peer's view for the inspector page, built from what the system shows publicly: the peer actor's
 * snapshot (state value, context) and `PeerSystem.deliveryFigures`. Why a peer is not connected is
 * read from the chart itself: the active leaf states, their descriptions and the triggers of their
 * transitions, so the explanation follows the chart as it changes.
 */
import type { PeerContext, PeerState } from '../../../machines/peer.js';
import { PEER_STATES, peerMachine } from '../../../machines/peer.js';
import type { DeliveryFigures, SignalingState } from '../../system.js';
import type { ChartGraph } from '../../visualize/walk.js';
import { chartGraph, transitionLabel } from '../../visualize/walk.js';
import type { PeerFigures, PeerView, Waiting } from './views.js';

/** The part of a peer snapshot a view is built from (a live snapshot, or a recorded one). */
export interface PeerSnapshotLike {
  value: unknown;
  /** Chart figures, from the live context or a recording. */
  context: ChartFigures;
}

/** The peer context's figures the inspector shows, as `chartFiguresOf` picks them. */
export type ChartFigures = Pick<
  PeerFigures,
  | 'connection'
  | 'iceRestarts'
  | 'maxIceRestarts'
  | 'reconnects'
  | 'bufferedCandidates'
  | 'generation'
  | 'remotePresent'
> & { error: { code: string; message: string } | null };

/** Picks the figures the inspector shows from a peer's context (small and serializable, for recordings too). */
export function chartFiguresOf(context: PeerContext): ChartFigures {
  return {
    connection: context.connection,
    iceRestarts: context.iceRestarts,
    maxIceRestarts: context.maxIceRestarts,
    reconnects: context.reconnects,
    bufferedCandidates: context.bufferedCandidates.length,
    generation: context.generation,
    remotePresent: context.remotePresent,
    error: context.error,
  };
}

/**
 * Ids of the active state nodes of a state value, parents before children, e.g. `{ live: { connected:
 * 'stable' } }` → `peer`, `peer.live`, `peer.live.connected`, `peer.live.connected.stable`.
 */
export function activeStateIds(value: unknown, rootId = peerMachine.id): string[] {
  const ids = [rootId];
  const walk = (at: string, v: unknown) => {
    if (typeof v === 'string') ids.push(`${at}.${v}`);
    else if (v && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        ids.push(`${at}.${key}`);
        walk(`${at}.${key}`, child);
      }
    }
  };
  walk(rootId, value);
  return ids;
}

/** The active leaf states of a state value, relative to the root: `live.connected.stable`. */
export function leafStates(value: unknown, graph: ChartGraph = chartGraph(peerMachine)): string[] {
  const prefix = `${graph.id}.`;
  return activeStateIds(value, graph.id)
    .filter((id) => (graph.byId.get(id)?.children.length ?? 0) === 0 && id.startsWith(prefix))
    .map((id) => id.slice(prefix.length));
}

/**
 * The public state of a state value: the tag its active states carry (`peerStateOf` reads the same
 * tags from a live snapshot; a recording has only the value).
 */
export function publicStateOf(value: unknown): PeerState {
  for (const id of activeStateIds(value).reverse()) {
    const tags = peerMachine.getStateNodeById(id).tags as readonly string[];
    const tag = PEER_STATES.find((state) => tags.includes(state));
    if (tag) return tag;
  }
  return 'disconnected';
}

/**
 * What a peer waits for, read from the chart: per active leaf state, the triggers of the transitions
 * out of it and out of its parents below the root (a parent's transitions apply in all its
 * children), and the nearest description. With several active leaves (parallel regions), what their
 * parents share comes first, once, under the deepest shared parent, and each leaf lists only its own.
 * Transitions to the final state (a close, possible anywhere) are left out.
 */
export function waitingOf(value: unknown, graph: ChartGraph = chartGraph(peerMachine)): Waiting[] {
  const final = new Set(graph.states.filter((s) => s.kind === 'final').map((s) => s.id));
  /** The states from `id` up to, not including, the root (or `stop`). */
  const chain = (id: string, stop: ReadonlySet<string> = new Set()) => {
    const states = [];
    for (
      let at = graph.byId.get(id);
      at && at.parent !== null && !stop.has(at.id);
      at = graph.byId.get(at.parent)
    )
      states.push(at);
    return states;
  };
  const entry = (id: string, states: ReturnType<typeof chain>): Waiting => {
    const waitsFor = new Set<string>();
    for (const state of states)
      for (const t of graph.transitions)
        if (t.source === state.id && t.targets.length > 0 && !t.targets.some((target) => final.has(target)))
          waitsFor.add(transitionLabel(t));
    const description = states.find((state) => state.description !== null)?.description ?? null;
    return { state: id.slice(graph.id.length + 1), description, waitsFor: [...waitsFor] };
  };
  const leaves = leafStates(value, graph).map((leaf) => `${graph.id}.${leaf}`);
  if (leaves.length === 1) return leaves.map((id) => entry(id, chain(id)));
  const chains = leaves.map((id) => chain(id));
  const shared = (chains[0] ?? []).filter((state) => chains.every((c) => c.includes(state)));
  const sharedIds = new Set(shared.map((state) => state.id));
  const head = shared[0] ? [entry(shared[0].id, shared)] : [];
  return [...head, ...leaves.map((id) => entry(id, chain(id, sharedIds)))];
}

/** Circumstances that explain why a peer is not connected. */
function hintsOf(figures: ChartFigures, signaling: SignalingState | null): string[] {
  const hints: string[] = [];
  if (signaling !== null && signaling !== 'open') hints.push(`the signaling session is ${signaling}`);
  if (!figures.remotePresent) hints.push('the remote is not present on the signaling session');
  if (figures.iceRestarts > 0)
    hints.push(`${figures.iceRestarts} of ${figures.maxIceRestarts} ICE restarts tried since last connected`);
  if (figures.reconnects > 0) hints.push(`${figures.reconnects} full reconnects tried since last connected`);
  if (figures.error) hints.push(`last error: ${figures.error.code}: ${figures.error.message}`);
  return hints;
}

/**
 * Builds the view of `peer` in `system`. `delivery` is null when not known (a replay); `signaling` is
 * the system's signaling state, or null when not known.
 */
export function peerViewOf(
  system: string,
  peer: string,
  snapshot: PeerSnapshotLike,
  delivery: DeliveryFigures | null,
  signaling: SignalingState | null,
): PeerView {
  const state = publicStateOf(snapshot.value);
  const { error, ...chart } = snapshot.context;
  const figures: PeerFigures = {
    ...chart,
    outboxMessages: delivery?.outboxMessages ?? null,
    outboxBytes: delivery?.outboxBytes ?? null,
    unacknowledged: delivery?.unacknowledged ?? null,
    bufferedAmount: delivery?.bufferedAmount ?? null,
    roundTripMs: delivery?.roundTripMs ?? null,
  };
  const connected = state === 'connected';
  return {
    key: `${system}>${peer}`,
    system,
    peer,
    state,
    value: snapshot.value,
    active: activeStateIds(snapshot.value),
    figures,
    waiting: connected ? [] : waitingOf(snapshot.value),
    hints: connected ? [] : hintsOf(snapshot.context, signaling),
    error,
  };
}
