/**
 * The implementations the peer chart is provided with: its actors (the RTCPeerConnection, the
 * negotiation steps), its actions that touch the pc or the outbox, and its delays.
 */
import type { AnyActorRef } from 'xstate';
import { assertEvent, fromCallback, fromPromise, sendTo } from 'xstate';
import type {
  LocalDescriptionOutput,
  OperationInput,
  PeerConnectionCommand,
  PeerContext,
  PeerEvent,
  PeerResourcesInput,
  RemoteDescriptionOutput,
} from '../../machines/peer.js';
import { isOfGeneration, peerMachine } from '../../machines/peer.js';
import { PeerstateError, UndeliveredError } from '../errors.js';
import {
  decodeFrame,
  encodeAck,
  encodeHello,
  encodePing,
  encodePong,
  payloadBytes,
  Reassembler,
} from '../protocol/frames.js';
import type { Description } from '../protocol/signals.js';
import type { ReconnectPolicy } from '../reconnect-policy.js';
import type { BindingOptions, RtcImplementation } from '../rtc/binding.js';
import { PeerConnectionBinding } from '../rtc/binding.js';
import type { HelloVerdict } from './delivery.js';
import type { PeerResourceRegistry, PeerResources } from './resources.js';
import { HeartbeatRoundTrip } from './round-trip.js';

/** What the peer implementations need. */
export interface PeerDependencies {
  rtc: RtcImplementation;
  binding: BindingOptions;
  registry: PeerResourceRegistry;
  /** Time `connecting` and `handshaking` may each take, in ms. */
  connectTimeoutMs: number;
  /** Time ICE may stay `disconnected` before an ICE restart, in ms. */
  disconnectedGraceMs: number;
  /** While restarting, time one ICE restart may take before the next, in ms. */
  iceRestartIntervalMs: number;
  /** After an ICE restart, time the resume handshake may take before a full reconnect, in ms. */
  resumeTimeoutMs: number;
  /** Heartbeat period, in ms. */
  heartbeatIntervalMs: number;
  /** Heartbeat periods without any frame from the remote before it counts as lost. */
  heartbeatMisses: number;
  /** The wait before full reconnect n (1 for the first), in ms; `null` counts as no wait (the chart stops at maxReconnects). */
  reconnectPolicy: ReconnectPolicy;
  /** Largest message accepted from the remote after reassembly, in bytes. */
  maxMessageBytes: number;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The binding of the pc the chart means now: its connection number must match, because a pc that
 * was just stopped (or not yet started) in the same step is still (or not yet) registered.
 */
function currentBinding(
  registry: PeerResourceRegistry,
  input: { key: number; connection: number },
): PeerConnectionBinding | null {
  const binding = registry.get(input.key)?.binding;
  return binding && binding.connection === input.connection ? binding : null;
}

/** The current binding for a negotiation step; without one the step fails (never a TypeError). */
function bindingOf(
  registry: PeerResourceRegistry,
  input: { key: number; connection: number },
): PeerConnectionBinding {
  const binding = currentBinding(registry, input);
  if (!binding)
    throw new PeerstateError('negotiation-failed', `no RTCPeerConnection #${input.connection} for this peer`);
  return binding;
}

/** Send an ack after this many delivered messages, or `ACK_DELAY_MS` after the first unacknowledged one. */
const ACK_EVERY = 32;
const ACK_DELAY_MS = 20;

/**
 * The receiving end of one data channel: control frames go to `onHello` (hello) or release the
 * outbox (ack); message frames are reassembled, delivered once and in order, and acknowledged
 * cumulatively (every ACK_EVERY messages, or after ACK_DELAY_MS). A message refused as a gap is
 * answered with our hello, once until a message is delivered again: the sender learns where we
 * stand and in whose numbering, and sends again from there.
 *
 * A ping asking for a reply goes to `heartbeat.ping`, a pong to `heartbeat.pong`.
 *
 * A frame that breaks the protocol (malformed, a part too small, chunks of two messages
 * interleaved, a message over `maxMessageBytes`, text that is not UTF-8) is reported once as
 * `invalid-frame` and ends this connection through `onViolation`: every later frame of the channel
 * is ignored, and the peer recovers on a new one, where delivery resumes from what was delivered.
 */
function createReceiver(
  registry: PeerResourceRegistry,
  resources: PeerResources,
  binding: () => PeerConnectionBinding,
  onHello: (verdict: HelloVerdict) => void,
  onViolation: (reason: string) => void,
  heartbeat: { ping(token: number): void; pong(token: number): void },
  maxMessageBytes: number,
) {
  const reassembler = new Reassembler(maxMessageBytes);
  /** A resync hello went out for the current run of gaps; cleared by the next delivery. */
  let resyncAsked = false;
  let unacked = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const report = (reason: string) =>
    registry.errors.next(
      new PeerstateError('invalid-frame', `from ${resources.remoteId}: ${reason}`, {
        peerId: resources.remoteId,
      }),
    );
  const sendAck = () => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    unacked = 0;
    // An ack that cannot be sent now is repeated by the next one, or replaced by the next hello.
    try {
      if (binding().isChannelOpen) binding().send(encodeAck(resources.inbox.lastDelivered));
    } catch {}
  };
  let violated = false;
  const violate = (reason: string) => {
    violated = true;
    report(reason);
    onViolation(reason);
  };
  return {
    receive(raw: ArrayBuffer | string): void {
      if (violated) return;
      const frame = decodeFrame(raw);
      switch (frame.kind) {
        case 'ping':
          if (frame.token > 0) heartbeat.ping(frame.token);
          return;
        case 'pong':
          heartbeat.pong(frame.token);
          return;
        case 'hello':
          onHello(resources.inbox.hello(frame, resources.instance));
          return;
        case 'ack':
          resources.outbox.acknowledge(frame.delivered);
          return;
        case 'invalid':
          violate(frame.reason);
          return;
      }
      const message = reassembler.push(frame);
      if (message === null) return;
      if (message instanceof Error) {
        violate(message.message);
        return;
      }
      // Not connected yet: the message waits, bounded; one that does not fit is not taken (no
      // acknowledgement, the inbox does not move), so the remote sends it again after the resume.
      const bytes = payloadBytes(message.data);
      if (!resources.delivering && resources.pendingBytes + bytes > maxMessageBytes) {
        report(`message ${message.seq} refused: ${resources.pendingBytes} bytes already wait for connected`);
        return;
      }
      const verdict = resources.inbox.accept(message.seq);
      if (verdict === 'deliver') {
        resyncAsked = false;
        if (resources.delivering) registry.messages.next({ from: resources.remoteId, data: message.data });
        else {
          resources.pending.push(message.data);
          resources.pendingBytes += bytes;
        }
      } else if (verdict === 'gap') {
        report(`message ${message.seq} arrived after ${resources.inbox.lastDelivered}`);
        if (!resyncAsked) {
          resyncAsked = true;
          sendHello(resources, binding());
        }
      }
      unacked++;
      if (unacked >= ACK_EVERY) sendAck();
      else ackTimer ??= setTimeout(sendAck, ACK_DELAY_MS);
    },
    dispose(): void {
      clearTimeout(ackTimer);
    },
  };
}

/** Our hello: our resume point, our instance, and the remote instance the point counts in. */
function helloFrame(resources: PeerResources): Uint8Array {
  const { inbox, instance } = resources;
  return encodeHello(inbox.lastDelivered, instance, inbox.remoteInstance ?? '');
}

/** A resync hello that cannot be sent now is not needed: the next channel starts with a hello anyway. */
function sendHello(resources: PeerResources, binding: PeerConnectionBinding): void {
  try {
    if (binding.isChannelOpen) binding.send(helloFrame(resources));
  } catch {}
}

/**
 * Sends what the outbox may send now on `binding`; when it pauses at the high-water mark, the binding
 * reports CHANNEL.BUFFER_LOW later. Returns the error message if a send threw (DC-5), else undefined.
 */
function flushNow(
  resources: PeerResources | undefined,
  binding: PeerConnectionBinding | null,
): string | undefined {
  if (!resources || !binding) return undefined;
  const result = resources.outbox.flush(binding);
  if (result.status === 'paused') binding.waitForBufferLow();
  return result.status === 'failed' ? toError(result.error).message : undefined;
}

/** Empties a closing peer's outbox; what it held is reported as an UndeliveredError, never dropped silently. */
function releaseHeld(registry: PeerResourceRegistry, resources: PeerResources | undefined): void {
  const held = resources?.outbox.takeAll();
  if (resources && held && held.unsent.length + held.unacknowledged.length > 0) {
    registry.errors.next(new UndeliveredError(resources.remoteId, held));
  }
  // Received while not connected and closed before connecting again: said, never dropped silently.
  if (resources && resources.pending.length > 0) {
    registry.errors.next(
      new PeerstateError(
        'received-undelivered',
        `${resources.pending.length} message(s) from ${resources.remoteId} arrived while not connected and the peer closed first`,
        { peerId: resources.remoteId },
      ),
    );
    resources.pending = [];
    resources.pendingBytes = 0;
  }
}

/** The peer chart provided with the implementations of one system. */
export function providePeerMachine(deps: PeerDependencies) {
  const { registry } = deps;
  const resourcesOf = (context: PeerContext) => registry.get(context.key);
  const bindingFor = (context: PeerContext) => currentBinding(registry, context);
  /** Sends a command to the pc actor; the chart only runs these while `live`, where `pc` exists. */
  const toPc = (
    command:
      | PeerConnectionCommand
      | ((args: { context: PeerContext; event: PeerEvent }) => PeerConnectionCommand),
  ) => sendTo<PeerContext, PeerEvent, unknown, AnyActorRef, PeerEvent>('pc', command);

  return peerMachine.provide({
    actors: {
      peerResources: fromCallback<PeerEvent, PeerResourcesInput>(({ input }) => {
        registry.open(input.key, input.remoteId, input.instance);
        return () => {
          releaseHeld(registry, registry.get(input.key));
          registry.delete(input.key);
        };
      }),
      // Owns the binding, the receiver and the heartbeat clock of one RTCPeerConnection: nothing of
      // them outlives this actor, and a command that arrives after it stopped is dropped by XState.
      peerConnection: fromCallback<PeerConnectionCommand, OperationInput>(({ input, sendBack, receive }) => {
        const resources = registry.get(input.key);
        if (!resources) return undefined;
        // When the last data-channel frame arrived (performance.now(), ms): the heartbeat's evidence.
        let lastReceivedAt = performance.now();
        let heartbeat: ReturnType<typeof setInterval> | undefined;
        const clock = new HeartbeatRoundTrip(deps.heartbeatIntervalMs, deps.heartbeatMisses);
        const roundTrip = {
          ping(token: number) {
            // A pong that cannot be sent is a missed sample for the remote, not an error of ours.
            try {
              if (clock.mayAnswer() && binding.isChannelOpen) binding.send(encodePong(token));
            } catch {}
          },
          // Sets the figure only: liveness is not its business (any frame from the remote counts there).
          pong(token: number) {
            resources.roundTripMs = clock.pong(token) ?? resources.roundTripMs;
          },
        };
        // Between the chart's RESUME (entering connected) and HEARTBEAT.STOP (leaving it): a hello
        // received then is the remote asking to resync (it refused a message), not a handshake.
        let resumed = false;
        const onHello = (verdict: HelloVerdict) => {
          if (resumed) {
            resources.remoteHello = null;
            resources.outbox.resync(verdict.lastDelivered, binding, verdict.sameNumbering);
            reportFailure(flushNow(resources, binding));
          } else resources.remoteHello = verdict;
          sendBack({ type: 'CHANNEL.HELLO', lastDelivered: verdict.lastDelivered });
        };
        const onViolation = (message: string) =>
          sendBack({ type: 'PC.ERROR', code: 'protocol-violation', message });
        const receiver = createReceiver(
          registry,
          resources,
          () => binding,
          onHello,
          onViolation,
          roundTrip,
          deps.maxMessageBytes,
        );
        let binding: PeerConnectionBinding;
        try {
          binding = new PeerConnectionBinding(input.connection, deps.rtc, deps.binding, {
            event: sendBack,
            data: (raw) => {
              lastReceivedAt = performance.now();
              receiver.receive(raw);
            },
            error: (error) =>
              registry.errors.next(
                new PeerstateError('candidate-failed', error.message, {
                  peerId: resources.remoteId,
                  cause: error,
                }),
              ),
          });
        } catch (error) {
          // A stack that refuses to make a pc (an invalid iceServers entry, no file descriptors
          // left) fails this attempt, which the reconnect policy retries; it must not stop the system.
          receiver.dispose();
          sendBack({ type: 'PC.ERROR', code: 'pc-creation-failed', message: toError(error).message });
          return undefined;
        }
        resources.binding = binding;
        const reportFailure = (failure: string | undefined) => {
          if (failure) sendBack({ type: 'CHANNEL.SEND_FAILED', message: failure });
        };
        const silenceMs = deps.heartbeatIntervalMs * deps.heartbeatMisses;
        const beat = () => {
          if (performance.now() - lastReceivedAt > silenceMs) {
            clearInterval(heartbeat);
            heartbeat = undefined;
            sendBack({ type: 'HEARTBEAT.LOST' });
            return;
          }
          // A ping that cannot be sent (channel closing) is not an error: CHANNEL.CLOSE follows.
          try {
            if (binding.isChannelOpen) binding.send(encodePing(clock.ping()));
          } catch {}
        };
        receive((command) => {
          switch (command.type) {
            case 'ADD_CANDIDATES':
              for (const candidate of command.candidates) binding.addIceCandidate(candidate);
              return;
            case 'SEND_HELLO':
              try {
                binding.send(helloFrame(resources));
              } catch (error) {
                reportFailure(toError(error).message);
              }
              return;
            case 'FLUSH':
              reportFailure(flushNow(resources, binding));
              return;
            case 'FLUSH_FIRST':
              // Nothing was ever sent: nothing can need resending, so the first messages follow the hello at once.
              if (resources.outbox.neverSent) reportFailure(flushNow(resources, binding));
              return;
            case 'RESUME': {
              // The hello this resume point came from says whether the remote counts in our numbering.
              const sameNumbering = resources.remoteHello?.sameNumbering ?? true;
              resources.remoteHello = null;
              resources.outbox.resume(command.lastDelivered, binding, sameNumbering);
              resumed = true;
              return;
            }
            case 'HEARTBEAT.START':
              // Entering connected: what arrived before is delivered now, in order, then the rest as it comes.
              resources.delivering = true;
              for (const data of resources.pending.splice(0))
                registry.messages.next({ from: resources.remoteId, data });
              resources.pendingBytes = 0;
              lastReceivedAt = performance.now();
              clearInterval(heartbeat);
              heartbeat = setInterval(beat, deps.heartbeatIntervalMs);
              return;
            case 'HEARTBEAT.STOP':
              resources.delivering = false;
              resumed = false;
              clearInterval(heartbeat);
              heartbeat = undefined;
              return;
          }
        });
        return () => {
          resources.delivering = false;
          clearInterval(heartbeat);
          receiver.dispose();
          binding.close();
          if (resources.binding === binding) resources.binding = null;
        };
      }),
      // Async, so that a missing binding (its pc could not be made) rejects rather than throws out of start.
      createOffer: fromPromise<LocalDescriptionOutput, OperationInput & { iceRestart: boolean }>(
        async ({ input, signal }) => bindingOf(registry, input).createOffer(signal, input.iceRestart),
      ),
      acceptOffer: fromPromise<RemoteDescriptionOutput, OperationInput & { description: Description }>(
        async ({ input, signal }) => ({
          ufrag: await bindingOf(registry, input).acceptOffer(input.description, signal),
        }),
      ),
      createAnswer: fromPromise<LocalDescriptionOutput, OperationInput>(async ({ input, signal }) =>
        bindingOf(registry, input).createAnswer(signal),
      ),
      setRemoteDescription: fromPromise<
        RemoteDescriptionOutput,
        OperationInput & { description: Description }
      >(async ({ input, signal }) => ({
        ufrag: await bindingOf(registry, input).setRemoteDescription(input.description, signal),
      })),
    },
    actions: {
      // ICE-4 in arrival order; candidates of another ICE generation than the new description's (an
      // old one, or an ignored glare offer's) are dropped by rule, not reported (ICE-6, ICE-8).
      drainRemoteCandidates: toPc(({ context, event }) => {
        assertEvent(event, 'REMOTE_DESCRIPTION.SET');
        return {
          type: 'ADD_CANDIDATES',
          candidates: context.bufferedCandidates.filter((c) => isOfGeneration(c, event.ufrag)),
        };
      }),
      addRemoteCandidate: toPc(({ event }) => {
        assertEvent(event, 'SIGNAL.CANDIDATE');
        return { type: 'ADD_CANDIDATES', candidates: [event.candidate] };
      }),
      sendChannelHello: toPc({ type: 'SEND_HELLO' }),
      flushOutbox: toPc({ type: 'FLUSH' }),
      flushFirstMessages: toPc({ type: 'FLUSH_FIRST' }),
      resumeOutbox: toPc(({ context }) => ({
        type: 'RESUME',
        lastDelivered: context.remoteResumePoint ?? 0,
      })),
      startHeartbeat: toPc({ type: 'HEARTBEAT.START' }),
      stopHeartbeat: toPc({ type: 'HEARTBEAT.STOP' }),
      enqueueMessage: ({ context, event }) => {
        assertEvent(event, 'SEND');
        resourcesOf(context)?.outbox.push(event.data);
      },
      releaseOutbox: ({ context }) => releaseHeld(registry, resourcesOf(context)),
    },
    guards: {
      // The reconnect policy decides whether another full reconnect is tried (null: give up).
      canReconnect: ({ context }) =>
        context.reconnects < context.maxReconnects &&
        deps.reconnectPolicy.nextDelayMs(context.reconnects + 1) !== null,
      isPeerConnectionConnected: ({ context }) => bindingFor(context)?.isConnected ?? false,
      isChannelOpen: ({ context }) => bindingFor(context)?.isChannelOpen ?? false,
    },
    delays: {
      connectTimeout: deps.connectTimeoutMs,
      disconnectedGrace: deps.disconnectedGraceMs,
      iceRestartInterval: deps.iceRestartIntervalMs,
      resumeTimeout: deps.resumeTimeoutMs,
      reconnectBackoff: ({ context }) => deps.reconnectPolicy.nextDelayMs(context.reconnects) ?? 0,
    },
  });
}
