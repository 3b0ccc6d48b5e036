/**
 * The cluster mode of the signaling server: rooms, presence and relay shared by every server process
 * attached to one Redis (ioredis; loaded only when a server is started with `cluster`).
 *
 * Each node keeps its own sockets in the room registry of src/protocol/room-registry.ts (the local
 * rules: join once, relay to a local peer, replace a local holder) and mirrors who holds which peer
 * id in Redis through the scripts of src/server/cluster-scripts.ts. Presence travels on one channel
 * per room, signals for a peer on another node on that node's channel. Everything that arrives from
 * Redis is validated with the protocol's own parsers and size bounds before it reaches a socket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RoomRegistry, SignalFrame } from '../protocol/room-registry.js';
import { LIMITS, PROTOCOL_VERSION, parseServerFrame, type ServerFrame } from '../protocol/signals.js';
import { CLAIM, HEARTBEAT, LEAVE, RELAY, SNAPSHOT } from './cluster-scripts.js';

/** The `cluster` option of `startSignalingServer`. */
export interface ClusterOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. Every node of one cluster uses the same Redis. */
  redis: string;
  /** Prefix of every Redis key and channel the cluster uses. Default `'peerstate:'`. */
  keyPrefix?: string;
  /**
   * Lifetime of a node's liveness key, in ms, renewed every third of it: the members of a node that
   * dies are reported absent by the others within this plus one renewal period (by default within
   * about 2.7 s). Integer 300-60000. Default 2000.
   */
  nodeTtlMs?: number;
}

/** What the cluster needs of a local socket. */
export interface ClusterMember {
  /** Sends a frame to the socket; `false` if it is no longer open. */
  send(frame: ServerFrame): boolean;
  /** A join on another node took this member's peer id: the socket closes, and nobody is told it left. */
  replace(): void;
}

/** Counters of the cluster mode (totals since start). */
export interface ClusterStats {
  /** Signals handed to Redis for a peer on another node. */
  relayedOut: number;
  /** Signals from another node delivered to a local socket. */
  relayedIn: number;
  /** Messages from Redis refused as invalid (bad shape, schema failure, oversize, unknown socket). */
  invalidMessages: number;
}

/** Why a cluster operation could not be done. */
export type ClusterRefusal = 'unavailable' | 'unknown-peer';

/** The rules of a claim, decided by the joining node. */
export interface ClaimRules {
  /** The join proved its identity (`authenticate` accepted it): it may replace the id's holder. */
  readonly mayReplace: boolean;
  /** SHA-256 (hex) of the join's secret, '' without one: it may replace a holder that joined with the same one. */
  readonly digest: string;
  /** A join that would add a peer to a room of this many is refused. */
  readonly maxRoomPeers: number;
}

/** One node's attachment to the cluster; `T` is the server's per-socket state. */
export interface ClusterNode<T extends ClusterMember> {
  /** Random id of this node, as it appears in Redis keys and channels. */
  readonly nodeId: string;
  /**
   * `member` (not yet joined) claims `peerId` in `room`, by `rules`. Resolves with the room's other
   * peer ids, sorted, once this node is subscribed to the room's presence; `'unavailable'` when Redis
   * cannot be reached, `'peer-id-taken'` when a live holder may not be replaced, `'room-full'`
   * (nothing was claimed in these three cases).
   */
  claim(
    member: T,
    room: string,
    peerId: string,
    rules: ClaimRules,
  ): Promise<string[] | 'unavailable' | 'peer-id-taken' | 'room-full'>;
  /** `member` left (its socket closed): frees its peer id if it still holds it. */
  leave(member: T): void;
  /**
   * Sends `frame` to `to`, a peer of `member`'s room held by another node. Frames of one member are
   * handed to Redis in call order, and Redis keeps that order. Resolves with `'sent'` or a refusal.
   */
  relay(member: T, to: string, frame: SignalFrame): Promise<'sent' | ClusterRefusal>;
  stats(): ClusterStats;
  /** Frees this node's peer ids (presence `false` to the others), then disconnects from Redis. */
  close(): Promise<void>;
}

/** Per local member: where it is, and what it has been told. */
interface MemberState<T extends ClusterMember> {
  readonly id: string;
  readonly member: T;
  readonly room: string;
  readonly peerId: string;
  /** SHA-256 (hex) of the member's join secret, '' without one (kept in Redis with its claim). */
  readonly digest: string;
  /** Room events up to this number were already in the member's welcome. */
  since: number;
  /** The member got its welcome: presence goes to it as it arrives. */
  welcomed: boolean;
  /** Peer ids the member was told are present (welcome and presence), to tell it only changes. */
  readonly known: Set<string>;
  /**
   * While a claim or re-announce of it is under way: the room's presence, which arrives on the
   * other Redis connection and may come before the script's reply; it is folded into the reply's
   * snapshot (see `roomAfter`). A welcomed member is also told it at once.
   */
  early: PresenceEvent[] | undefined;
}

/** One presence event of a room, as published by the scripts. */
interface PresenceEvent {
  readonly seq: number;
  readonly peerId: string;
  readonly present: boolean;
}

const DEFAULT_PREFIX = 'peerstate:';
const DEFAULT_NODE_TTL_MS = 2_000;
/** Longest message accepted from Redis: a frame plus the routing header, in characters. */
const MAX_MESSAGE_CHARS = LIMITS.maxFrameBytes + 64;
/** Reconnect waits to Redis, in ms: 100, 200, ... up to this. */
const MAX_RECONNECT_WAIT_MS = 1_000;
const CONNECTION_ID = /^[0-9a-z]{1,16}$/;
/** The refusals of CLAIM's reply, by its first element (1 is success, 0 a refused re-announce). */
const CLAIM_REFUSALS: Record<number, 'peer-id-taken' | 'room-full'> = { 2: 'peer-id-taken', 3: 'room-full' };
const SEQ = /^[0-9]{1,20}$/;

/**
 * Attaches a node to the cluster: connects to Redis (two connections: commands and subscriptions)
 * and starts the heartbeat. `registry` is the server's own room registry: the cluster reads it to
 * find local holders and never changes it, except to drop a member that another node replaced.
 * @throws (rejects) RangeError for `nodeTtlMs` out of range; the connection error if Redis cannot be
 * reached at start.
 */
export async function joinCluster<T extends ClusterMember>(
  options: ClusterOptions,
  registry: RoomRegistry<T>,
): Promise<ClusterNode<T>> {
  const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
  const ttlMs = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < 300 || ttlMs > 60_000) {
    throw new RangeError(`cluster.nodeTtlMs must be an integer in [300, 60000], got ${ttlMs}`);
  }
  const nodeId = randomBytes(6).toString('hex');
  const nodeKey = `${prefix}node:${nodeId}`;
  const roomKey = (room: string) => `${prefix}room:${room}`;
  const redisOptions = {
    lazyConnect: true,
    // A command while Redis is unreachable fails at once (the client gets an error frame) rather
    // than waiting in a queue and acting late.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(100 * times, MAX_RECONNECT_WAIT_MS),
  };
  const commands = new Redis(options.redis, redisOptions);
  const subscriber = new Redis(options.redis, redisOptions);
  // Connection errors are followed by reconnects; without listeners ioredis would log them.
  commands.on('error', () => {});
  subscriber.on('error', () => {});

  const scripts = { CLAIM, LEAVE, HEARTBEAT, RELAY, SNAPSHOT };
  const sha = Object.fromEntries(
    Object.entries(scripts).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
  ) as Record<keyof typeof scripts, string>;
  const loadScripts = () => Promise.all(Object.values(scripts).map((lua) => commands.script('LOAD', lua)));
  const run = (name: keyof typeof scripts, keys: string[], args: (string | number)[]) =>
    commands.evalsha(sha[name], keys.length, ...keys, ...args);

  const members = new Map<string, MemberState<T>>();
  const byMember = new Map<T, MemberState<T>>();
  /** Local members (joined or joining) per room: the rooms this node listens to and renews. */
  const rooms = new Map<string, Set<MemberState<T>>>();
  const totals: ClusterStats = { relayedOut: 0, relayedIn: 0, invalidMessages: 0 };
  let nextConnection = 0;
  /** Scripts are loaded and the node announced on the current Redis connection. */
  let usable = false;
  let closing = false;

  const ownerOf = (state: MemberState<T>) => `${nodeId}/${state.id}`;

  const tell = (state: MemberState<T>, peerId: string, present: boolean): void => {
    if (peerId === state.peerId || state.known.has(peerId) === present) return;
    if (present) state.known.add(peerId);
    else state.known.delete(peerId);
    state.member.send({ v: PROTOCOL_VERSION, type: 'presence', peerId, present });
  };

  /**
   * The room's peer ids (without the member's own) after a CLAIM whose reply is `{ok, seq, ids...}`,
   * with the presence in `early` that is newer than the reply's snapshot applied in order: such
   * presence may arrive on the subscriber connection before the reply arrives on the command
   * connection, and is then not in the reply. Moves `state.since` past both.
   */
  const roomAfter = (state: MemberState<T>, reply: string[], early: PresenceEvent[]): Set<string> => {
    const seq = Number(reply[1]);
    const ids = new Set(reply.slice(2));
    for (const event of early) {
      state.since = Math.max(state.since, event.seq);
      if (event.seq <= seq || event.peerId === state.peerId) continue;
      if (event.present) ids.add(event.peerId);
      else ids.delete(event.peerId);
    }
    state.since = Math.max(state.since, seq);
    return ids;
  };

  const onNodeMessage = (message: string): void => {
    const newline = message.indexOf('\n');
    const head = newline < 0 ? message : message.slice(0, newline);
    const [kind, connection] = head.split(' ');
    const state =
      connection !== undefined && CONNECTION_ID.test(connection) ? members.get(connection) : undefined;
    if (message.length > MAX_MESSAGE_CHARS || state === undefined) {
      totals.invalidMessages += 1;
      return;
    }
    if (kind === 'r' && newline < 0) {
      drop(state);
      registry.leave(state.member);
      state.member.replace();
      return;
    }
    const parsed = kind === 's' && newline >= 0 ? parseServerFrame(message.slice(newline + 1)) : undefined;
    if (!parsed?.ok || parsed.frame.type !== 'signal') {
      totals.invalidMessages += 1;
      return;
    }
    if (state.member.send(parsed.frame)) totals.relayedIn += 1;
  };

  const onRoomMessage = (room: string, message: string): void => {
    const space = message.indexOf(' ');
    const seq = message.slice(0, space);
    const parsed =
      message.length <= MAX_MESSAGE_CHARS && SEQ.test(seq)
        ? parseServerFrame(message.slice(space + 1))
        : undefined;
    if (!parsed?.ok || parsed.frame.type !== 'presence') {
      totals.invalidMessages += 1;
      return;
    }
    const { peerId, present } = parsed.frame;
    for (const state of rooms.get(room) ?? []) {
      state.early?.push({ seq: Number(seq), peerId, present });
      if (state.welcomed && Number(seq) > state.since) tell(state, peerId, present);
    }
  };

  subscriber.on('message', (channel: string, message: string) => {
    if (channel === nodeKey) onNodeMessage(message);
    else if (channel.startsWith(`${prefix}room:`)) onRoomMessage(channel.slice(prefix.length + 5), message);
  });

  const drop = (state: MemberState<T>): void => {
    if (!members.delete(state.id)) return;
    byMember.delete(state.member);
    const local = rooms.get(state.room);
    local?.delete(state);
    if (local?.size !== 0) return;
    rooms.delete(state.room);
    subscriber.unsubscribe(roomKey(state.room)).catch(() => {});
  };

  /** Leaves that Redis did not take while unreachable, replayed when it is back. */
  const pendingLeaves: Array<{ room: string; peerId: string; owner: string }> = [];
  const sendLeave = (leave: { room: string; peerId: string; owner: string }): void => {
    run('LEAVE', [roomKey(leave.room)], [prefix, leave.peerId, leave.owner]).catch(() => {
      pendingLeaves.push(leave);
    });
  };

  /**
   * After (re)connecting: load the scripts, announce every local member again (Redis may have come
   * back empty) and tell each member the room as it is now. A member whose id another node holds
   * meanwhile is replaced.
   */
  const recover = async (): Promise<void> => {
    await loadScripts();
    await commands.set(nodeKey, '1', 'PX', ttlMs);
    usable = true;
    for (const leave of pendingLeaves.splice(0)) sendLeave(leave);
    for (const state of [...members.values()]) {
      // A claim under way answers for itself.
      if (!state.welcomed) continue;
      const early: PresenceEvent[] = [];
      state.early = early;
      let reply: string[];
      try {
        reply = (await run(
          'CLAIM',
          [roomKey(state.room)],
          [prefix, state.peerId, ownerOf(state), ttlMs, 'announce', '0', state.digest, 0],
        )) as string[];
      } finally {
        state.early = undefined;
      }
      if (Number(reply[0]) !== 1) {
        drop(state);
        registry.leave(state.member);
        state.member.replace();
        continue;
      }
      const now = roomAfter(state, reply, early);
      for (const peerId of [...state.known]) if (!now.has(peerId)) tell(state, peerId, false);
      for (const peerId of now) tell(state, peerId, true);
    }
  };
  let recovering: Promise<void> | undefined;
  const onReady = (): void => {
    if (closing || commands.status !== 'ready' || subscriber.status !== 'ready') return;
    recovering = (recovering ?? Promise.resolve()).then(recover).catch(() => {
      // Redis went away again mid-recovery; the next 'ready' starts over.
    });
  };
  const onLost = (): void => {
    usable = false;
  };

  await Promise.all([commands.connect(), subscriber.connect()]);
  await subscriber.subscribe(nodeKey);
  await recover();
  commands.on('ready', onReady);
  subscriber.on('ready', onReady);
  commands.on('close', onLost);
  subscriber.on('close', onLost);

  const heartbeat = setInterval(
    () => {
      if (!usable) return;
      run('HEARTBEAT', [nodeKey, ...[...rooms.keys()].map(roomKey)], [prefix, ttlMs]).catch(() => {});
    },
    Math.floor(ttlMs / 3),
  );

  return {
    nodeId,
    async claim(member, room, peerId, rules) {
      if (!usable) return 'unavailable';
      nextConnection += 1;
      const state: MemberState<T> = {
        id: nextConnection.toString(36),
        member,
        room,
        peerId,
        digest: rules.digest,
        since: 0,
        welcomed: false,
        known: new Set(),
        early: [],
      };
      members.set(state.id, state);
      byMember.set(member, state);
      rooms.set(room, (rooms.get(room) ?? new Set()).add(state));
      try {
        // Subscribed before the claim, so that no presence published after its snapshot is missed.
        await subscriber.subscribe(roomKey(room));
        const reply = (await run(
          'CLAIM',
          [roomKey(room)],
          [
            prefix,
            peerId,
            ownerOf(state),
            ttlMs,
            'join',
            rules.mayReplace ? '1' : '0',
            rules.digest,
            rules.maxRoomPeers,
          ],
        )) as string[];
        const refused = CLAIM_REFUSALS[Number(reply[0])];
        if (refused) {
          drop(state);
          return refused;
        }
        for (const id of roomAfter(state, reply, state.early ?? [])) state.known.add(id);
        state.early = undefined;
        state.welcomed = true;
        return [...state.known].sort();
      } catch {
        drop(state);
        return 'unavailable';
      }
    },
    leave(member) {
      const state = byMember.get(member);
      if (!state) return;
      drop(state);
      sendLeave({ room: state.room, peerId: state.peerId, owner: ownerOf(state) });
    },
    async relay(member, to, frame) {
      const state = byMember.get(member);
      if (!state) return 'unknown-peer';
      if (!usable) return 'unavailable';
      try {
        const receivers = Number(
          await run('RELAY', [roomKey(state.room)], [prefix, to, JSON.stringify(frame)]),
        );
        if (receivers < 0) return 'unknown-peer';
        // The holder's node is alive but not subscribed (it is reconnecting): nobody got it.
        if (receivers === 0) return 'unavailable';
        totals.relayedOut += 1;
        return 'sent';
      } catch {
        return 'unavailable';
      }
    },
    stats: () => ({ ...totals }),
    async close() {
      closing = true;
      clearInterval(heartbeat);
      if (usable) {
        await Promise.all(
          [...members.values()].map((state) =>
            run('LEAVE', [roomKey(state.room)], [prefix, state.peerId, ownerOf(state)]).catch(() => {}),
          ),
        );
        await commands.del(nodeKey).catch(() => {});
      }
      members.clear();
      byMember.clear();
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
