/**
 * The delivery layer of the composed model check (./pair-model.ts): each side's outbox and inbox
 * (src/peer/delivery.ts's own `Outbox` and `Inbox`, stepped on copies), the frames on each pc's data
 * channel, and what the pc actor and its receiver do with them as src/peer/actors.ts does it: the
 * channel hello, RESUME, the flushes, cumulative acks, the resync hello after a gap, messages held
 * until `connected`. Frames are made by src/protocol/frames.ts's encoders (and the outbox's own
 * `encodeMessage`) and read back with its decoder.
 *
 * The delivery invariants are checked here, as frames are sent and messages delivered: each message
 * reaches a receiving actor instance at most once and in order (no gap between two of one sender
 * instance), and no message goes twice over the channel that carried it unless the receiver asked
 * for it again (a resync hello): an ICE restart keeps the SCTP association, which still delivers it.
 *
 * Every function returns new values; a state's outbox, inbox and pc model are never changed.
 */

import type { PeerEvent } from '../../machines/peer.js';
import type { FrameSink, HelloVerdict } from '../peer/delivery.js';
import { Inbox, Outbox } from '../peer/delivery.js';
import { decodeFrame, encodeAck, encodeHello } from '../protocol/frames.js';
import type { ChannelFrame, PcModel } from './pc-model.js';

/** A side's delivery state: what src/peer/resources.ts's `PeerResources` holds of it. */
export interface DeliveryState {
  outbox: Outbox;
  inbox: Inbox;
  /** The remote's latest hello, kept for the chart's RESUME. */
  remoteHello: HelloVerdict | null;
  /** Messages go to the application now (between HEARTBEAT.START and HEARTBEAT.STOP). */
  delivering: boolean;
  /** Messages taken while not connected, in order: the application gets them on HEARTBEAT.START. */
  pending: string[];
  /** What this actor instance's application received, in order. */
  received: string[];
}

/** How the outbox resumes from the remote's hello (src/peer/actors.ts's RESUME; a planted bug replaces it). */
export type ResumeStep = (
  outbox: Outbox,
  lastDelivered: number,
  sink: FrameSink,
  sameNumbering: boolean,
) => void;

/** The outbox's own resume. */
export const RESUME_OUTBOX: ResumeStep = (outbox, lastDelivered, sink, sameNumbering) =>
  outbox.resume(lastDelivered, sink, sameNumbering);

/** What a delivery step made: the side's delivery state and pc after it, events for the chart, broken invariants. */
export interface DeliveryStep {
  delivery: DeliveryState;
  pc: PcModel;
  /** Events the pc actor sends back to the chart (CHANNEL.HELLO). */
  events: PeerEvent[];
  violations: string[];
}

/** A new actor's delivery state (src/peer/resources.ts opens one per actor). */
export function freshDelivery(): DeliveryState {
  return {
    outbox: new Outbox({ maxMessages: 8, maxBytes: 1 << 16 }),
    inbox: new Inbox(),
    remoteHello: null,
    delivering: false,
    pending: [],
    received: [],
  };
}

/** The data channel of one modelled pc, as the outbox sees it: open or not; every frame it sends is kept. */
class ModelSink implements FrameSink {
  canSend = false;
  /** Large enough that every model message is one frame. */
  readonly maxFrameBytes = 1 << 16;
  frames: Uint8Array[] = [];
  send(frame: Uint8Array): void {
    this.frames.push(frame);
  }
}

/** One sink per pc (the outbox compares channels by identity: the same pc must be the same sink). */
const sinks = new Map<string, ModelSink>();
function sinkOf(pc: PcModel): ModelSink {
  const key = `${pc.instance}c${pc.connection}`;
  const sink = sinks.get(key) ?? new ModelSink();
  sinks.set(key, sink);
  return sink;
}

/** The pc's sink, ready for a step: open as its channel is, nothing sent yet. */
function openSink(pc: PcModel): ModelSink {
  const sink = sinkOf(pc);
  sink.canSend = pc.channel === 'open';
  sink.frames = [];
  return sink;
}

const utf8 = new TextDecoder();

/** A frame as the remote decodes it (src/protocol/frames.ts). */
function decoded(frame: Uint8Array): ChannelFrame {
  const read = decodeFrame(frame);
  if (read.kind === 'hello' || read.kind === 'ack') return read;
  if (read.kind === 'last' && read.text)
    return { kind: 'message', seq: read.seq, data: utf8.decode(read.bytes) };
  throw new Error(`model: unexpected frame ${read.kind}`);
}

/** Puts what `sink` took onto the pc's channel; a message sent again on it is a violation. */
function transmit(pc: PcModel, sink: ModelSink, violations: string[]): PcModel {
  if (sink.frames.length === 0) return pc;
  let sentMax = pc.sentMax;
  const outgoing = [...pc.outgoing];
  for (const frame of sink.frames) {
    const read = decoded(frame);
    if (read.kind === 'message') {
      if (read.seq <= sentMax)
        violations.push(
          `${pc.instance}: message ${read.seq} (${read.data}) sent again on the channel that carried it`,
        );
      sentMax = Math.max(sentMax, read.seq);
    }
    outgoing.push(read);
  }
  return { ...pc, outgoing, sentMax };
}

/** Sends what the outbox may send now (src/peer/actors.ts `flushNow`). */
function flush(delivery: DeliveryState, pc: PcModel, violations: string[]): DeliveryStep {
  const outbox = delivery.outbox.copy();
  const sink = openSink(pc);
  outbox.flush(sink);
  return { delivery: { ...delivery, outbox }, pc: transmit(pc, sink, violations), events: [], violations };
}

/** Our hello on the channel, if it is open (src/peer/actors.ts `helloFrame`). */
function sendHello(delivery: DeliveryState, pc: PcModel): PcModel {
  if (pc.channel !== 'open') return pc;
  const { inbox } = delivery;
  const frame = decoded(encodeHello(inbox.lastDelivered, pc.instance, inbox.remoteInstance ?? ''));
  return { ...pc, outgoing: [...pc.outgoing, frame] };
}

/**
 * Messages reaching the application: each one of a sender instance must follow the one before it
 * from that instance (once, in order, nothing skipped); the first may be any (earlier ones may have
 * gone to an earlier instance of this receiver).
 */
function toApplication(
  received: string[],
  messages: string[],
  receiver: string,
  violations: string[],
): string[] {
  const out = [...received];
  for (const message of messages) {
    const [sender, n] = message.split(':');
    const before = out.filter((m) => m.startsWith(`${sender}:`)).at(-1);
    if (before !== undefined) {
      const last = Number(before.split(':')[1]);
      if (Number(n) <= last)
        violations.push(`${receiver}: ${message} delivered after ${before} (twice or out of order)`);
      else if (Number(n) !== last + 1)
        violations.push(`${receiver}: ${message} delivered, ${before} before it: one skipped`);
    }
    out.push(message);
  }
  return out;
}

/** A command of the chart to its pc actor, for the delivery layer (src/peer/actors.ts `receive`). */
export function pcCommand(
  delivery: DeliveryState,
  pc: PcModel,
  command: { type: string; lastDelivered?: number },
  resume: ResumeStep,
): DeliveryStep {
  const violations: string[] = [];
  const same = (next: Partial<DeliveryState>, nextPc = pc): DeliveryStep => ({
    delivery: { ...delivery, ...next },
    pc: nextPc,
    events: [],
    violations,
  });
  switch (command.type) {
    case 'SEND_HELLO':
      return same({}, sendHello(delivery, pc));
    case 'FLUSH':
      return flush(delivery, pc, violations);
    case 'FLUSH_FIRST':
      return delivery.outbox.neverSent ? flush(delivery, pc, violations) : same({});
    case 'RESUME': {
      const outbox = delivery.outbox.copy();
      resume(outbox, command.lastDelivered ?? 0, openSink(pc), delivery.remoteHello?.sameNumbering ?? true);
      return same({ outbox, remoteHello: null }, { ...pc, resumed: true });
    }
    case 'HEARTBEAT.START':
      return same({
        delivering: true,
        pending: [],
        received: toApplication(delivery.received, delivery.pending, pc.instance, violations),
      });
    case 'HEARTBEAT.STOP':
      return same({ delivering: false }, { ...pc, resumed: false });
    default:
      return same({});
  }
}

/** One frame of the remote arrives on `pc`'s channel (src/peer/actors.ts `createReceiver`). */
export function receiveFrame(delivery: DeliveryState, pc: PcModel, frame: ChannelFrame): DeliveryStep {
  const violations: string[] = [];
  if (frame.kind === 'ack') {
    const outbox = delivery.outbox.copy();
    outbox.acknowledge(frame.delivered);
    return { delivery: { ...delivery, outbox }, pc, events: [], violations };
  }
  const inbox = Object.assign(new Inbox(), delivery.inbox);
  if (frame.kind === 'hello') {
    const verdict = inbox.hello(frame, pc.instance);
    const event: PeerEvent = { type: 'CHANNEL.HELLO', lastDelivered: verdict.lastDelivered };
    if (!pc.resumed)
      return { delivery: { ...delivery, inbox, remoteHello: verdict }, pc, events: [event], violations };
    // Connected already: the remote refused a message and asks again from its resume point.
    const outbox = delivery.outbox.copy();
    const sink = openSink(pc);
    outbox.resync(verdict.lastDelivered, sink, verdict.sameNumbering);
    const from = verdict.sameNumbering ? verdict.lastDelivered : 0;
    const again = { ...pc, sentMax: Math.min(pc.sentMax, from) };
    const sent = flush({ ...delivery, inbox, outbox, remoteHello: null }, again, violations);
    return { ...sent, events: [event] };
  }
  const verdict = inbox.accept(frame.seq);
  let next: DeliveryState = { ...delivery, inbox };
  let nextPc: PcModel = { ...pc, ackDue: true };
  if (verdict === 'deliver') {
    nextPc.resyncAsked = false;
    next = delivery.delivering
      ? { ...next, received: toApplication(delivery.received, [frame.data], pc.instance, violations) }
      : { ...next, pending: [...delivery.pending, frame.data] };
  } else if (verdict === 'gap' && !pc.resyncAsked) {
    nextPc = sendHello(next, { ...nextPc, resyncAsked: true });
  }
  return { delivery: next, pc: nextPc, events: [], violations };
}

/** The receiver's ack timer fires: a cumulative ack, if the channel is open. */
export function sendAck(delivery: DeliveryState, pc: PcModel): PcModel {
  const ack = pc.channel === 'open' ? [decoded(encodeAck(delivery.inbox.lastDelivered))] : [];
  return { ...pc, ackDue: false, outgoing: [...pc.outgoing, ...ack] };
}

/** The pc actor stopped (its pc replaced or closed): nothing goes to the application until connected again. */
export function pcStopped(delivery: DeliveryState): DeliveryState {
  return delivery.delivering ? { ...delivery, delivering: false } : delivery;
}

/** The peer closed: the outbox is emptied (reported undelivered), so are the messages waiting for connected. */
export function peerClosed(delivery: DeliveryState): DeliveryState {
  const outbox = delivery.outbox.copy();
  outbox.takeAll();
  return { ...delivery, outbox, pending: [], delivering: false };
}

/** The delivery state in the canonical form: what later steps can tell apart. */
export function deliveryKey(delivery: DeliveryState, pc: PcModel | null): unknown {
  const { held, nextSeq, acknowledgedUpTo, sentOn } = delivery.outbox.contents;
  const channel = sentOn === null ? 'none' : pc && sentOn === sinkOf(pc) ? 'this pc' : 'an old pc';
  return [
    held.map((m) => [m.seq, m.data, m.sent]),
    nextSeq,
    acknowledgedUpTo,
    channel,
    delivery.inbox.lastDelivered,
    delivery.inbox.remoteInstance,
    delivery.remoteHello && [delivery.remoteHello.lastDelivered, delivery.remoteHello.sameNumbering],
    delivery.delivering,
    delivery.pending,
    delivery.received,
  ];
}
