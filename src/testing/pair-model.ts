/**
 * The composed model of two peers: both sides' peer charts (machines/peer.ts, stepped with XState's
 * pure transition function), a model of each side's RTCPeerConnection (./pc-model.ts), each side's
 * outbox, inbox and data channel (./delivery-model.ts) with the messages its application sends, the
 * signaling path between them (messages in flight that may be delivered out of order within a
 * window, lost or duplicated), each side's signaling session, and the chart's timers (each `after`
 * may fire while its state is active). `pairSystem` makes it a transition system for
 * ./model-checker.ts; the safety invariants are in ./pair-invariants.ts and ./delivery-model.ts.
 *
 * Routing follows the system and signaling charts: a signal leaves only on the session it was stamped
 * with (machines/signaling.ts, `isCurrentSession`) and is dropped if it reaches a session the receiver
 * has left (machines/system.ts, `isStale`). Their guards are called, not rewritten.
 */

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { createActor, createEmptyActor, createMachine } from 'xstate';
import type { OutboundSignal, PeerContext, PeerEvent, PeerInput } from '../../machines/peer.js';
import { peerMachine, peerStateOf } from '../../machines/peer.js';
import { signalingMachine } from '../../machines/signaling.js';
import { systemMachine } from '../../machines/system.js';
import { providePeerMachine } from '../peer/actors.js';
import { PeerResourceRegistry } from '../peer/resources.js';
import type { Signal } from '../protocol/signals.js';
import type { RtcImplementation } from '../rtc/binding.js';
import type { DeliveryState, DeliveryStep, ResumeStep } from './delivery-model.js';
import {
  deliveryKey,
  freshDelivery,
  pcCommand,
  pcStopped,
  peerClosed,
  RESUME_OUTBOX,
  receiveFrame,
  sendAck,
} from './delivery-model.js';
import type { Move, TransitionSystem } from './model-checker.js';
import { pairViolations, stepViolations } from './pair-invariants.js';
import type { Budgets, PairState, Side, SideState, WireMessage } from './pair-state.js';
import { associated, OTHER, pcConnection, pendingOperation, SIDES } from './pair-state.js';
import type { ChannelFrame, OperationModel, PcModel } from './pc-model.js';
import { openPc, PC_OPERATIONS, pcOfUfrag, remoteUfrag } from './pc-model.js';
import { remoteCandidate } from './peer-model.js';
import type { SentEvent } from './stepper.js';
import { createStepper } from './stepper.js';

/** A planted bug: the chart, its pc operations or the routing, changed for one model check. */
export interface Mutation {
  /** Changes a copy of the peer chart's config (its implementations are kept). */
  chart?: (config: Record<string, unknown>) => void;
  /** Implementations provided over the chart's (and the model's). */
  provide?: Parameters<AnyStateMachine['provide']>[0];
  /** pc operations that replace ./pc-model.ts's (by actor source). */
  operations?: Record<string, OperationModel>;
  /** The signaling chart whose `isCurrentSession` lets a signal leave (default machines/signaling.ts). */
  signaling?: AnyStateMachine;
  /** The system chart whose `isStale` drops a frame of a left session (default machines/system.ts). */
  system?: AnyStateMachine;
  /** How the outbox resumes from the remote's hello (default `Outbox.resume`). */
  resume?: ResumeStep;
}

/** Bounds and stimuli of one model check. */
export interface PairOptions {
  /** A message may overtake up to `window - 1` messages sent before it. Default 2. */
  window?: number;
  /** Messages the channel may lose. Default 0. */
  losses?: number;
  /** Messages the channel may deliver twice. Default 0. */
  duplicates?: number;
  /** Transport faults and failed pc operations. Default 0. */
  faults?: number;
  /**
   * Timers that may fire early: while a message, an operation or a pc event is still under way. Once
   * nothing else can happen, every active timer may fire (a fair move). Default 1.
   */
  timers?: number;
  /** A state with more messages in flight is not expanded (counted as cut). Default 8. */
  capacity?: number;
  /**
   * Start from both sides connected (reached by the first fair move at each step), so that the
   * scenario's stimuli and faults are explored from there only. Default false.
   */
  startConnected?: boolean;
  /** The polite side (the greater id). Default `b`. */
  polite?: Side;
  /** Sides whose application calls `connect` at the start, in this order. Default both, `a` first. */
  connect?: Side[];
  /** Sides that may call `close()` at any point (one close in all). */
  close?: Side[];
  /** Sides that may call `restartIce()` once, at any point. */
  restartIce?: Side[];
  /** Sides that may restart as a new actor once, at any point. */
  restart?: Side[];
  /** Sides whose signaling session may be replaced once, at any point. */
  session?: Side[];
  /** Messages the applications send, one per entry by the side named, each at any point. Default none. */
  send?: Side[];
  /** Peer chart bounds. Defaults: 2 buffered candidates, 1 ICE restart, 3 reconnects. */
  maxBufferedCandidates?: number;
  maxIceRestarts?: number;
  maxReconnects?: number;
  mutation?: Mutation;
}

/** The world a side's src/-supplied guards read while its chart takes a step. */
let stepping: PcModel | null = null;

/** The peer chart as the model runs it: src/peer/actors.ts's commands, guards reading the pc model. */
function modelMachine(mutation: Mutation | undefined): AnyStateMachine {
  const rtc = {} as RtcImplementation;
  let machine: AnyStateMachine = providePeerMachine({
    rtc,
    binding: { operationTimeoutMs: 0 } as never,
    registry: new PeerResourceRegistry({ maxMessages: 1, maxBytes: 1 } as never),
    connectTimeoutMs: 1,
    disconnectedGraceMs: 1,
    iceRestartIntervalMs: 1,
    resumeTimeoutMs: 1,
    heartbeatIntervalMs: 1,
    heartbeatMisses: 1,
    reconnectPolicy: { nextDelayMs: () => 0 },
    maxMessageBytes: 1,
  }).provide({
    guards: {
      isPeerConnectionConnected: ({ context }: { context: PeerContext }) =>
        stepping?.connection === context.connection && stepping.transport === 'connected',
      isChannelOpen: ({ context }: { context: PeerContext }) =>
        stepping?.connection === context.connection && stepping.channel === 'open',
    },
  } as never);
  if (mutation?.chart) {
    const config = copyPlain(peerMachine.config) as Record<string, unknown>;
    mutation.chart(config);
    machine = createMachine(config as never, machine.implementations as never);
  }
  if (mutation?.provide) machine = machine.provide(mutation.provide);
  return machine;
}

/** A copy of plain objects and arrays; functions (guards, context factories) are shared. */
function copyPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)
    return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyPlain(v)]));
}

/** The pc model's negotiation operations with a mutation's replacements. */
function operationsOf(mutation: Mutation | undefined): Record<string, OperationModel> {
  return { ...PC_OPERATIONS, ...mutation?.operations };
}

/** ICE can connect: both pcs stable with each other's current credentials, and a candidate applied. */
function iceCanConnect(state: PairState, side: Side): boolean {
  const pc = state[side].pc;
  const peer = state[OTHER[side]].pc;
  if (!pc || !peer || !associated(state, side)) return false;
  if (pc.signalingState !== 'stable' || peer.signalingState !== 'stable') return false;
  if (pc.remote !== peer.local || peer.remote !== pc.local) return false;
  if (pc.failedUnder !== null && pc.failedUnder === pc.local) return false;
  if (peer.failedUnder !== null && peer.failedUnder === peer.local) return false;
  return pc.applied === pc.remote || peer.applied === peer.remote;
}

/** The composed model as a transition system for `checkModel`. */
export function pairSystem(options: PairOptions = {}): TransitionSystem<PairState> {
  const mutation = options.mutation;
  const machine = modelMachine(mutation);
  const stepper = createStepper(machine);
  const operations = operationsOf(mutation);
  const resume = mutation?.resume ?? RESUME_OUTBOX;
  const window = options.window ?? 2;
  const capacity = options.capacity ?? 8;
  const isCurrentSession = (mutation?.signaling ?? signalingMachine).implementations.guards
    .isCurrentSession as (args: unknown) => boolean;
  const isStale = (mutation?.system ?? systemMachine).implementations.guards.isStale as (
    args: unknown,
  ) => boolean;
  const ids: Record<Side, string> =
    options.polite === 'a' ? { a: 'bob', b: 'alice' } : { a: 'alice', b: 'bob' };
  const inputOf = (side: Side, instance: string): PeerInput => ({
    key: 1,
    localId: ids[side],
    remoteId: ids[OTHER[side]],
    maxBufferedCandidates: options.maxBufferedCandidates ?? 2,
    maxIceRestarts: options.maxIceRestarts ?? 1,
    maxReconnects: options.maxReconnects ?? 3,
    instance,
  });
  const fresh = (side: Side, instance: string): AnyMachineSnapshot =>
    createActor(machine, {
      input: inputOf(side, instance),
      parent: createEmptyActor(),
    } as never).getSnapshot();

  // States that differ only in the other side share this side's snapshot object: its steps are
  // computed once per (snapshot, event, pc the guards read).
  const memo = new WeakMap<AnyMachineSnapshot, Map<string, ReturnType<typeof stepper>>>();
  const chartStep = (snapshot: AnyMachineSnapshot, event: AnyEventObject, pc: PcModel | null) => {
    const byInput = memo.get(snapshot) ?? new Map<string, ReturnType<typeof stepper>>();
    memo.set(snapshot, byInput);
    const id = JSON.stringify([event, pc]);
    const known = byInput.get(id);
    if (known) return known;
    stepping = pc;
    const result = stepper(snapshot, event);
    stepping = null;
    byInput.set(id, result);
    return result;
  };

  /**
   * One event through one side's chart; what it sends goes to its pc model or onto the wire. `pc` and
   * `delivery` are the side's pc model and delivery state as the event finds them (a pc event or a
   * frame changed them just before).
   */
  const step = (
    state: PairState,
    side: Side,
    event: AnyEventObject,
    pc: PcModel | null = state[side].pc,
    delivery: DeliveryState = state[side].delivery,
  ) => {
    const me = state[side];
    const violations: string[] = [];
    const result = chartStep(me.snapshot, event, pc);
    const snapshot = result.snapshot;
    const connection = pcConnection(snapshot);
    const replaced = snapshot.children.pc !== me.snapshot.children.pc;
    let nextPc: PcModel | null = replaced
      ? connection === null
        ? null
        : openPc(me.instance, connection)
      : pc;
    // The pc actor that stopped stops delivering (src/peer/actors.ts); a closed peer releases its outbox.
    let nextDelivery = replaced && me.snapshot.children.pc ? pcStopped(delivery) : delivery;
    if (snapshot.status === 'done' && me.snapshot.status !== 'done') nextDelivery = peerClosed(nextDelivery);
    const wire = [...state.wire];
    for (const sent of result.sent) {
      if (sent.event.type === 'SIGNALING.SEND') {
        const out = sent.event as OutboundSignal;
        const leaves = isCurrentSession({ context: { generation: me.session }, event: out });
        const peer = state[OTHER[side]];
        if (leaves) wire.push({ from: side, toSession: peer.session, signal: out.signal });
      } else if (sent.target === 'pc' && nextPc && sent.to === snapshot.children.pc) {
        if (sent.event.type === 'ADD_CANDIDATES') nextPc = addCandidates(nextPc, sent, violations);
        else {
          const done = pcCommand(nextDelivery, nextPc, sent.event, resume);
          nextPc = done.pc;
          nextDelivery = done.delivery;
          violations.push(...done.violations);
        }
      }
    }
    const next: PairState = {
      ...state,
      [side]: { ...me, snapshot, pc: nextPc, delivery: nextDelivery },
      wire,
    };
    violations.push(...stepViolations(state, next, side, event, result.sent));
    return { state: next, violations };
  };

  /** A delivery step of `side`'s pc actor, then the events it sends back to the chart, in order. */
  const afterDelivery = (state: PairState, side: Side, done: DeliveryStep) => {
    let next = { state, violations: done.violations };
    let pc: PcModel | null = done.pc;
    let delivery = done.delivery;
    if (done.events.length === 0)
      return { state: { ...state, [side]: { ...state[side], pc, delivery } }, violations: done.violations };
    for (const event of done.events) {
      const stepped = step(next.state, side, event, pc, delivery);
      next = { state: stepped.state, violations: [...next.violations, ...stepped.violations] };
      pc = next.state[side].pc;
      delivery = next.state[side].delivery;
    }
    return next;
  };

  /** Remote candidates the chart gives its pc (src/peer/actors.ts's `ADD_CANDIDATES`), applied to the pc model. */
  const addCandidates = (pc: PcModel, sent: SentEvent, violations: string[]): PcModel => {
    let applied = pc.applied;
    for (const candidate of sent.event.candidates as ({ usernameFragment?: string } | null)[]) {
      if (candidate === null) continue;
      const remote = remoteUfrag(pc);
      if (remote === null) violations.push('a remote candidate was applied before any remote description');
      else if (candidate.usernameFragment !== remote)
        violations.push('a remote candidate of another ICE generation or pc was applied');
      else applied = remote;
    }
    return applied === pc.applied ? pc : { ...pc, applied };
  };

  /** Delivers a signal from the wire: routed by the system chart, as the event it makes of it. */
  const deliver = (state: PairState, message: WireMessage, wire: WireMessage[]) => {
    const to = OTHER[message.from];
    const receiver = state[to];
    const base: PairState = { ...state, wire };
    const stale = isStale({
      context: { generation: receiver.session },
      event: { type: 'SIGNALING.FRAME', generation: message.toSession },
    });
    if (stale) return { state: base, violations: [] };
    const { signal } = message;
    const common = {
      generation: message.toSession,
      instance: signal.instance ?? '',
      connection: signal.connection ?? 0,
    };
    const event: PeerEvent =
      signal.type === 'description'
        ? { type: 'SIGNAL.DESCRIPTION', ...common, description: signal.description }
        : signal.type === 'candidate'
          ? { type: 'SIGNAL.CANDIDATE', ...common, candidate: signal.candidate }
          : signal.type === 'hello'
            ? { type: 'SIGNAL.HELLO', ...common }
            : { type: 'SIGNAL.BYE', ...common };
    return step(base, to, event);
  };

  const moves = (state: PairState): Move<PairState>[] => {
    const out: Move<PairState>[] = [];
    const clocks: { label: string; side: Side; event: AnyEventObject }[] = [];
    const add = (label: string, fair: boolean, next: () => { state: PairState; violations: string[] }) =>
      out.push({ label, fair, next });
    const spend = (state: PairState, change: Partial<Budgets>): PairState => ({
      ...state,
      left: { ...state.left, ...change },
    });

    for (const [i, message] of state.wire.entries()) {
      if (i >= window) break;
      const rest = [...state.wire.slice(0, i), ...state.wire.slice(i + 1)];
      const label = `${OTHER[message.from]} ← ${message.from}: ${describeSignal(message.signal)}`;
      add(label, true, () => deliver(state, message, rest));
      if (state.left.losses > 0)
        add(`lost: ${label}`, false, () => ({
          state: spend({ ...state, wire: rest }, { losses: state.left.losses - 1 }),
          violations: [],
        }));
      if (state.left.duplicates > 0)
        add(`twice: ${label}`, false, () =>
          deliver(spend(state, { duplicates: state.left.duplicates - 1 }), message, state.wire),
        );
    }

    for (const side of SIDES) {
      const me = state[side];
      const other = OTHER[side];
      if (me.snapshot.status !== 'active') continue;
      const pc = me.pc;
      const [notice, ...notices] = me.notices;
      if (notice)
        add(`${side}: ${notice.type}`, true, () =>
          step({ ...state, [side]: { ...me, notices } }, side, notice),
        );

      const operation = pendingOperation(me.snapshot, operations);
      const model = operation && operations[operation.src];
      if (operation && model && pc) {
        const result = model(pc, operation.input);
        if (result.ok)
          add(`${side}: ${operation.src} done`, true, () =>
            step(
              state,
              side,
              { type: `xstate.done.actor.${operation.id}`, output: result.output },
              result.pc,
            ),
          );
        else
          add(`${side}: ${operation.src} rejected`, true, () => {
            const next = step(state, side, {
              type: `xstate.error.actor.${operation.id}`,
              error: new Error(result.invalid),
            });
            return {
              state: next.state,
              violations: [`${operation.src}: ${result.invalid}`, ...next.violations],
            };
          });
        if (state.left.faults > 0 && result.ok)
          add(`${side}: ${operation.src} failed`, false, () =>
            step(spend(state, { faults: state.left.faults - 1 }), side, {
              type: `xstate.error.actor.${operation.id}`,
              error: new Error('model: the operation failed'),
            }),
          );
      }

      if (pc) {
        const peerPc = state[other].pc;
        const paired = associated(state, side);
        if (pc.gather !== null) {
          const candidate = remoteCandidate(pc.gather);
          add(`${side}: gathered ${pc.gather}`, true, () =>
            step(state, side, { type: 'PC.ICE_CANDIDATE', candidate }, { ...pc, gather: null }),
          );
        }
        const transport = (
          to: PcModel['transport'],
          label: string,
          fair: boolean,
          faults = state.left.faults,
        ) =>
          add(`${side}: ${label}`, fair, () =>
            step(
              spend(state, { faults }),
              side,
              { type: 'PC.CONNECTION_STATE', state: to },
              { ...pc, transport: to, failedUnder: to === 'failed' ? pc.local : pc.failedUnder },
            ),
          );
        if (pc.transport !== 'connected' && iceCanConnect(state, side))
          transport('connected', 'ICE connected', true);
        if (pc.transport === 'connected' && state.left.faults > 0) {
          transport('disconnected', 'ICE disconnected (fault)', false, state.left.faults - 1);
          transport('failed', 'ICE failed (fault)', false, state.left.faults - 1);
        }
        const peerGone =
          pc.remote !== null && !paired && (pc.transport === 'connected' || pc.transport === 'disconnected');
        // The pc it was paired with closed: consent checks fail, the channel closes.
        if (peerGone) transport('failed', 'ICE failed (remote pc gone)', true);
        if (pc.channel === 'open' && pc.remote !== null && !paired && pc.transport !== 'connected')
          add(`${side}: channel closed`, true, () =>
            step(state, side, { type: 'CHANNEL.CLOSE' }, { ...pc, channel: 'closed', outgoing: [] }),
          );
        if (
          pc.channel === 'connecting' &&
          pc.transport === 'connected' &&
          paired &&
          peerPc?.transport === 'connected'
        )
          add(`${side}: channel open`, true, () =>
            step(state, side, { type: 'CHANNEL.OPEN' }, { ...pc, channel: 'open' }),
          );
        const [frame, ...inFlight] = peerPc?.outgoing ?? [];
        if (frame && peerPc && paired && pc.channel === 'open')
          add(`${side} ← ${other}: ${describeFrame(frame)}`, true, () => {
            const sent: PairState = {
              ...state,
              [other]: { ...state[other], pc: { ...peerPc, outgoing: inFlight } },
            };
            return afterDelivery(sent, side, receiveFrame(me.delivery, pc, frame));
          });
        if (pc.ackDue)
          add(`${side}: ack timer`, true, () => ({
            state: { ...state, [side]: { ...me, pc: sendAck(me.delivery, pc) } },
            violations: [],
          }));
        const peerUp =
          paired && peerPc?.transport === 'connected' && peerStateOf(state[other].snapshot) === 'connected';
        if (peerStateOf(me.snapshot) === 'connected' && !peerUp)
          clocks.push({ label: `${side}: heartbeat lost`, side, event: { type: 'HEARTBEAT.LOST' } });
      }
      for (const timer of timersOf(me.snapshot))
        clocks.push({
          label: `${side}: ${timer.replace(/^xstate\.after\.([^.]+)\..*$/, 'after $1')}`,
          side,
          event: { type: timer },
        });

      if (peerStateOf(me.snapshot) === 'failed')
        add(`${side}: connect (after failed)`, true, () => step(state, side, { type: 'CONNECT' }));
      if (state.left.send.includes(side))
        add(`${side}: send ${me.instance}:${me.sent + 1}`, false, () => {
          const data = `${me.instance}:${me.sent + 1}`;
          const outbox = me.delivery.outbox.copy();
          // src/peer/actors.ts's `enqueueMessage` (the chart's SEND, in every state of an open peer).
          outbox.push(data);
          const rest = [...state.left.send];
          rest.splice(rest.indexOf(side), 1);
          const next = spend({ ...state, [side]: { ...me, sent: me.sent + 1 } }, { send: rest });
          return step(next, side, { type: 'SEND', data }, me.pc, { ...me.delivery, outbox });
        });
      if (state.left.close.includes(side))
        add(`${side}: close()`, false, () =>
          step({ ...spend(state, { close: [] }), closed: side }, side, { type: 'CLOSE' }),
        );
      if (state.left.restartIce.includes(side))
        add(`${side}: restartIce()`, false, () =>
          step(spend(state, { restartIce: state.left.restartIce.filter((s) => s !== side) }), side, {
            type: 'RESTART_ICE',
          }),
        );
      if (state.left.restart.includes(side))
        add(`${side}: restarts as a new actor`, false, () => {
          const instance = `${side}${Number(me.instance.slice(1)) + 1}`;
          const reborn: SideState = {
            ...me,
            snapshot: fresh(side, instance),
            pc: null,
            instance,
            notices: [],
            delivery: freshDelivery(),
            sent: 0,
          };
          const next = spend(
            { ...state, [side]: reborn },
            { restart: state.left.restart.filter((s) => s !== side) },
          );
          const present = step(next, side, { type: 'REMOTE.PRESENT', generation: me.session });
          const connected = step(present.state, side, { type: 'CONNECT' });
          return { state: connected.state, violations: [...present.violations, ...connected.violations] };
        });
      if (state.left.session.includes(side))
        add(`${side}: signaling session replaced`, false, () => {
          const session = me.session + 1;
          const peer = state[other];
          const next = spend(
            {
              ...state,
              [side]: {
                ...me,
                session,
                notices: [...me.notices, { type: 'REMOTE.PRESENT', generation: session }],
              },
              // The server tells the other side this one left and came back, on the other's session.
              [other]: {
                ...peer,
                notices: [
                  ...peer.notices,
                  { type: 'REMOTE.ABSENT' },
                  { type: 'REMOTE.PRESENT', generation: peer.session },
                ],
              },
            },
            { session: state.left.session.filter((s) => s !== side) },
          );
          return { state: next, violations: [] };
        });
    }
    // Timers are slow next to everything else: they fire freely once nothing else is under way.
    const quiet = !out.some((move) => move.fair);
    for (const clock of clocks) {
      if (quiet) add(clock.label, true, () => step(state, clock.side, clock.event));
      else if (state.left.timers > 0)
        add(`${clock.label} (early)`, false, () =>
          step(spend(state, { timers: state.left.timers - 1 }), clock.side, clock.event),
        );
    }
    return out;
  };

  const sideOf = (side: Side, connect: boolean): SideState => {
    const instance = `${side}1`;
    let snapshot = stepper(fresh(side, instance), { type: 'REMOTE.PRESENT', generation: 1 }).snapshot;
    if (connect) snapshot = stepper(snapshot, { type: 'CONNECT' }).snapshot;
    return { snapshot, pc: null, session: 1, instance, notices: [], delivery: freshDelivery(), sent: 0 };
  };
  const connect = options.connect ?? SIDES;
  let initial: PairState = {
    a: sideOf('a', false),
    b: sideOf('b', false),
    wire: [],
    left: {
      losses: options.losses ?? 0,
      duplicates: options.duplicates ?? 0,
      faults: options.faults ?? 0,
      timers: options.timers ?? 1,
      close: options.close ?? [],
      restartIce: options.restartIce ?? [],
      restart: options.restart ?? [],
      session: options.session ?? [],
      send: options.send ?? [],
    },
    closed: null,
  };
  // The applications call connect (in this order): the attempt's first steps are part of the model.
  for (const side of connect) initial = step(initial, side, { type: 'CONNECT' }).state;
  const bothConnected = (state: PairState) =>
    SIDES.every((side) => peerStateOf(state[side].snapshot) === 'connected');
  for (let steps = 0; options.startConnected && !bothConnected(initial); steps++) {
    const move = moves(initial).find((m) => m.fair);
    if (!move || steps > 200) throw new Error('the model does not connect by its first fair moves');
    initial = move.next().state;
  }

  return {
    initial,
    key: canonicalKey,
    moves,
    check: pairViolations,
    goal: (state) => {
      // Connected, and every message sent so far acknowledged: delivered.
      if (state.closed === null)
        return bothConnected(state) && SIDES.every((side) => state[side].delivery.outbox.size === 0);
      const other = state[OTHER[state.closed]];
      return state[state.closed].snapshot.status === 'done' && other.pc === null;
    },
    withinBounds: (state) => state.wire.length <= capacity,
  };
}

/** The delayed events of a snapshot's active states: each may fire while its state is active. */
function timersOf(snapshot: AnyMachineSnapshot): string[] {
  const timers: string[] = [];
  for (const node of snapshot._nodes as { after: { eventType: string }[] }[])
    for (const transition of node.after)
      if (!timers.includes(transition.eventType)) timers.push(transition.eventType);
  return timers;
}

/** A data-channel frame for paths: `hello 0 (b1 for a1)`, `a1:1 #1`, `ack 1`. */
function describeFrame(frame: ChannelFrame): string {
  if (frame.kind === 'hello')
    return `channel hello ${frame.lastDelivered} (${frame.instance} for ${frame.forInstance || '-'})`;
  if (frame.kind === 'message') return `message ${frame.data} #${frame.seq}`;
  return `ack ${frame.delivered}`;
}

/** A short description of a signal for paths: `offer a1c1g0`, `candidate a1c1g0`, `hello`, `bye`. */
function describeSignal(signal: Signal): string {
  const from = `#${signal.connection}`;
  if (signal.type === 'description') {
    const ufrag = /a=ice-ufrag:(\S+)/.exec(signal.description.sdp ?? '')?.[1] ?? '?';
    return `${signal.description.type} ${ufrag} (${signal.instance}${from})`;
  }
  if (signal.type === 'candidate')
    return `candidate ${signal.candidate?.usernameFragment ?? 'end'} (${signal.instance}${from})`;
  return `${signal.type} (${signal.instance}${from})`;
}

/**
 * The canonical form of a composed state: what the charts' guards and the models can tell apart.
 * Connection numbers and ICE generations are only ever compared (equal, greater), so they are
 * renumbered by rank per actor instance: states that differ only in how many pcs came before are one.
 * `error` is left out (no guard reads it).
 */
export function canonicalKey(state: PairState): string {
  const connections = new Map<string, Set<number>>();
  const generations = new Map<string, Set<number>>();
  const note = (instance: string | null, connection: number | null) => {
    if (instance === null || connection === null) return;
    const set = connections.get(instance) ?? new Set<number>();
    connections.set(instance, set.add(connection));
  };
  const noteUfrag = (ufrag: string | null | undefined) => {
    if (!ufrag) return;
    const { instance, connection, generation } = pcOfUfrag(ufrag);
    note(instance, connection);
    const id = `${instance}c${connection}`;
    const set = generations.get(id) ?? new Set<number>();
    generations.set(id, set.add(generation));
  };
  const candidateUfrag = (c: unknown) =>
    (c as { usernameFragment?: string } | null)?.usernameFragment ?? null;
  for (const side of SIDES) {
    const { snapshot, pc, instance } = state[side];
    const c = snapshot.context as PeerContext;
    note(instance, c.connection);
    note(c.remoteInstance, c.remoteConnection);
    noteUfrag(c.remoteUfrag);
    for (const candidate of c.bufferedCandidates) noteUfrag(candidateUfrag(candidate));
    if (pc)
      for (const u of [
        pc.local,
        pc.pendingLocal,
        pc.remote,
        pc.pendingRemote,
        pc.gather,
        pc.applied,
        pc.failedUnder,
      ])
        noteUfrag(u);
  }
  for (const m of state.wire) {
    note(m.signal.instance ?? null, m.signal.connection ?? null);
    if (m.signal.type === 'candidate') noteUfrag(candidateUfrag(m.signal.candidate));
    if (m.signal.type === 'description')
      noteUfrag(/a=ice-ufrag:(\S+)/.exec(m.signal.description.sdp ?? '')?.[1]);
  }
  const rank = (set: Set<number> | undefined, n: number) => [...(set ?? [])].sort((x, y) => x - y).indexOf(n);
  const C = (instance: string | null, n: number | null) =>
    instance === null || n === null ? null : `${instance}#${rank(connections.get(instance), n)}`;
  const U = (ufrag: string | null | undefined) => {
    if (!ufrag) return null;
    const { instance, connection, generation } = pcOfUfrag(ufrag);
    return `${C(instance, connection)}g${rank(generations.get(`${instance}c${connection}`), generation)}`;
  };
  const sides = SIDES.map((side) => {
    const { snapshot, pc, instance, session, notices, delivery, sent } = state[side];
    const c = snapshot.context as PeerContext;
    return [
      deliveryKey(delivery, pc),
      sent,
      snapshot.status,
      snapshot.value,
      instance,
      session,
      notices,
      c.generation,
      c.sessionGeneration,
      c.remotePresent,
      c.iceRestarts,
      c.reconnects,
      c.paired,
      c.pcWasConnected,
      c.remoteResumePoint !== null,
      C(instance, c.connection),
      C(c.remoteInstance, c.remoteConnection),
      U(c.remoteUfrag),
      c.bufferedCandidates.map((candidate) => U(candidateUfrag(candidate))),
      pc && [
        C(pc.instance, pc.connection),
        pc.signalingState,
        U(pc.local),
        U(pc.pendingLocal),
        U(pc.remote),
        U(pc.pendingRemote),
        U(pc.gather),
        U(pc.applied),
        pc.transport,
        U(pc.failedUnder),
        pc.channel,
        pc.outgoing,
        pc.resumed,
        pc.resyncAsked,
        pc.ackDue,
        pc.sentMax,
      ],
    ];
  });
  const wire = state.wire.map((m) => {
    const s = m.signal;
    const payload =
      s.type === 'description'
        ? [s.description.type, U(/a=ice-ufrag:(\S+)/.exec(s.description.sdp ?? '')?.[1])]
        : s.type === 'candidate'
          ? U(candidateUfrag(s.candidate))
          : null;
    return [m.from, m.toSession, s.type, C(s.instance ?? null, s.connection ?? null), payload];
  });
  return JSON.stringify([sides, wire, state.left, state.closed]);
}
