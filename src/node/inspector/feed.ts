/**
 * The live feed: watches attached peer systems through their public surfaces (XState inspection on
 * the actor system, `signaling$`, `errors$`, `deliveryFigures`) and turns what changed into views for
 * the page, throttled: changes are collected and published once per tick, so each peer's view goes
 * out at most `1000 / throttleMs` times a second however busy it is.
 *
 * Memory stays bounded however many peers come and go: a peer's view goes when its actor does (its
 * chart reached `closed`, or its system stopped it), and so do a stopped system's subscriptions.
 */
import type { InspectionEvent, Subscription } from 'xstate';
import type { PeerContext } from '../../../machines/peer.js';
import type { DeliveryFigures, PeerSystem, SignalingState } from '../../system.js';
import { chartFiguresOf, peerViewOf } from './peer-view.js';
import { sameValue, transitionEntry } from './timeline-entry.js';
import type { PeerView, SystemView, TimelineEntry } from './views.js';

/** Options of {@link createInspectorFeed}; all optional. */
export interface InspectorFeedOptions {
  /** Publishing period, in ms: each view changes on the page at most once per period. Default 50 (20/s). */
  throttleMs?: number;
  /** How often delivery figures (outbox, bufferedAmount), which change without a chart event, are read, in ms. Default 250. */
  figuresIntervalMs?: number;
  /** Timeline entries kept for a page that connects later. Default 500. */
  timelineLimit?: number;
}

/**
 * What changed in one tick: the keys of peer views gone (their actor stopped), then the latest view
 * of each changed system and peer, and new timeline entries. A key may be in both `removed` and
 * `peers` (a peer closed and connected again): the view is the new actor's.
 */
export interface FeedChanges {
  t: number;
  removed: string[];
  systems: SystemView[];
  peers: PeerView[];
  timeline: TimelineEntry[];
}

/** The feed's source of views. */
export interface InspectorFeed {
  /** Starts watching a system; attaching the same system twice changes nothing. */
  attach(system: PeerSystem): void;
  /** Everything known now: every view and the newest timeline entries, oldest first. */
  current(): FeedChanges;
  /** Calls `listener` once per tick in which something changed; returns the unsubscribe function. */
  subscribe(listener: (changes: FeedChanges) => void): () => void;
  /** Stops watching every system. Idempotent. */
  close(): void;
}

/** What the feed knows of one peer of one system. */
interface PeerEntry {
  system: AttachedSystem;
  peer: string;
  /** The peer actor the entry follows: a later actor for the same remote gets a new entry. */
  actor: unknown;
  value: unknown;
  /** The latest context (a snapshot's, never changed by XState): figures are picked from it only when published. */
  context: PeerContext;
  delivery: DeliveryFigures | null;
}

interface AttachedSystem {
  handle: PeerSystem;
  signaling: SignalingState;
  running: boolean;
  subscriptions: { unsubscribe(): void }[];
}

function sameDelivery(a: DeliveryFigures | null, b: DeliveryFigures | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.outboxMessages === b.outboxMessages &&
    a.outboxBytes === b.outboxBytes &&
    a.unacknowledged === b.unacknowledged &&
    a.bufferedAmount === b.bufferedAmount &&
    a.roundTripMs === b.roundTripMs
  );
}

const PEER_PREFIX = 'peer:';

/** Creates a feed; it publishes nothing until a system is attached and something changes. */
export function createInspectorFeed(options: InspectorFeedOptions = {}): InspectorFeed {
  const throttleMs = options.throttleMs ?? 50;
  const figuresEvery = Math.max(1, Math.round((options.figuresIntervalMs ?? 250) / throttleMs));
  const timelineLimit = options.timelineLimit ?? 500;
  const systems = new Map<PeerSystem, AttachedSystem>();
  const peers = new Map<string, PeerEntry>();
  const systemViews = new Map<string, SystemView>();
  const peerViews = new Map<string, PeerView>();
  const timeline: TimelineEntry[] = [];
  const dirtySystems = new Set<AttachedSystem>();
  const dirtyPeers = new Set<PeerEntry>();
  const removed = new Set<string>();
  let fresh: TimelineEntry[] = [];
  const listeners = new Set<(changes: FeedChanges) => void>();
  let ticks = 0;

  const record = (entry: TimelineEntry) => {
    fresh.push(entry);
    timeline.push(entry);
    if (timeline.length > timelineLimit) timeline.splice(0, timeline.length - timelineLimit);
  };

  const keyOf = (entry: PeerEntry) => `${entry.system.handle.localId}>${entry.peer}`;
  const forget = (entry: PeerEntry) => {
    const key = keyOf(entry);
    peers.delete(key);
    peerViews.delete(key);
    dirtyPeers.delete(entry);
    removed.add(key);
  };

  const onPeerSnapshot = (
    system: AttachedSystem,
    peer: string,
    actor: unknown,
    snapshot: unknown,
    event: string,
  ) => {
    const { value, context, status } = snapshot as { value: unknown; context: PeerContext; status: string };
    const key = `${system.handle.localId}>${peer}`;
    let entry = peers.get(key);
    if (!entry || entry.actor !== actor) {
      if (entry) forget(entry);
      entry = { system, peer, actor, value, context, delivery: null };
      peers.set(key, entry);
    } else if (!sameValue(entry.value, value)) {
      record(transitionEntry(Date.now(), system.handle.localId, peer, entry.value, value, event));
      entry.value = value;
    }
    entry.context = context;
    // A peer whose chart is done (closed) is gone: its last transition stays in the timeline.
    if (status === 'active') dirtyPeers.add(entry);
    else forget(entry);
  };

  /** Forgets the peers whose actor stopped without a last snapshot (stopped by their system). */
  const sweep = () => {
    for (const entry of peers.values())
      if (entry.system.handle.actor.system.get(`${PEER_PREFIX}${entry.peer}`) !== entry.actor) forget(entry);
  };

  /** A stopped system: its peers are gone, and nothing of it is watched any more. */
  const detach = (system: AttachedSystem) => {
    system.running = false;
    dirtySystems.add(system);
    for (const entry of peers.values()) if (entry.system === system) forget(entry);
    for (const sub of system.subscriptions) sub.unsubscribe();
    system.subscriptions = [];
    systems.delete(system.handle);
  };

  const tick = () => {
    ticks++;
    if (ticks % figuresEvery === 0) {
      sweep();
      for (const entry of peers.values()) {
        const delivery = entry.system.handle.deliveryFigures(entry.peer) ?? null;
        if (!sameDelivery(delivery, entry.delivery)) {
          entry.delivery = delivery;
          dirtyPeers.add(entry);
        }
      }
    }
    if (dirtyPeers.size === 0 && dirtySystems.size === 0 && fresh.length === 0 && removed.size === 0) return;
    const changes: FeedChanges = {
      t: Date.now(),
      removed: [...removed],
      systems: [],
      peers: [],
      timeline: fresh,
    };
    fresh = [];
    removed.clear();
    for (const system of dirtySystems) {
      const view: SystemView = {
        id: system.handle.localId,
        signaling: system.signaling,
        generation: system.handle.actor.getSnapshot().context.generation,
        running: system.running,
      };
      systemViews.set(view.id, view);
      changes.systems.push(view);
    }
    for (const entry of dirtyPeers) {
      const view = peerViewOf(
        entry.system.handle.localId,
        entry.peer,
        { value: entry.value, context: chartFiguresOf(entry.context) },
        entry.delivery,
        entry.system.signaling,
      );
      peerViews.set(view.key, view);
      changes.peers.push(view);
    }
    dirtySystems.clear();
    dirtyPeers.clear();
    for (const listener of listeners) listener(changes);
  };
  const timer = setInterval(tick, throttleMs);
  timer.unref();

  return {
    attach(handle) {
      if (systems.has(handle)) return;
      const system: AttachedSystem = { handle, signaling: 'disconnected', running: true, subscriptions: [] };
      systems.set(handle, system);
      dirtySystems.add(system);
      const localId = handle.localId;
      for (const child of Object.values(handle.actor.getSnapshot().children)) {
        const id = (child as { systemId?: string } | undefined)?.systemId;
        if (child && id?.startsWith(PEER_PREFIX))
          onPeerSnapshot(system, id.slice(PEER_PREFIX.length), child, child.getSnapshot(), 'attached');
      }
      const inspection: Subscription = handle.actor.system.inspect((event: InspectionEvent) => {
        if (event.type !== '@xstate.snapshot') return;
        const id = (event.actorRef as { systemId?: string }).systemId;
        if (id?.startsWith(PEER_PREFIX))
          onPeerSnapshot(
            system,
            id.slice(PEER_PREFIX.length),
            event.actorRef,
            event.snapshot,
            event.event.type,
          );
        else if (id === 'system') dirtySystems.add(system);
      });
      system.subscriptions = [
        inspection,
        handle.signaling$.subscribe({
          next: (state) => {
            system.signaling = state;
            dirtySystems.add(system);
          },
          complete: () => {
            system.running = false;
            dirtySystems.add(system);
          },
        }),
        // errors$ completes last when the system stops (after the peers' final errors): then it is gone.
        handle.errors$.subscribe({
          next: (error) =>
            record({
              kind: 'error',
              t: Date.now(),
              system: localId,
              peer: error.peerId ?? null,
              code: error.code,
              message: error.message,
            }),
          complete: () => detach(system),
        }),
      ];
      // Attached after it stopped: errors$ completed at once, before the subscriptions were kept.
      if (!systems.has(handle)) detach(system);
    },
    current() {
      return {
        t: Date.now(),
        removed: [],
        systems: [...systemViews.values()],
        peers: [...peerViews.values()],
        timeline: [...timeline],
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      clearInterval(timer);
      for (const system of systems.values()) for (const sub of system.subscriptions) sub.unsubscribe();
      systems.clear();
      listeners.clear();
    },
  };
}
